//! The shared loaders against the committed `data/`, worked by hand, and bad
//! scenario files named by file, line and field.

use std::path::{Path, PathBuf};

use pipeline_inputs::{BenchReport, InputError};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../data")
}

fn production() -> pipeline_inputs::Production {
    pipeline_inputs::load_production(&data_dir()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_pooled_service_time_is_busy_seconds_over_records() {
    let p = production();
    let keyed = p.architecture.keyed_operator();
    let pooled = p.metrics.pooled_rate(&keyed.name, keyed.parallelism);
    // Recomputed from the CSV text, not through the loader.
    let text = std::fs::read_to_string(data_dir().join("metrics/flink_subtasks.csv")).unwrap();
    let (mut busy_s, mut records, mut samples) = (0.0, 0.0, 0);
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f[1] == keyed.name {
            busy_s += f[3].parse::<f64>().unwrap() / 1000.0;
            records += f[6].parse::<f64>().unwrap();
            samples += 1;
        }
    }
    assert_eq!(pooled.samples, samples);
    let expected_us = busy_s / records * 1e6;
    assert!(
        (pooled.service_time_us() - expected_us).abs() < 1e-9 * expected_us,
        "{} vs {expected_us}",
        pooled.service_time_us()
    );
    assert!((pooled.capacity_per_s() * pooled.service_time_us() - 1e6).abs() < 1e-3);
}

#[test]
fn scenarios_take_production_facts_from_the_other_files() {
    let p = production();
    let s = pipeline_inputs::load_scenarios(&data_dir().join("bench/scenarios.toml"), &p)
        .unwrap_or_else(|e| panic!("{e}"));
    let c = &s.common;
    // architecture.toml: flink.window_s = 10.0, events.raw avg_event_bytes = 620;
    // assumptions.toml: network_buffer_kib = 32, buffers 2 + 8, buffer timeout 100 ms.
    assert_eq!(p.architecture.flink.window_s, 10.0);
    assert_eq!(c.window_size_ms, 10_000);
    assert_eq!(c.network_buffer_bytes, 32 * 1024);
    assert_eq!(c.records_per_buffer, 32 * 1024 / 620);
    assert_eq!(c.records_per_buffer, 52);
    assert_eq!(c.sticky_batch_records, 52);
    assert_eq!(c.credits_per_channel, 2 + 8);
    assert_eq!(c.buffer_timeout_ms, 100);
    // full.sweep: 1.5 × 1.5 × a peak of 1.6M events/s over 800k events/s offered at most.
    assert_eq!(s.full.sweep.time_scale(1_600_000.0), 5.0);
    assert_eq!(s.full.sweep.time_scale(100_000.0), 1.0);
}

fn scenarios_error(edit: impl Fn(&str) -> String) -> (String, InputError) {
    let dir = tempfile::tempdir().unwrap();
    let real = std::fs::read_to_string(data_dir().join("bench/scenarios.toml")).unwrap();
    let bad = edit(&real);
    let path = dir.path().join("scenarios.toml");
    std::fs::write(&path, &bad).unwrap();
    let err = pipeline_inputs::load_scenarios(&path, &production())
        .expect_err("a bad scenario file is rejected");
    (bad, err)
}

#[test]
fn a_bad_scenario_value_names_its_line_and_field() {
    let (bad, err) = scenarios_error(|t| t.replacen("sub_keys = 8", "sub_keys = 0", 1));
    let line = bad.lines().position(|l| l == "sub_keys = 0").unwrap() as u64 + 1;
    assert_eq!(err.line, Some(line));
    assert_eq!(err.field.as_deref(), Some("common.sub_keys"));
    assert!(
        err.to_string().ends_with(&format!(
            "scenarios.toml:{line}: field `common.sub_keys`: expected a value in 1..=4096, found 0"
        )),
        "{err}"
    );

    let (bad, err) = scenarios_error(|t| t.replacen("step = 1.5", "step = 1.0", 1));
    let line = bad.lines().position(|l| l == "step = 1.0").unwrap() as u64 + 1;
    assert_eq!(err.field.as_deref(), Some("full.sweep.step"));
    assert_eq!(err.line, Some(line));

    let (_, err) = scenarios_error(|t| t.replacen("[common]", "[common]\nbogus = 1", 1));
    assert!(err.to_string().contains("bogus"), "{err}");
    assert_eq!(
        err.line,
        Some(
            // The unknown key's own line.
            (t_line(
                &std::fs::read_to_string(data_dir().join("bench/scenarios.toml")).unwrap(),
                "[common]"
            ) + 1) as u64
        )
    );
}

fn t_line(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l == needle).unwrap() + 1
}

#[test]
fn a_fact_stated_elsewhere_is_not_accepted_twice() {
    // The window length lives in architecture.toml; scenarios.toml may not restate it.
    let (_, err) =
        scenarios_error(|t| t.replacen("[common]", "[common]\nwindow_size_ms = 10000", 1));
    assert!(err.to_string().contains("window_size_ms"), "{err}");
}

#[test]
fn the_committed_report_reads_into_the_one_schema_without_losing_a_field() {
    let path = data_dir().join("bench/results.json");
    let report: BenchReport = pipeline_inputs::bench::load(&path)
        .unwrap_or_else(|e| panic!("{e}"))
        .expect("a report is committed");
    let text = std::fs::read_to_string(&path).unwrap();
    let on_disk: serde_json::Value = serde_json::from_str(&text).unwrap();
    let typed = serde_json::to_value(&report).unwrap();
    assert_eq!(
        typed, on_disk,
        "writing the typed report back loses or adds a field"
    );
}

#[test]
fn a_report_without_a_strategy_is_rejected_with_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(data_dir().join("bench/results.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["sweep"].as_object_mut().unwrap().remove("sticky");
    let path = dir.path().join("results.json");
    std::fs::write(&path, serde_json::to_string(&v).unwrap()).unwrap();
    let err = pipeline_inputs::bench::load(&path).expect_err("incomplete report");
    assert_eq!(err.field.as_deref(), Some("sweep"));
    assert!(err.message.contains("sticky"), "{err}");
}

#[test]
fn a_missing_data_directory_says_so_rather_than_blaming_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let err =
        pipeline_inputs::load_production(&dir.path().join("data")).expect_err("no data/ here");
    assert!(err.message.contains("is this the project's root?"), "{err}");
    assert_eq!(err.line, None);
}

#[test]
fn a_file_that_is_a_device_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("forecast.csv");
    std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
    let onboardings = data_dir().join("onboardings.csv");
    let err = pipeline_inputs::forecast::load(&link, &onboardings).expect_err("a device");
    assert!(err.message.contains("expected a regular file"), "{err}");
}
