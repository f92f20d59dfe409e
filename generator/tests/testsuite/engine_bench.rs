//! The real-engine benchmarks (`engine-bench/`): the committed reports parse
//! and hold together, the plan the Flink job replays is the model's, and the
//! quick modes run end to end (python3 with pip, a JDK and PyPI, which
//! `just test` installs when missing): `just bench-flink --cluster URL` on a
//! cluster started separately, and `just bench-clickhouse`. The quick mode
//! with the cluster the harness starts itself repeats the Flink path and is
//! left to `just test-engines`.

use std::path::Path;
use std::process::Command;

use specgen::inputs::bench::RunMode;
use specgen::inputs::engine_bench::{self, FlinkResults};
use specgen::inputs::scenarios::Strategy;
use specgen::model::engine_validation;

use crate::helpers::repo_root;

/// A report's own consistency: every strategy, enough repeats, the machine
/// recorded, each repeat's result the highest rate its probes sustained.
fn assert_consistent(r: &FlinkResults) {
    assert!(!r.machine.cpu_model.is_empty() && r.machine.cores >= 1);
    assert!(r.machine.memory_gib > 0.0);
    assert!(r.flink_version.starts_with("1.18"), "{}", r.flink_version);
    assert!(r.command.starts_with("just bench-flink"));
    let p = &r.parameters;
    assert!(p.keyed_parallelism >= 1 && p.keyed_parallelism <= p.max_parallelism);
    assert_eq!(r.calibration.subtasks.len(), p.keyed_parallelism as usize);
    assert!(r.calibration.capacity_per_s() > 0.0);
    for s in Strategy::ALL {
        let runs = &r.strategies[&s];
        if r.mode == RunMode::Full {
            assert!(
                runs.repeats.len() >= 3,
                "{s}: {} repeats",
                runs.repeats.len()
            );
            assert_eq!(runs.repeats.len(), p.repeats as usize);
        }
        for rep in &runs.repeats {
            let best = rep
                .probes
                .iter()
                .filter(|pr| pr.sustained)
                .map(|pr| pr.offered_rate)
                .fold(0.0, f64::max);
            assert!(best > 0.0, "{s}: no sustained probe");
            assert!(
                (rep.sustainable_throughput - best).abs() <= 0.5,
                "{s}: reported {} but the best sustained probe is {best}",
                rep.sustainable_throughput
            );
            // A sustained probe below a failed one: the bisection's bracket.
            assert!(
                rep.probes
                    .iter()
                    .any(|pr| !pr.sustained && pr.offered_rate > best),
                "{s}: nothing above {best} was tried and failed"
            );
            for pr in &rep.probes {
                assert_eq!(pr.subtasks.len(), p.keyed_parallelism as usize);
                assert!(
                    pr.subtasks
                        .iter()
                        .all(|st| st.records_in >= 0.0 && st.busy_ms >= 0.0)
                );
            }
        }
    }
}

#[test]
fn committed_flink_results_parse_and_hold_together() {
    let root = repo_root();
    let path = root.join("data/bench/flink-results.json");
    let Some(results) = engine_bench::load(&path).unwrap() else {
        panic!("data/bench/flink-results.json is committed with the real Flink run");
    };
    assert_eq!(results.mode, RunMode::Full);
    assert!(results.git_revision.is_some());
    assert_consistent(&results);
    // The model calibrates on a loaded run, chosen from the low-load one.
    let low = results
        .low_load_calibration
        .as_ref()
        .expect("the low-load calibration is recorded");
    assert!(results.calibration.offered_rate > low.offered_rate);
    let busiest = results
        .calibration
        .subtasks
        .iter()
        .map(|s| s.busy_ratio())
        .fold(0.0, f64::max);
    assert!(busiest >= 0.5, "the calibration run is loaded: {busiest}");
    let keys = specgen::inputs::keys::load(&root.join("data/keys")).unwrap();
    let check = engine_validation::check(&results, &keys);
    assert_eq!(check.checks.len(), 3);
    for c in &check.checks {
        assert!(c.predicted_sustainable.is_finite() && c.predicted_sustainable > 0.0);
        assert!(c.measured_min <= c.measured_median && c.measured_median <= c.measured_max);
        // Flink's own routing put as many records on the hottest subtask as the model's
        // key groups say, within a point: the shares are pooled over the sustained probes,
        // where the hottest subtask may still lag its share a little while the others drain.
        assert!(
            (c.measured_hottest_share - c.predicted_hottest_share).abs() < 0.01,
            "{}: measured {} predicted {}",
            c.strategy,
            c.measured_hottest_share,
            c.predicted_hottest_share
        );
        // The error is the median's, against the prediction. How large it may be is a
        // result the report prints, not a property of the code.
        let by_hand = (c.measured_median - c.predicted_sustainable) / c.predicted_sustainable;
        assert!((c.error - by_hand).abs() < 1e-12, "{}", c.strategy);
    }
}

