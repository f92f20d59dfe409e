//! The quick mode of `just bench`, end to end, into a temporary directory.

use bench_prototype::bench::{BenchOptions, RunMode, run};

use crate::common::data_dir;

#[test]
fn quick_mode_runs_every_scenario_and_writes_the_report() {
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
    for strategy in ["customer", "composite", "sticky"] {
        let points = json["sweep"][strategy]["points"].as_array().unwrap();
        assert!(!points.is_empty(), "{strategy}");
        assert!(
            points[0]["achieved_rate"].as_f64().unwrap() > 0.0,
            "{strategy}"
        );
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
