//! The whole benchmark: every scenario of one mode, into one [`Report`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use pipeline_inputs::Production;

use crate::config::{BackendKind, Common, Plan, Strategy, Targets};
use crate::error::{BenchError, Result};
use crate::event::{EventGenerator, Record};
use crate::fault::{
    compare, fault_job, kill_offset, kill_point_job, kill_points, run_with_fault, tally,
};
use crate::keys::KeyDistribution;
use crate::month_plan::MonthPlan;
use crate::partition::PartitionerSpec;
use crate::report::{
    DriverResult, FaultResults, KillPoints, Machine, NativeResults, NativeRun, Parameters, Report,
    ScaleResult, StrategySweep, Target, round,
};
use crate::runtime::{Fault, Guarantee, JobSpec, KillAt, Mode, Pacing, Stop, run_job};
use crate::sweep::{PointSetup, bisect, criterion_text, median, run_point, subtask_shares};
use pipeline_inputs::metrics::PooledRate;

pub use pipeline_inputs::bench::RunMode;

/// Where to read and write, and how to show progress.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub mode: RunMode,
    pub data_dir: PathBuf,
    pub scenarios: PathBuf,
    pub out: PathBuf,
    pub progress: bool,
    pub command: String,
}

/// Runs every scenario and writes the report to `options.out`.
pub fn run(options: &BenchOptions) -> Result<Report> {
    let started = Instant::now();
    let inputs = pipeline_inputs::load_production(&options.data_dir)?;
    let scenarios = pipeline_inputs::load_scenarios(&options.scenarios, &inputs)?;
    let keyed_operator = inputs.architecture.keyed_operator();
    let service = inputs
        .metrics
        .pooled_rate(&keyed_operator.name, keyed_operator.parallelism);
    let plan = match options.mode {
        RunMode::Full => &scenarios.full,
        RunMode::Quick => &scenarios.quick,
    };
    let common = &scenarios.common;
    let keys = Arc::new(KeyDistribution::from_inputs(&inputs.keys));
    let generator = EventGenerator::new(common, Arc::clone(&keys));
    let service_ns = service.service_time_us() * 1e3;
    let month_plan = MonthPlan::load(&options.data_dir, common, &plan.sweep)?;

    // One step per run below: driver, two native runs, each sweep point per
    // strategy, the scale run, a fault-free and a faulty exactly-once run per
    // strategy, then at-least-once and no checkpoints, then per strategy a
    // fault-free run and every kill point in both guarantees.
    let strategies = Strategy::ALL.len() as u64;
    // A bisection's probes, about: two to find the bracket, then halvings to the precision.
    let halvings = ((plan.sweep.step - 1.0) / plan.sweep.step / plan.sweep.precision).log2();
    let sweep_points =
        strategies * u64::from(plan.sweep.repeats) * (2 + halvings.ceil().max(0.0) as u64);
    let kill_runs = strategies * (1 + 2 * u64::from(plan.kill_points.points));
    let steps = 3 + sweep_points + 1 + 2 * strategies + 2 + kill_runs;
    let bar = progress_bar(options.progress, steps);

    let spec_for = partitioner_specs(keyed_operator.max_parallelism, &keys, common);

    // The driver alone.
    bar.set_message("driver alone");
    let (driver_rate, _) = crate::driver::driver_max_rate(
        &generator,
        &spec_for(Strategy::Customer, plan.scale.parallelism),
        plan.native.nominal_event_rate,
        common.records_per_buffer,
        plan.driver.duration_s,
    );
    bar.inc(1);

    // Native capacity per core.
    bar.set_message("native heap");
    let heap = native_run(
        common,
        plan,
        &spec_for(Strategy::Customer, plan.native.parallelism),
        BackendKind::Heap,
        &generator,
    )?;
    bar.inc(1);
    bar.set_message("native rocksdb");
    let rocksdb = native_run(
        common,
        plan,
        &spec_for(Strategy::Customer, plan.native.parallelism),
        BackendKind::Rocksdb,
        &generator,
    )?;
    bar.inc(1);

    // The plan's month, bisected per strategy from its peak.
    let month = &month_plan.plan;
    let mut sweeps = BTreeMap::new();
    let mut shares = BTreeMap::new();
    for strategy in Strategy::ALL {
        let pspec = month_plan.partitioner(strategy, common);
        shares.insert(strategy, subtask_shares(&month_plan.keys, &pspec));
        let setup = PointSetup {
            common: common.clone(),
            partitioner: pspec.clone(),
            backend: plan.sweep.backend,
            service_ns: month.service_time_us * 1e3 * month_plan.time_scale,
            warmup_s: plan.sweep.warmup_s,
            measure_s: plan.sweep.measure_s,
            checkpoint_interval_ms: plan.sweep.checkpoint_interval_ms,
        };
        let mut points = Vec::new();
        let mut repeats = Vec::new();
        for repeat in 0..plan.sweep.repeats {
            let (probes, sustainable) = bisect(
                month_plan.peak_rate(),
                plan.sweep.step,
                plan.sweep.precision,
                |rate| {
                    bar.set_message(format!(
                        "{} repeat {} of {}: {rate:.0} events/s",
                        strategy.name(),
                        repeat + 1,
                        plan.sweep.repeats
                    ));
                    bar.inc(1);
                    run_point(&setup, &month_plan.generator, rate).map(|(p, _)| p)
                },
            )?;
            // Per-subtask ratios are kept at the peak only, where the report
            // compares them with the model: hundreds of subtasks at every probe
            // would make the committed report megabytes long.
            let peak = month_plan.peak_rate();
            points.extend(probes.into_iter().map(|mut p| {
                if p.offered_rate != peak {
                    p.busy_ratio.clear();
                    p.backpressured_ratio.clear();
                    p.idle_ratio.clear();
                }
                p
            }));
            repeats.push(sustainable);
        }
        points.sort_by(|a, b| a.offered_rate.total_cmp(&b.offered_rate));
        sweeps.insert(
            strategy,
            StrategySweep {
                parallelism: pspec.parallelism,
                max_parallelism: pspec.max_parallelism,
                points,
                sustainable_throughput: median(&repeats),
                repeats,
            },
        );
    }

    // Calibrated scale check.
    bar.set_message(format!(
        "scale: {} subtasks at {:.0} events/s",
        plan.scale.parallelism, plan.scale.rate
    ));
    let scale_spec = spec_for(plan.scale.strategy, plan.scale.parallelism);
    let setup = PointSetup {
        common: common.clone(),
        partitioner: scale_spec.clone(),
        backend: BackendKind::Heap,
        service_ns,
        warmup_s: plan.scale.warmup_s,
        measure_s: plan.scale.measure_s,
        checkpoint_interval_ms: plan.sweep.checkpoint_interval_ms,
    };
    let (scale_point, scale_result) = run_point(&setup, &generator, plan.scale.rate)?;
    let scale = ScaleResult {
        parallelism: scale_spec.parallelism,
        max_parallelism: scale_spec.max_parallelism,
        strategy: plan.scale.strategy,
        point: scale_point,
        process_cpu_s: round(scale_result.process_cpu_s),
        wall_s: round(scale_result.wall_s),
    };
    bar.inc(1);

    let fault = fault_results(common, plan, &generator, &spec_for, &bar)?;
    bar.finish_and_clear();

    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let goals = &scenarios.targets;
    let targets = vec![
        target(
            "native heap events per core-second (whole runtime)",
            goals.heap_events_per_core_s,
            heap.events_per_cpu_s,
        ),
        target(
            "native RocksDB events per core-second (whole runtime)",
            goals.rocksdb_events_per_core_s,
            rocksdb.events_per_cpu_s,
        ),
        target(
            "driver alone events/s",
            goals.driver_events_per_s,
            driver_rate,
        ),
        target(
            &format!(
                "calibrated {} subtasks sustain {:.0} events/s",
                plan.scale.parallelism, plan.scale.rate
            ),
            1.0,
            if scale.point.sustained { 1.0 } else { 0.0 },
        ),
    ];
    let findings = findings(goals, &heap, &rocksdb, driver_rate, &scale);

    let report = Report {
        schema_version: 1,
        machine: Machine {
            cpu_model: cpu_model(),
            cores,
        },
        command: options.command.clone(),
        git_revision: git_revision(&options.data_dir),
        mode: options.mode,
        wall_time_s: round(started.elapsed().as_secs_f64()),
        parameters: parameters(&inputs, service, common, plan, &keys, &month_plan, shares),
        sustainability_criterion: criterion_text(common),
        native: NativeResults { heap, rocksdb },
        driver: DriverResult {
            max_events_per_s: round(driver_rate),
            duration_s: plan.driver.duration_s,
        },
        sweep: sweeps,
        scale,
        fault,
        targets,
        findings,
    };
    write_report(&options.out, &report)?;
    Ok(report)
}

