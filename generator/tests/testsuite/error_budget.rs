//! The lag SLOs' error budget against failures, deploys, rescales and
//! partition increases, worked by hand on the committed data, and the prose
//! of the branches where a budget is overspent or the SLOs disagree.

use specgen::build::{self, Layout};
use specgen::inputs;
use specgen::model::error_budget::Operation;

use crate::helpers::repo_root;

#[test]
fn operations_spend_the_lag_budgets_worked_by_hand() {
    let layout = Layout { root: repo_root() };
    let inputs = inputs::load(&layout.data()).unwrap_or_else(|e| panic!("{e}"));
    let draft = build::draft(&layout, &inputs).unwrap_or_else(|e| panic!("{e}"));
    let m = &draft.model;
    let b = &m.error_budget;
    let p = &m.plan.get(12).base;
    let s = &inputs.assumptions.slo;
    assert_eq!(
        (
            s.window_days.value,
            s.task_manager_failures_per_window.value,
            s.deploys_per_window.value,
            s.deploy_restart_s.value,
            s.ingest_lag_threshold_s.value,
            s.processing_lag_threshold_s.value,
            s.ingest_lag_target.value,
        ),
        (28.0, 0.02, 4.0, 30.0, 3.0, 20.0, 0.999)
    );
    let op = |o: Operation| b.operations.iter().find(|x| x.operation == o).unwrap();
    // 2% of 86 TaskManagers lost per window.
    assert_eq!(p.flink.task_managers, Some(86));
    let tm = op(Operation::TaskManagerFailure);
    assert!((tm.per_window - 1.72).abs() < 1e-12);
    // A deploy: the savepoint, 30 s to resubmit, the state back at 150 MB/s
    // per TaskManager; nothing to replay.
    let stop = p.flink.checkpoint_duration_s + 30.0 + p.flink.state_bytes / 1e6 / (150.0 * 86.0);
    let deploy = op(Operation::Deploy);
    assert!((deploy.stopped_s - stop).abs() < 1e-9 && deploy.backlog_s == deploy.stopped_s);
    let rho = m.fault.bottleneck_utilization;
    assert!((deploy.catch_up_s - stop * rho / (1.0 - rho)).abs() < 1e-9);
    // Rescales and partition increases: changes from today's 12 subtasks and
    // 24 partitions over the 12 months, per 28 of 365.25 days.
    let mut keyed = vec![12];
    let mut partitions = vec![24];
    for (_, month) in m.plan.iter() {
        let v = month.base.flink.vertices.iter().find(|v| v.keyed).unwrap();
        keyed.push(*v.parallelism.as_ref().unwrap());
        partitions.push(month.base.partitions_planned);
    }
    let per_window =
        |c: &[u32]| c.windows(2).filter(|w| w[0] != w[1]).count() as f64 / 365.25 * 28.0;
    assert!((op(Operation::Rescale).per_window - per_window(&keyed)).abs() < 1e-12);
    let increases = op(Operation::PartitionIncrease).per_window;
    assert!(
        (increases - 1.0 / 365.25 * 28.0).abs() < 1e-12,
        "{increases}"
    );
    // The ingest lag SLO: a 3 s threshold over a normal p99 of the ingest
    // stages leaves a margin; each operation spends its stop past the
    // margin and its drain while the backlog is over it.
    let margin = 3.0 - p.latency.ingest_p99_ms / 1000.0;
    let bad = |o: &specgen::model::error_budget::OperationCost| {
        (o.stopped_s - margin).max(0.0) + o.catch_up_s * (1.0 - margin / o.backlog_s)
    };
    let spent: f64 = b
        .operations
        .iter()
        .map(|o| o.per_window * bad(o) / 60.0)
        .sum();
    let ingest = &b.slos[0];
    assert!((ingest.spent_minutes - spent).abs() < 1e-9);
    // The budget: 0.1% of 28 days = 40.32 minutes.
    assert!((ingest.budget_minutes - 40.32).abs() < 1e-9);
    assert!(ingest.within);
    let slo = &draft.chapters["slo.md"];
    assert!(
        slo.contains(&format!(
            "The ingest lag SLO spends {:.0}% of its budget: within it.",
            spent / 40.32 * 100.0
        )),
        "{slo}"
    );
    // The two lag SLOs agree with the end-to-end target: an ingest lag at
    // its threshold plus the stages after the source stays within 20 s.
    let downstream = (p.latency.total_p99_ms - p.latency.ingest_p99_ms) / 1000.0;
    assert!((b.ingest_threshold_plus_downstream_s - 3.0 - downstream).abs() < 1e-9);
    assert!(b.ingest_threshold_fits_end_to_end);
    assert!(slo.contains("within the 20 s end-to-end target."));
}

#[test]
fn an_overspent_budget_and_a_threshold_past_the_target_are_said() {
    let layout = Layout { root: repo_root() };
    let mut inputs = inputs::load(&layout.data()).unwrap_or_else(|e| panic!("{e}"));
    inputs.assumptions.slo.deploys_per_window.value = 40.0;
    inputs.assumptions.slo.ingest_lag_threshold_s.value = 10.0;
    let draft = build::draft(&layout, &inputs).unwrap_or_else(|e| panic!("{e}"));
    let b = &draft.model.error_budget;
    assert!(b.slos.iter().all(|s| !s.within));
    assert!(!b.ingest_threshold_fits_end_to_end);
    let slo = &draft.chapters["slo.md"];
    assert!(slo.contains("of its budget: **over it**"), "{slo}");
    assert!(slo.contains("Fewer deploys, a faster restart"));
    assert!(slo.contains("**over** the 20 s end-to-end target, so an ingest lag the SLO allows"));
}
