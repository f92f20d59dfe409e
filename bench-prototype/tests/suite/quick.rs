//! The quick mode of `just bench`, end to end, into a temporary directory.

use bench_prototype::bench::{BenchOptions, RunMode, run};

use crate::common::data_dir;

#[test]
fn quick_mode_runs_every_scenario_and_writes_the_report() {
    let _machine = crate::common::alone();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results.json");
    let options = BenchOptions {
        mode: RunMode::Quick,
        data_dir: data_dir(),
        scenarios: data_dir().join("bench/scenarios.toml"),
        out: out.clone(),
        progress: false,
        command: "test".into(),
    };
    let report = run(&options).unwrap_or_else(|e| panic!("{e}"));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(json["mode"], "quick");
    // The bisections replay the plan's month: its subtasks, key groups and peak.
    let plan = pipeline_inputs::bench_plan::load(&data_dir().join("bench/plan.tsv"))
        .unwrap()
        .expect("the committed plan");
    let p = &report.parameters;
    assert_eq!(p.sweep_parallelism, plan.keyed_parallelism);
    assert_eq!(p.sweep_max_parallelism, plan.max_parallelism);
    assert_eq!(p.plan_digest, plan.digest());
    // quick.sweep: the smallest whole k with peak × 1.5² / k ≤ 40,000 events/s.
    let k = (plan.peak_records_per_s * 2.25 / 40_000.0).ceil();
    assert_eq!(p.time_scale, k);
    let peak = (plan.peak_records_per_s / k).round();
    for strategy in ["customer", "composite", "sticky"] {
        let points = json["sweep"][strategy]["points"].as_array().unwrap();
        assert!(!points.is_empty(), "{strategy}");
        assert!(
            points
                .iter()
                .any(|p| p["offered_rate"].as_f64() == Some(peak)),
            "{strategy}: every bisection starts at the plan's peak, {peak}"
        );
        assert!(
            points[0]["achieved_rate"].as_f64().unwrap() > 0.0,
            "{strategy}"
        );
        // Per-subtask ratios are kept at the peak, and only there.
        for p in points {
            let busy = p["busy_ratio"].as_array().unwrap().len();
            let expected = if p["offered_rate"].as_f64() == Some(peak) {
                plan.keyed_parallelism as usize
            } else {
                0
            };
            assert_eq!(busy, expected, "{strategy}");
        }
    }
    for (s, sweep) in &report.sweep {
        assert_eq!(sweep.repeats.len(), 1, "{s:?}");
        assert_eq!(sweep.sustainable_throughput, sweep.repeats[0]);
    }
    assert!(report.native.heap.events > 0 && report.native.rocksdb.events > 0);
    assert!(report.driver.max_events_per_s > 0.0);
    for (name, r) in &report.fault.exactly_once {
        assert!(r.table_equal, "{name}: {r:?}");
    }
    assert!(json["parameters"]["service_time_us"].as_f64().unwrap() > 0.0);
    // The committed results are never touched by the tests.
    assert_ne!(out, data_dir().join("bench/results.json"));
}