/// The partitioner of a strategy at a parallelism, for this run's keys.
fn partitioner_specs<'a>(
    production_max_parallelism: u32,
    keys: &'a KeyDistribution,
    common: &'a Common,
) -> impl Fn(Strategy, u32) -> PartitionerSpec + 'a {
    move |strategy, parallelism| {
        let (max_parallelism, _) = max_parallelism_for(parallelism, production_max_parallelism);
        PartitionerSpec {
            strategy,
            parallelism,
            max_parallelism,
            event_type_names: keys.event_type_names.clone(),
            hot_customers: keys
                .customers_with_share_at_least(common.sticky_min_share)
                .into_iter()
                .map(|c| (c, common.sub_keys))
                .collect(),
            sticky_batch_records: common.sticky_batch_records,
        }
    }
}

/// Reruns the fault experiments alone (`just bench-faults`) and replaces the
/// `fault` section of the report already at `options.out`, which must come
/// from a run of the same mode; the section records this command.
pub fn run_faults_only(options: &BenchOptions) -> Result<Report> {
    let mut report = pipeline_inputs::bench::load(&options.out)?.ok_or_else(|| {
        BenchError::Runtime(format!(
            "{}: no report to update; run the whole bench first",
            options.out.display()
        ))
    })?;
    if report.mode != options.mode {
        return Err(BenchError::Runtime(format!(
            "{}: a {} run's report; rerun its faults in the same mode",
            options.out.display(),
            report.mode.name()
        )));
    }
    let inputs = pipeline_inputs::load_production(&options.data_dir)?;
    let scenarios = pipeline_inputs::load_scenarios(&options.scenarios, &inputs)?;
    let plan = match options.mode {
        RunMode::Full => &scenarios.full,
        RunMode::Quick => &scenarios.quick,
    };
    let common = &scenarios.common;
    let keys = Arc::new(KeyDistribution::from_inputs(&inputs.keys));
    let generator = EventGenerator::new(common, Arc::clone(&keys));
    let spec_for = partitioner_specs(
        inputs.architecture.keyed_operator().max_parallelism,
        &keys,
        common,
    );
    let strategies = Strategy::ALL.len() as u64;
    let steps = 2 * strategies + 2 + strategies * (1 + 2 * u64::from(plan.kill_points.points));
    let bar = progress_bar(options.progress, steps);
    let mut fault = fault_results(common, plan, &generator, &spec_for, &bar)?;
    bar.finish_and_clear();
    fault.command = Some(options.command.clone());
    fault.git_revision = git_revision(&options.data_dir);
    report.fault = fault;
    write_report(&options.out, &report)?;
    Ok(report)
}