/// The committed production inputs, the benchmark's scenarios and the job plan they give.
fn committed_plan() -> (
    specgen::inputs::Production,
    specgen::inputs::scenarios::Scenarios,
    engine_validation::JobPlan,
) {
    let root = repo_root();
    let production = specgen::inputs::load_production(&root.join("data")).unwrap();
    let scenarios =
        specgen::inputs::load_scenarios(&root.join("data/bench/scenarios.toml"), &production)
            .unwrap();
    let plan = engine_validation::job_plan(&production, &scenarios);
    (production, scenarios, plan)
}

#[test]
fn the_job_plan_is_the_models_key_distribution() {
    let (production, scenarios, plan) = committed_plan();
    let total: f64 = plan.customers.iter().map(|c| c.share).sum();
    assert!((total - 1.0).abs() < 1e-3);
    assert_eq!(plan.customers.len(), production.keys.customer_count());
    for c in &plan.customers {
        let split = c.share >= scenarios.common.sticky_min_share;
        assert_eq!(
            c.sub_keys,
            if split { scenarios.common.sub_keys } else { 1 }
        );
    }
    let keyed = production.architecture.keyed_operator();
    assert_eq!(plan.keyed_parallelism, keyed.parallelism);
    assert_eq!(plan.max_parallelism, keyed.max_parallelism);
    // Every line is a record the job's Plan.java knows, with its field count.
    let tsv = specgen::engine::plan_tsv(&plan);
    for line in tsv.lines().filter(|l| !l.starts_with('#')) {
        let fields: Vec<&str> = line.split('\t').collect();
        let expected = match fields[0] {
            "param" | "event_type" => 3,
            "customer" => 4,
            other => panic!("unknown record {other}"),
        };
        assert_eq!(fields.len(), expected, "{line}");
    }
    // Shares survive the text round trip bit for bit (Java's Double.parseDouble reads the same).
    let first = tsv.lines().find(|l| l.starts_with("customer")).unwrap();
    let share: f64 = first.split('\t').nth(2).unwrap().parse().unwrap();
    assert_eq!(share, plan.customers[0].share);
}

fn run_harness(script: &str, out: &Path, extra: &[&str]) {
    let root = repo_root();
    let status = Command::new("python3")
        .arg(root.join("engine-bench/harness").join(script))
        .args([
            "--quick",
            "--specgen",
            env!("CARGO_BIN_EXE_specgen"),
            "--root",
        ])
        .arg(&root)
        .arg("--out")
        .arg(out)
        .args(extra)
        .status()
        .expect("python3 on the PATH");
    assert!(status.success(), "{script} failed");
}

#[test]
#[ignore = "the same path as the --cluster test, with the harness's own cluster; about 3 minutes (`just test-engines`)"]
fn flink_quick_mode_runs_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("flink-results.json");
    // A port of its own, so a cluster a user runs on the default one is left alone.
    run_harness("bench_flink.py", &out, &["--port", "18181"]);
    let results = engine_bench::load(&out).unwrap().expect("the report");
    assert_eq!(results.mode, RunMode::Quick);
    assert_consistent(&results);
    let keys = specgen::inputs::keys::load(&repo_root().join("data/keys")).unwrap();
    let check = engine_validation::check(&results, &keys);
    for c in &check.checks {
        assert!(
            (c.measured_hottest_share - c.predicted_hottest_share).abs() < 0.01,
            "{}: measured {} predicted {}",
            c.strategy,
            c.measured_hottest_share,
            c.predicted_hottest_share
        );
    }
}

