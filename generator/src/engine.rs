//! `specgen flink-plan` and `specgen flink-check`: the edges of the real-engine
//! validation (`engine-bench/`). The plan the Flink job replays is written as a
//! tab-separated file the job reads from its own jar (Java's standard library
//! has no TOML or JSON reader, and the job must not read `data/` itself); the
//! check is printed as a table or as JSON for the harness.

use std::fmt::Write as _;
use std::path::Path;

use crate::error::{Error, Result};
use crate::inputs::bench_plan::field_text;
use crate::inputs::{self, engine_bench};
use crate::model::engine_validation::{self, EngineCheck, JobPlan};

/// Loads `data/` and writes the job's plan to `out`.
pub fn write_plan(root: &Path, out: &Path) -> Result<JobPlan> {
    let data = root.join("data");
    let production = inputs::load_production(&data)?;
    let scenarios = inputs::load_scenarios(&data.join("bench/scenarios.toml"), &production)?;
    let plan = engine_validation::job_plan(&production, &scenarios);
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    // Write beside, then rename: the harness never packs a half-written plan.
    let tmp = out.with_extension("tsv.partial");
    std::fs::write(&tmp, plan_tsv(&plan)).map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, out).map_err(|e| Error::io(out, e))?;
    Ok(plan)
}

/// `param NAME VALUE`, `event_type NAME SHARE`, `customer ID SHARE SUB_KEYS`,
/// tab-separated (the job's `Plan.java` reads exactly this). Shares are
/// printed with Rust's shortest round-trip form, so Java parses the same
/// doubles.
pub fn plan_tsv(plan: &JobPlan) -> String {
    let mut s = String::from(
        "# The capacity plan of the Flink benchmark job: `specgen flink-plan`, from data/.\n",
    );
    let params: [(&str, String); 18] = [
        ("seed", plan.seed.to_string()),
        ("window_ms", plan.window_ms.to_string()),
        ("out_of_orderness_ms", plan.out_of_orderness_ms.to_string()),
        ("allowed_lateness_ms", plan.allowed_lateness_ms.to_string()),
        (
            "watermark_interval_ms",
            plan.watermark_interval_ms.to_string(),
        ),
        ("late_fraction", plan.late_fraction.to_string()),
        ("late_extra_ms", plan.late_extra_ms.to_string()),
        ("value_max", plan.value_max.to_string()),
        ("sleep_threshold_us", plan.sleep_threshold_us.to_string()),
        ("sub_keys", plan.sub_keys.to_string()),
        ("sticky_min_share", plan.sticky_min_share.to_string()),
        (
            "sticky_batch_records",
            plan.sticky_batch_records.to_string(),
        ),
        (
            "lag_growth_tolerance",
            plan.lag_growth_tolerance.to_string(),
        ),
        ("service_time_us", plan.service_time_us.to_string()),
        ("keyed_parallelism", plan.keyed_parallelism.to_string()),
        ("max_parallelism", plan.max_parallelism.to_string()),
        ("merge_parallelism", plan.merge_parallelism.to_string()),
        // Not read by the job: the harness copies it into the report, so the
        // report says which key distribution it replayed.
        ("keys_digest", plan.keys_digest()),
    ];
    for (name, value) in params {
        let _ = writeln!(s, "param\t{name}\t{value}");
    }
    for t in &plan.event_types {
        // Names are data text: a tab or newline in one would break the format.
        let name = field_text(&t.event_type);
        let _ = writeln!(s, "event_type\t{name}\t{}", t.share);
    }
    for c in &plan.customers {
        let _ = writeln!(
            s,
            "customer\t{}\t{}\t{}",
            c.customer_id, c.share, c.sub_keys
        );
    }
    s
}

/// Reads a Flink benchmark report and compares it with the model.
pub fn check(root: &Path, results: &Path) -> Result<EngineCheck> {
    let keys = inputs::keys::load(&root.join("data/keys"))?;
    let report = engine_bench::load(results)?.ok_or_else(|| {
        Error::io(
            results,
            std::io::Error::new(std::io::ErrorKind::NotFound, "no Flink benchmark report"),
        )
    })?;
    Ok(engine_validation::check(&report, &keys))
}

/// The check as a table for a terminal.
pub fn check_text(c: &EngineCheck) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Real Flink job, keyed vertex at parallelism {} (maxParallelism {}).",
        c.keyed_parallelism, c.max_parallelism
    );
    let _ = writeln!(
        s,
        "Calibration ({} at {:.0} events/s): one keyed subtask processes {:.0} records per busy second ({:.0} with {} state).\n",
        c.calibration_strategy,
        c.calibration_rate,
        c.capacity_per_s,
        c.other_backend_capacity_per_s,
        c.other_backend
    );
    let _ = writeln!(
        s,
        "{:<10} {:>8} {:>8} {:>11} {:>27} {:>7} {:>10} {:>9} {:>9}",
        "strategy",
        "share",
        "meas.",
        "predicted",
        "measured min/median/max",
        "error",
        "at rate",
        "busy pred",
        "busy meas"
    );
    for k in &c.checks {
        let _ = writeln!(
            s,
            "{:<10} {:>7.2}% {:>7.2}% {:>11.0} {:>27} {:>+6.1}% {:>10.0} {:>8.0}% {:>8.0}%",
            k.strategy.name(),
            k.predicted_hottest_share * 100.0,
            k.measured_hottest_share * 100.0,
            k.predicted_sustainable,
            format!(
                "{:.0}/{:.0}/{:.0} (n={})",
                k.measured_min, k.measured_median, k.measured_max, k.repeats
            ),
            k.error * 100.0,
            k.at_rate,
            k.predicted_hottest_busy * 100.0,
            k.measured_hottest_busy * 100.0,
        );
    }
    let _ = writeln!(
        s,
        "\nLargest |error| {:.1}%; the measured ranking {} the predicted one.",
        c.max_abs_error * 100.0,
        if c.ranking_agrees {
            "agrees with"
        } else {
            "differs from"
        }
    );
    s
}

/// Loads `data/`, runs the model and writes the ClickHouse experiment's plan to `out`.
pub fn write_clickhouse_plan(root: &Path, out: &Path) -> Result<engine_validation::ClickHousePlan> {
    let inputs = inputs::load(&root.join("data"))?;
    let model = crate::model::run(&inputs);
    let plan = engine_validation::clickhouse_plan(&inputs, &model);
    let mut s = String::from(
        "# The ClickHouse experiment's plan: `specgen clickhouse-plan`, from data/ and the model.\n",
    );
    let table = field_text(&plan.table);
    let params: [(&str, String); 8] = [
        ("table", table),
        ("insert_batch_rows", plan.insert_batch_rows.to_string()),
        ("insert_interval_ms", plan.insert_interval_ms.to_string()),
        ("avg_event_bytes", plan.avg_event_bytes.to_string()),
        (
            "merge_safe_max_parts",
            plan.merge_safe_max_parts.to_string(),
        ),
        (
            "production_merge_safe_rows_per_s",
            plan.production_merge_safe_rows_per_s.to_string(),
        ),
        ("dedup_window_blocks", plan.dedup_window_blocks.to_string()),
        ("dedup_blocks_needed", plan.dedup_blocks_needed.to_string()),
    ];
    for (name, value) in params {
        let _ = writeln!(s, "param\t{name}\t{value}");
    }
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let tmp = out.with_extension("tsv.partial");
    std::fs::write(&tmp, s).map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, out).map_err(|e| Error::io(out, e))?;
    Ok(plan)
}