/// The fault experiments: one planned kill per strategy and guarantee, then
/// the seeded kill points.
fn fault_results(
    common: &Common,
    plan: &Plan,
    generator: &EventGenerator,
    spec_for: &dyn Fn(Strategy, u32) -> PartitionerSpec,
    bar: &ProgressBar,
) -> Result<FaultResults> {
    // One planned kill.
    let fplan = &plan.fault;
    let fault = Fault {
        subtask: fplan.kill_subtask as usize,
        at: KillAt::Offset(kill_offset(fplan)),
    };
    let mut exactly_once = BTreeMap::new();
    let mut customer_reference = None;
    for strategy in Strategy::ALL {
        let pspec = spec_for(strategy, fplan.parallelism);
        bar.set_message(format!("fault: {} fault-free", strategy.name()));
        let reference = run_job(
            &fault_job(
                common,
                &pspec,
                fplan.backend,
                fplan,
                Guarantee::ExactlyOnce,
                Vec::new(),
            ),
            generator,
        )?;
        bar.inc(1);
        bar.set_message(format!("fault: {} exactly-once", strategy.name()));
        let spec = fault_job(
            common,
            &pspec,
            fplan.backend,
            fplan,
            Guarantee::ExactlyOnce,
            vec![fault],
        );
        exactly_once.insert(strategy, run_with_fault(&spec, generator, &reference)?);
        bar.inc(1);
        if strategy == Strategy::Customer {
            customer_reference = Some(reference);
        }
    }
    let reference = customer_reference
        .ok_or_else(|| BenchError::Runtime("no customer-strategy reference run".into()))?;
    let pspec = spec_for(Strategy::Customer, fplan.parallelism);
    bar.set_message("fault: at-least-once");
    let alo = run_job(
        &fault_job(
            common,
            &pspec,
            fplan.backend,
            fplan,
            Guarantee::AtLeastOnce,
            vec![fault],
        ),
        generator,
    )?;
    let at_least_once = compare(Guarantee::AtLeastOnce, &reference, &alo);
    bar.inc(1);
    bar.set_message("fault: no checkpoints");
    let none = run_job(
        &fault_job(
            common,
            &pspec,
            fplan.backend,
            fplan,
            Guarantee::NoCheckpoints,
            vec![fault],
        ),
        generator,
    )?;
    let no_checkpoints = compare(Guarantee::NoCheckpoints, &reference, &none);
    bar.inc(1);

    // Seeded kill points: the same points for every strategy and guarantee.
    let kplan = &plan.kill_points;
    let seed = common.seed;
    let points = kill_points(seed, kplan.points, kplan.parallelism, kplan.events);
    let mut kill_exactly_once = BTreeMap::new();
    let mut kill_at_least_once = BTreeMap::new();
    for strategy in Strategy::ALL {
        let pspec = spec_for(strategy, kplan.parallelism);
        bar.set_message(format!("kill points: {} fault-free", strategy.name()));
        let reference = run_job(
            &kill_point_job(common, &pspec, kplan, Guarantee::ExactlyOnce, Vec::new()),
            generator,
        )?;
        bar.inc(1);
        for (guarantee, into) in [
            (Guarantee::ExactlyOnce, &mut kill_exactly_once),
            (Guarantee::AtLeastOnce, &mut kill_at_least_once),
        ] {
            bar.set_message(format!("kill points: {} {guarantee:?}", strategy.name()));
            let mut runs = Vec::with_capacity(points.len());
            for point in &points {
                let spec = kill_point_job(common, &pspec, kplan, guarantee, point.faults.clone());
                runs.push(run_with_fault(&spec, generator, &reference)?);
                bar.inc(1);
            }
            into.insert(strategy, tally(&points, &runs));
        }
    }
    Ok(FaultResults {
        parallelism: fplan.parallelism,
        events: fplan.events,
        rate: fplan.rate,
        kill_subtask: fplan.kill_subtask,
        kill_at_offset: kill_offset(fplan),
        checkpoint_interval_ms: fplan.checkpoint_interval_ms,
        exactly_once,
        at_least_once,
        no_checkpoints,
        kill_points: Some(KillPoints {
            parallelism: kplan.parallelism,
            events: kplan.events,
            nominal_rate: kplan.nominal_rate,
            checkpoint_interval_ms: kplan.checkpoint_interval_ms,
            seed,
            exactly_once: kill_exactly_once,
            at_least_once: kill_at_least_once,
        }),
        command: None,
        git_revision: None,
    })
}

