//! The latency budget's stages worked by hand on the committed data: the
//! keyed queue as Kingman's G/G/1 with the shuffle's batches, barrier
//! alignment and the sink's block among the stages.

use specgen::build::{self, Layout};
use specgen::inputs;
use specgen::model::latency::Stage;

use crate::helpers::repo_root;

#[test]
fn every_stage_of_the_last_month_worked_by_hand() {
    let layout = Layout { root: repo_root() };
    let inputs = inputs::load(&layout.data()).unwrap_or_else(|e| panic!("{e}"));
    let draft = build::draft(&layout, &inputs).unwrap_or_else(|e| panic!("{e}"));
    let p = &draft.model.plan.get(12).base;
    let stage = |s: Stage| {
        p.latency
            .stages
            .iter()
            .find(|x| x.stage == s)
            .unwrap_or_else(|| panic!("{s:?} is budgeted"))
            .p99_ms
    };
    // The keyed subtask receives 32 KiB network buffers of 620-byte events:
    // 32,768 / 620 = 52.9 records at once, so ca² = 52.9 and cs² = 1.
    assert_eq!(inputs.assumptions.flink.network_buffer_kib.value, 32.0);
    let batch = 32.0 * 1024.0 / 620.0;
    let keyed = p.flink.vertices.iter().find(|v| v.keyed).unwrap();
    let (tau, rho) = (1000.0 / keyed.capacity_per_s, keyed.hottest_utilization);
    let wait = (batch + 1.0) / 2.0 * tau / (1.0 - rho) * (100.0 * rho).ln();
    assert!((stage(Stage::KeyedQueueing) - (tau + wait)).abs() < 1e-9);
    // Batches queue longer than single records would (M/M/1).
    let mm1 = 100f64.ln() * tau / (1.0 - rho);
    assert!(stage(Stage::KeyedQueueing) > 10.0 * mm1);
    // An event behind a barrier waits for the alignment; the window results
    // wait for their block, 1,000 ms of event time.
    assert!((stage(Stage::BarrierAlignment) - p.flink.barrier_alignment_s * 1000.0).abs() < 1e-9);
    let agg = inputs
        .architecture
        .clickhouse
        .tables
        .iter()
        .find(|t| t.name == "customer_window_agg_local")
        .unwrap();
    assert_eq!(stage(Stage::SinkBlock), agg.insert_interval_ms);
    assert_eq!(agg.insert_interval_ms, 1000.0);
    // A query waits for the slowest of the month's shards: today's 400 ms
    // over 4 shards, scaled by −ln(1 − 0.99^(1/n)) for n = the plan's shards.
    assert_eq!(inputs.assumptions.latency.query_p99_ms.value, 400.0);
    assert_eq!(inputs.architecture.clickhouse.shards, 4);
    let g = |n: f64| -(1.0 - 0.99f64.powf(1.0 / n)).ln();
    let query = 400.0 * g(f64::from(p.clickhouse.shards)) / g(4.0);
    assert!((stage(Stage::Query) - query).abs() < 1e-9);
    let slo = draft
        .model
        .slos
        .iter()
        .find(|s| s.kind == specgen::model::slo::SloKind::QueryP99)
        .unwrap();
    assert_eq!(slo.predicted, Some(stage(Stage::Query)));
    // The end-to-end p99 is the sum of the stages, and the chapter prints it.
    let sum: f64 = p.latency.stages.iter().map(|s| s.p99_ms).sum();
    assert!((p.latency.total_p99_ms - sum).abs() < 1e-9);
    let text = &draft.chapters["latency.md"];
    assert!(text.contains("| barrier alignment |"));
    assert!(text.contains("| sink block |"));
    assert!(text.contains(&format!(
        "| **{}** |",
        specgen::render::markdown::group(sum, 0)
    )));
}