/// A Flink cluster this test starts on its own (`just flink-cluster`), stopped
/// with SIGTERM when dropped so that its JVMs stop with it, even on a panic.
struct SeparateCluster(std::process::Child);

impl Drop for SeparateCluster {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

#[test]
fn flink_quick_mode_runs_on_a_cluster_started_separately() {
    let root = repo_root();
    let work = tempfile::tempdir().unwrap();
    let port = "18191";
    let mut cluster = SeparateCluster(
        Command::new("python3")
            .arg(root.join("engine-bench/harness/local_cluster.py"))
            .arg("--root")
            .arg(&root)
            .arg("--work-dir")
            .arg(work.path().join("cluster"))
            .args(["--port", port, "--slots", "16"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3 on the PATH"),
    );
    // The cluster says so once its REST API offers every slot. Before that it
    // may report progress (the first run downloads Flink), so read on to the
    // ready line; a thread keeps draining the pipe after it, because a writer
    // whose reader has gone (pip's progress, the cluster's own lines) fails.
    let stdout = cluster.0.stdout.take().unwrap();
    let (lines, ready) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)) {
            let Ok(line) = line else { break };
            let _ = lines.send(line);
        }
    });
    let mut before = Vec::new();
    let started = ready.iter().any(|line| {
        let is_ready = line.starts_with("Flink ");
        before.push(line);
        is_ready
    });
    assert!(started, "cluster did not start; it printed {before:#?}");

    let out = work.path().join("flink-results.json");
    let url = format!("http://127.0.0.1:{port}");
    run_harness("bench_flink.py", &out, &["--cluster", &url]);
    let results = engine_bench::load(&out).unwrap().expect("the report");
    assert_eq!(results.cluster, "remote");
    assert_eq!(results.command, "just bench-flink --cluster URL --quick");
    assert_consistent(&results);
    // The harness cancelled every job it submitted and removed its jar.
    let jobs = http_get(&format!("{url}/jobs/overview"));
    assert!(!jobs.contains("\"RUNNING\""), "{jobs}");
    assert!(http_get(&format!("{url}/jars")).contains("\"files\":[]"));
    drop(cluster);
    // The cluster is gone with its JVMs: nothing answers on its port.
    assert!(std::net::TcpStream::connect(format!("127.0.0.1:{port}")).is_err());
}