fn target(name: &str, target: f64, measured: f64) -> Target {
    Target {
        name: name.to_string(),
        target,
        measured: round(measured),
        met: measured >= target,
    }
}

fn native_run(
    common: &Common,
    plan: &Plan,
    pspec: &PartitionerSpec,
    backend: BackendKind,
    generator: &EventGenerator,
) -> Result<NativeRun> {
    // Native runs fill the same network buffer with the prototype's own records.
    let mut common = common.clone();
    common.records_per_buffer =
        (common.network_buffer_bytes / std::mem::size_of::<Record>()).max(1);
    let spec = JobSpec {
        common,
        partitioner: pspec.clone(),
        backend,
        mode: Mode::Native,
        pacing: Pacing::Closed {
            nominal_rate: plan.native.nominal_event_rate,
        },
        stop: Stop::At(Duration::from_secs_f64(plan.native.duration_s)),
        guarantee: Guarantee::ExactlyOnce,
        checkpoint_interval: None,
        measure: None,
        faults: Vec::new(),
    };
    let r = run_job(&spec, generator)?;
    let per = |cpu: f64| {
        if cpu > 0.0 {
            round(r.records_processed as f64 / cpu)
        } else {
            0.0
        }
    };
    Ok(NativeRun {
        backend,
        strategy: pspec.strategy,
        parallelism: pspec.parallelism,
        duration_s: round(r.wall_s),
        events: r.records_processed,
        events_per_s: round(r.records_processed as f64 / r.wall_s),
        cpu_s: round(r.process_cpu_s),
        events_per_cpu_s: per(r.process_cpu_s),
        operator_events_per_cpu_s: per(r.subtasks_cpu_s),
        source_cpu_s: round(r.source_cpu_s),
        subtasks_cpu_s: round(r.subtasks_cpu_s),
    })
}

