//! `data/bench/scenarios.toml`: the benchmark's own choices, typed.
//!
//! Parsing (`Raw*`, every number spanned so an error can name its line) and
//! validation (into the plain structs the runner uses) are separate steps.

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::error::Result;
use crate::inputs::{parse_toml, read_text, spanned_error};

/// Which key the keyed operator is partitioned by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// `keyBy(customer_id)`: Flink key groups of the Java `Long` hash.
    Customer,
    /// `keyBy(Tuple2(customer_id, event_type))`, merged per customer downstream.
    Composite,
    /// Hot customers split into `sub_keys` sub-keys chosen per batch, merged downstream.
    Sticky,
}

impl Strategy {
    pub const ALL: [Strategy; 3] = [Strategy::Customer, Strategy::Composite, Strategy::Sticky];

    pub fn name(self) -> &'static str {
        match self {
            Strategy::Customer => "customer",
            Strategy::Composite => "composite",
            Strategy::Sticky => "sticky",
        }
    }
}

/// Where the keyed operator keeps its window state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackendKind {
    Heap,
    Rocksdb,
}

impl BackendKind {
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Heap => "heap",
            BackendKind::Rocksdb => "rocksdb",
        }
    }
}

/// Parameters shared by every run (see the comments in `scenarios.toml`).
#[derive(Debug, Clone, PartialEq)]
pub struct Common {
    pub seed: u64,
    pub event_time_base_ms: i64,
    pub window_size_ms: i64,
    pub allowed_lateness_ms: i64,
    pub out_of_orderness_ms: i64,
    pub watermark_interval_ms: u64,
    pub late_fraction: f64,
    pub late_extra_ms: i64,
    pub value_max: u32,
    pub records_per_buffer: usize,
    pub buffer_timeout_ms: u64,
    pub credits_per_channel: usize,
    pub sleep_threshold_us: u64,
    pub sub_keys: u32,
    pub sticky_min_share: f64,
    pub sticky_batch_records: u32,
    pub lag_growth_tolerance: f64,
    pub latency_growth_tolerance_ms: f64,
    pub lag_sample_interval_ms: u64,
    pub rocksdb_inplace_update_support: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NativePlan {
    pub parallelism: u32,
    pub records_per_buffer: usize,
    pub duration_s: f64,
    pub nominal_event_rate: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DriverPlan {
    pub duration_s: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SweepPlan {
    pub parallelism: u32,
    pub rates: Vec<f64>,
    pub warmup_s: f64,
    pub measure_s: f64,
    pub refine_steps: u32,
    pub checkpoint_interval_ms: u64,
    pub backend: BackendKind,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScalePlan {
    pub parallelism: u32,
    pub rate: f64,
    pub strategy: Strategy,
    pub warmup_s: f64,
    pub measure_s: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FaultPlan {
    pub parallelism: u32,
    pub events: u64,
    pub rate: f64,
    pub kill_subtask: u32,
    pub kill_at_fraction: f64,
    pub checkpoint_interval_ms: u64,
    pub backend: BackendKind,
}

/// The sizes of one mode (`full` or `quick`).
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub native: NativePlan,
    pub driver: DriverPlan,
    pub sweep: SweepPlan,
    pub scale: ScalePlan,
    pub fault: FaultPlan,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scenarios {
    pub common: Common,
    pub full: Plan,
    pub quick: Plan,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    common: RawCommon,
    full: RawPlan,
    quick: RawPlan,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCommon {
    seed: Spanned<i64>,
    event_time_base_ms: Spanned<i64>,
    window_size_ms: Spanned<i64>,
    allowed_lateness_ms: Spanned<i64>,
    out_of_orderness_ms: Spanned<i64>,
    watermark_interval_ms: Spanned<i64>,
    late_fraction: Spanned<f64>,
    late_extra_ms: Spanned<i64>,
    value_max: Spanned<i64>,
    records_per_buffer: Spanned<i64>,
    buffer_timeout_ms: Spanned<i64>,
    credits_per_channel: Spanned<i64>,
    sleep_threshold_us: Spanned<i64>,
    sub_keys: Spanned<i64>,
    sticky_min_share: Spanned<f64>,
    sticky_batch_records: Spanned<i64>,
    lag_growth_tolerance: Spanned<f64>,
    latency_growth_tolerance_ms: Spanned<f64>,
    lag_sample_interval_ms: Spanned<i64>,
    rocksdb_inplace_update_support: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlan {
    native: RawNative,
    driver: RawDriver,
    sweep: RawSweep,
    scale: RawScale,
    fault: RawFault,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNative {
    parallelism: Spanned<i64>,
    records_per_buffer: Spanned<i64>,
    duration_s: Spanned<f64>,
    nominal_event_rate: Spanned<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDriver {
    duration_s: Spanned<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSweep {
    parallelism: Spanned<i64>,
    rates: Spanned<Vec<f64>>,
    warmup_s: Spanned<f64>,
    measure_s: Spanned<f64>,
    refine_steps: Spanned<i64>,
    checkpoint_interval_ms: Spanned<i64>,
    backend: BackendKind,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScale {
    parallelism: Spanned<i64>,
    rate: Spanned<f64>,
    strategy: Strategy,
    warmup_s: Spanned<f64>,
    measure_s: Spanned<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFault {
    parallelism: Spanned<i64>,
    events: Spanned<i64>,
    rate: Spanned<f64>,
    kill_subtask: Spanned<i64>,
    kill_at_fraction: Spanned<f64>,
    checkpoint_interval_ms: Spanned<i64>,
    backend: BackendKind,
}

/// Range checks that name the line of the offending value.
struct Checker<'a> {
    path: &'a Path,
    text: &'a str,
    section: &'a str,
}

impl Checker<'_> {
    fn field(&self, name: &str) -> String {
        format!("{}.{}", self.section, name)
    }

    fn int(&self, v: &Spanned<i64>, name: &str, lo: i64, hi: i64) -> Result<i64> {
        let x = *v.get_ref();
        if x < lo || x > hi {
            return Err(spanned_error(
                self.path,
                self.text,
                v,
                &self.field(name),
                format!("must be in {lo}..={hi}, got {x}"),
            ));
        }
        Ok(x)
    }

    fn float(&self, v: &Spanned<f64>, name: &str, lo: f64, hi: f64) -> Result<f64> {
        let x = *v.get_ref();
        if !x.is_finite() || x < lo || x > hi {
            return Err(spanned_error(
                self.path,
                self.text,
                v,
                &self.field(name),
                format!("must be in [{lo}, {hi}], got {x}"),
            ));
        }
        Ok(x)
    }

    /// Positive durations and rates: strictly above zero.
    fn positive(&self, v: &Spanned<f64>, name: &str, hi: f64) -> Result<f64> {
        let x = self.float(v, name, 0.0, hi)?;
        if x <= 0.0 {
            return Err(spanned_error(
                self.path,
                self.text,
                v,
                &self.field(name),
                "must be positive",
            ));
        }
        Ok(x)
    }
}

const MAX_PARALLELISM: i64 = partitioners::flink::UPPER_BOUND_MAX_PARALLELISM as i64;
const MAX_RATE: f64 = 1e9;
const MAX_SECONDS: f64 = 3600.0;

pub fn load_scenarios(path: &Path) -> Result<Scenarios> {
    let text = read_text(path)?;
    let raw: RawFile = parse_toml(path, &text)?;
    let c = Checker {
        path,
        text: &text,
        section: "common",
    };
    let r = &raw.common;
    let window_size_ms = c.int(&r.window_size_ms, "window_size_ms", 1, 86_400_000)?;
    let event_time_base_ms = c.int(&r.event_time_base_ms, "event_time_base_ms", 0, 1 << 50)?;
    let common = Common {
        seed: c.int(&r.seed, "seed", 0, i64::MAX)? as u64,
        event_time_base_ms,
        window_size_ms,
        allowed_lateness_ms: c.int(&r.allowed_lateness_ms, "allowed_lateness_ms", 0, 86_400_000)?,
        out_of_orderness_ms: c.int(&r.out_of_orderness_ms, "out_of_orderness_ms", 0, 86_400_000)?,
        watermark_interval_ms: c.int(
            &r.watermark_interval_ms,
            "watermark_interval_ms",
            1,
            60_000,
        )? as u64,
        late_fraction: c.float(&r.late_fraction, "late_fraction", 0.0, 1.0)?,
        late_extra_ms: c.int(&r.late_extra_ms, "late_extra_ms", 1, 86_400_000)?,
        value_max: c.int(&r.value_max, "value_max", 1, i64::from(u32::MAX))? as u32,
        records_per_buffer: c.int(&r.records_per_buffer, "records_per_buffer", 1, 1 << 20)?
            as usize,
        buffer_timeout_ms: c.int(&r.buffer_timeout_ms, "buffer_timeout_ms", 1, 60_000)? as u64,
        credits_per_channel: c.int(&r.credits_per_channel, "credits_per_channel", 1, 1 << 16)?
            as usize,
        sleep_threshold_us: c.int(&r.sleep_threshold_us, "sleep_threshold_us", 0, 1_000_000)?
            as u64,
        sub_keys: c.int(&r.sub_keys, "sub_keys", 1, 4096)? as u32,
        sticky_min_share: c.float(&r.sticky_min_share, "sticky_min_share", 0.0, 1.0)?,
        sticky_batch_records: c.int(&r.sticky_batch_records, "sticky_batch_records", 1, 1 << 30)?
            as u32,
        lag_growth_tolerance: c.float(&r.lag_growth_tolerance, "lag_growth_tolerance", 0.0, 1.0)?,
        latency_growth_tolerance_ms: c.float(
            &r.latency_growth_tolerance_ms,
            "latency_growth_tolerance_ms",
            0.0,
            3_600_000.0,
        )?,
        lag_sample_interval_ms: c.int(
            &r.lag_sample_interval_ms,
            "lag_sample_interval_ms",
            1,
            10_000,
        )? as u64,
        rocksdb_inplace_update_support: r.rocksdb_inplace_update_support,
    };
    if event_time_base_ms % window_size_ms != 0 {
        return Err(spanned_error(
            path,
            &text,
            &r.event_time_base_ms,
            "common.event_time_base_ms",
            "must be a multiple of window_size_ms",
        ));
    }
    let full = plan(path, &text, "full", &raw.full)?;
    let quick = plan(path, &text, "quick", &raw.quick)?;
    Ok(Scenarios {
        common,
        full,
        quick,
    })
}

fn plan(path: &Path, text: &str, mode: &str, raw: &RawPlan) -> Result<Plan> {
    let section = |s: &str| format!("{mode}.{s}");
    let n_section = section("native");
    let c = Checker {
        path,
        text,
        section: &n_section,
    };
    let native = NativePlan {
        parallelism: c.int(&raw.native.parallelism, "parallelism", 1, MAX_PARALLELISM)? as u32,
        records_per_buffer: c.int(
            &raw.native.records_per_buffer,
            "records_per_buffer",
            1,
            1 << 20,
        )? as usize,
        duration_s: c.positive(&raw.native.duration_s, "duration_s", MAX_SECONDS)?,
        nominal_event_rate: c.positive(
            &raw.native.nominal_event_rate,
            "nominal_event_rate",
            MAX_RATE,
        )?,
    };
    let d_section = section("driver");
    let c = Checker {
        path,
        text,
        section: &d_section,
    };
    let driver = DriverPlan {
        duration_s: c.positive(&raw.driver.duration_s, "duration_s", MAX_SECONDS)?,
    };

    let s_section = section("sweep");
    let c = Checker {
        path,
        text,
        section: &s_section,
    };
    let s = &raw.sweep;
    let rates = s.rates.get_ref().clone();
    if rates.is_empty() {
        return Err(spanned_error(
            path,
            text,
            &s.rates,
            &c.field("rates"),
            "needs at least one rate",
        ));
    }
    for (i, pair) in rates.windows(2).enumerate() {
        if pair[1] <= pair[0] {
            return Err(spanned_error(
                path,
                text,
                &s.rates,
                &c.field("rates"),
                format!(
                    "rates must increase; rate {} is not above the one before",
                    i + 2
                ),
            ));
        }
    }
    if let Some(bad) = rates
        .iter()
        .find(|r| !r.is_finite() || **r <= 0.0 || **r > MAX_RATE)
    {
        return Err(spanned_error(
            path,
            text,
            &s.rates,
            &c.field("rates"),
            format!("each rate must be in (0, {MAX_RATE}], got {bad}"),
        ));
    }
    let sweep = SweepPlan {
        parallelism: c.int(&s.parallelism, "parallelism", 1, MAX_PARALLELISM)? as u32,
        rates,
        warmup_s: c.float(&s.warmup_s, "warmup_s", 0.0, MAX_SECONDS)?,
        measure_s: c.positive(&s.measure_s, "measure_s", MAX_SECONDS)?,
        refine_steps: c.int(&s.refine_steps, "refine_steps", 0, 20)? as u32,
        checkpoint_interval_ms: c.int(
            &s.checkpoint_interval_ms,
            "checkpoint_interval_ms",
            1,
            3_600_000,
        )? as u64,
        backend: s.backend,
    };

    let sc_section = section("scale");
    let c = Checker {
        path,
        text,
        section: &sc_section,
    };
    let scale = ScalePlan {
        parallelism: c.int(&raw.scale.parallelism, "parallelism", 1, MAX_PARALLELISM)? as u32,
        rate: c.positive(&raw.scale.rate, "rate", MAX_RATE)?,
        strategy: raw.scale.strategy,
        warmup_s: c.float(&raw.scale.warmup_s, "warmup_s", 0.0, MAX_SECONDS)?,
        measure_s: c.positive(&raw.scale.measure_s, "measure_s", MAX_SECONDS)?,
    };

    let f_section = section("fault");
    let c = Checker {
        path,
        text,
        section: &f_section,
    };
    let f = &raw.fault;
    let parallelism = c.int(&f.parallelism, "parallelism", 1, MAX_PARALLELISM)?;
    let fault = FaultPlan {
        parallelism: parallelism as u32,
        events: c.int(&f.events, "events", 1, 1 << 40)? as u64,
        rate: c.positive(&f.rate, "rate", MAX_RATE)?,
        kill_subtask: c.int(&f.kill_subtask, "kill_subtask", 0, parallelism - 1)? as u32,
        kill_at_fraction: c.float(&f.kill_at_fraction, "kill_at_fraction", 0.0, 1.0)?,
        checkpoint_interval_ms: c.int(
            &f.checkpoint_interval_ms,
            "checkpoint_interval_ms",
            1,
            3_600_000,
        )? as u64,
        backend: f.backend,
    };
    Ok(Plan {
        native,
        driver,
        sweep,
        scale,
        fault,
    })
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