/// A GET on the loopback cluster, through python3's standard library (no HTTP
/// client in the test's dependencies).
fn http_get(url: &str) -> String {
    let out = Command::new("python3")
        .args([
            "-c",
            "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())",
            url,
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "GET {url}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn clickhouse_quick_mode_runs_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("clickhouse-results.json");
    run_harness("bench_clickhouse.py", &out, &[]);
    let report = engine_bench::load_clickhouse(&out)
        .unwrap()
        .expect("the report");
    assert_eq!(report.mode, RunMode::Quick);
    assert_clickhouse_consistent(&report);
}

fn assert_clickhouse_consistent(r: &engine_bench::ClickHouseResults) {
    assert!(!r.machine.cpu_model.is_empty() && r.machine.cores >= 1);
    assert!(!r.batches.is_empty());
    for b in &r.batches {
        assert!(!b.probes.is_empty());
        let best = b
            .probes
            .iter()
            .filter(|p| p.merge_safe)
            .map(|p| p.offered_inserts_per_s)
            .fold(0.0, f64::max);
        assert!(
            (b.merge_safe_inserts_per_s - best).abs() < 1e-3,
            "batch {}",
            b.batch_rows
        );
    }
    let d = &r.deduplication;
    assert_eq!(d.rows_first_pass, d.rows_expected);
    // Replays within the window write nothing again; blocks older than it are written twice.
    assert_eq!(d.duplicate_rows_within_window, 0);
    assert_eq!(
        d.duplicate_rows_beyond_window,
        d.replayed_beyond_window_blocks * d.rows_per_block
    );
    // The model's whole replay horizon is deduplicated exactly when it fits the window.
    assert_eq!(
        d.duplicate_rows_over_horizon == 0,
        d.model_replay_blocks <= d.window_blocks
    );
}

#[test]
fn committed_clickhouse_results_parse_and_hold_together() {
    let path = repo_root().join("data/bench/clickhouse-results.json");
    let Some(results) = engine_bench::load_clickhouse(&path).unwrap() else {
        panic!("data/bench/clickhouse-results.json is committed with the chDB run");
    };
    assert_eq!(results.mode, RunMode::Full);
    assert_clickhouse_consistent(&results);
    let fit = results
        .fit
        .as_ref()
        .expect("a fit over several batch sizes");
    assert!(fit.t_row_s.is_finite() && fit.t_part_s.is_finite());
}

/// The plan's keys digest moves with the key distribution and nothing else,
/// and a report is stale on keys exactly when its digest is not the plan's.
#[test]
fn a_flink_report_is_stale_on_keys_exactly_when_its_digest_differs() {
    let root = repo_root();
    let (production, _, plan) = committed_plan();
    let digest = plan.keys_digest();
    assert_eq!(digest.len(), 16);
    let mut moved = plan.clone();
    moved.customers[0].share += 1e-9;
    assert_ne!(moved.keys_digest(), digest, "a share moved");
    let mut other = plan.clone();
    other.keyed_parallelism += 1;
    assert_eq!(other.keys_digest(), digest, "parallelism is not a key");
    assert!(
        specgen::engine::plan_tsv(&plan).contains(&format!("param\tkeys_digest\t{digest}\n")),
        "the harness reads the digest from the plan"
    );

    let path = root.join("data/bench/flink-results.json");
    let mut report = engine_bench::load(&path).unwrap().unwrap();
    let keys = &production.keys;
    report.parameters.keys_digest = Some(digest.clone());
    let v = engine_validation::flink_validation(&report, &plan, keys);
    assert!(!v.stale_inputs.contains(&"key distribution"), "{v:?}");
    report.parameters.keys_digest = Some("0000000000000000".into());
    let v = engine_validation::flink_validation(&report, &plan, keys);
    assert!(v.stale_inputs.contains(&"key distribution"));
    report.parameters.keys_digest = None;
    let v = engine_validation::flink_validation(&report, &plan, keys);
    assert!(
        v.stale_inputs.contains(&"key distribution"),
        "a report that does not say which keys it replayed cannot be checked against these"
    );
}

/// The ClickHouse section's fitted rate at production's batch size, worked
/// by hand from the committed report's fit: `R(B) = B / (t_part + t_row × B)`.
#[test]
fn the_clickhouse_fit_at_productions_batch_is_the_reports_curve() {
    let root = repo_root();
    let text = std::fs::read_to_string(root.join("data/bench/clickhouse-results.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let t_part = json["fit"]["t_part_s"].as_f64().unwrap();
    let t_row = json["fit"]["t_row_s"].as_f64().unwrap();
    let b = json["parameters"]["production_batch_rows"]
        .as_f64()
        .unwrap();
    let by_hand = b / (t_part + t_row * b);
    // The report's own table of fitted rates agrees where it lists the batch.
    if let Some(listed) = json["fit"]["predicted_rows_per_s"][format!("{b}")].as_f64() {
        assert!((listed - by_hand).abs() < 1.0, "{listed} vs {by_hand}");
    }
    let inputs = specgen::inputs::load(&root.join("data")).unwrap();
    let model = specgen::model::run(&inputs);
    let v = model
        .clickhouse_validation
        .expect("the chDB report is committed");
    let got = v.fitted_rows_per_s_at_production_batch.unwrap();
    assert!((got - by_hand).abs() < 1e-6 * by_hand, "{got} vs {by_hand}");
    assert_eq!(f64::from(v.production_batch_rows), b);
    assert_eq!(
        v.model_rows_per_s_per_shard,
        model.merge_safe.rows_per_s_per_shard
    );
}