/// Where the time goes, from the measured CPU split (no figure is typed in).
fn findings(
    goals: &Targets,
    heap: &NativeRun,
    rocksdb: &NativeRun,
    driver: f64,
    scale: &ScaleResult,
) -> Vec<String> {
    let mut out = Vec::new();
    for run in [heap, rocksdb] {
        let target = if run.backend == BackendKind::Heap {
            goals.heap_events_per_core_s
        } else {
            goals.rocksdb_events_per_core_s
        };
        let ns = |cpu: f64| {
            if run.events > 0 {
                cpu * 1e9 / run.events as f64
            } else {
                0.0
            }
        };
        let verdict = if run.events_per_cpu_s >= target {
            "meets"
        } else {
            "misses"
        };
        out.push(format!(
            "native {}: {:.0} events per core-second {} the {:.0} target ({:.1}x); per event the \
             source thread spent {:.1} ns of CPU, the operator thread {:.1} ns, everything else \
             (sink, coordinator, kernel) {:.1} ns",
            run.backend,
            run.events_per_cpu_s,
            verdict,
            target,
            run.events_per_cpu_s / target,
            ns(run.source_cpu_s),
            ns(run.subtasks_cpu_s),
            ns((run.cpu_s - run.source_cpu_s - run.subtasks_cpu_s).max(0.0)),
        ));
    }
    out.push(format!(
        "driver alone: {:.0} events/s on one thread ({:.1} ns per event)",
        driver,
        1e9 / driver.max(1.0)
    ));
    out.push(format!(
        "calibrated scale run: {} subtasks at {:.0} events/s offered, {} (achieved {:.0} events/s, \
         p99 {:.1} ms, {:.2} CPU-seconds per wall-second)",
        scale.parallelism,
        scale.point.offered_rate,
        if scale.point.sustained {
            "sustained"
        } else {
            "not sustained"
        },
        scale.point.achieved_rate,
        scale.point.latency_p99_ms,
        scale.process_cpu_s / scale.wall_s.max(1e-9),
    ));
    out
}

fn parameters(
    inputs: &Production,
    service: PooledRate,
    common: &Common,
    plan: &Plan,
    keys: &KeyDistribution,
    month_plan: &MonthPlan,
    subtask_shares: BTreeMap<Strategy, Vec<f64>>,
) -> Parameters {
    let keyed_operator = inputs.architecture.keyed_operator();
    let tail = &inputs.keys.tail;
    let month = &month_plan.plan;
    Parameters {
        keyed_operator: keyed_operator.name.clone(),
        production_parallelism: keyed_operator.parallelism,
        production_max_parallelism: keyed_operator.max_parallelism,
        sweep_parallelism: month.keyed_parallelism,
        sweep_max_parallelism: month.max_parallelism,
        sweep_max_parallelism_source: "data/bench/plan.tsv".to_string(),
        plan_month_label: month.month_label.clone(),
        plan_peak_records_per_s: month.peak_records_per_s,
        plan_digest: month.digest(),
        plan_customers: month
            .customers
            .iter()
            .map(|c| (c.customer_id, c.share, c.sub_keys))
            .collect(),
        plan_service_time_us: month.service_time_us,
        time_scale: month_plan.time_scale,
        service_time_us: round(service.service_time_us()),
        service_time_samples: service.samples,
        subtask_capacity_events_per_s: round(service.capacity_per_s()),
        sub_keys: common.sub_keys,
        sticky_batch_records: common.sticky_batch_records,
        sticky_min_share: common.sticky_min_share,
        sticky_split_customers: keys.customers_with_share_at_least(common.sticky_min_share),
        hot_customer_shares: inputs
            .keys
            .hot
            .iter()
            .map(|h| (h.customer_id.to_string(), h.share))
            .collect(),
        tail_customers: tail.customers,
        tail_first_customer_id: tail.first_customer_id,
        tail_zipf_exponent: tail.zipf_exponent,
        tail_share: tail.share,
        event_type_shares: keys
            .event_type_names
            .iter()
            .cloned()
            .zip(keys.event_type_shares.iter().copied())
            .collect(),
        subtask_shares,
        window_size_ms: common.window_size_ms,
        allowed_lateness_ms: common.allowed_lateness_ms,
        out_of_orderness_ms: common.out_of_orderness_ms,
        watermark_interval_ms: common.watermark_interval_ms,
        late_fraction: common.late_fraction,
        records_per_buffer: common.records_per_buffer,
        buffer_timeout_ms: common.buffer_timeout_ms,
        credits_per_channel: common.credits_per_channel,
        sleep_threshold_us: common.sleep_threshold_us,
        bisection_repeats: plan.sweep.repeats,
        bisection_precision: plan.sweep.precision,
        bisection_step: plan.sweep.step,
        sweep_warmup_s: plan.sweep.warmup_s,
        sweep_measure_s: plan.sweep.measure_s,
        sweep_backend: plan.sweep.backend,
        rocksdb_inplace_update_support: common.rocksdb_inplace_update_support,
        seed: common.seed,
    }
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".to_string())
}

fn git_revision(data_dir: &Path) -> Option<String> {
    let dir = if data_dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        data_dir
    };
    let out = std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(dir)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let rev = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!rev.is_empty()).then_some(rev)
}

/// Writes the report pretty-printed, through a temporary file so a failed
/// write leaves the previous report intact.
pub fn write_report(path: &Path, report: &Report) -> Result<()> {
    let mut json = serde_json::to_string_pretty(report)
        .map_err(|e| BenchError::Runtime(format!("serialising the report: {e}")))?;
    json.push('\n');
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)
            .map_err(|e| BenchError::io(parent.display().to_string(), e))?;
    }
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, json).map_err(|e| BenchError::io(tmp.display().to_string(), e))?;
    std::fs::rename(&tmp, path).map_err(|e| BenchError::io(path.display().to_string(), e))?;
    Ok(())
}

/// The max parallelism a scenario runs with: production's when it is large
/// enough for the scenario's parallelism, otherwise the default Flink would
/// pick for that parallelism (a job cannot run with fewer key groups than
/// subtasks).
pub fn max_parallelism_for(
    parallelism: u32,
    production_max_parallelism: u32,
) -> (u32, &'static str) {
    if production_max_parallelism >= parallelism {
        (production_max_parallelism, "data/architecture.toml")
    } else {
        (
            partitioners::compute_default_max_parallelism(parallelism),
            "Flink's default for this parallelism (production's is smaller)",
        )
    }
}

/// The run's progress bar over `steps` steps, or a hidden one.
fn progress_bar(show: bool, steps: u64) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::new(steps);
    b.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    b
}
