//! `data/bench/scenarios.toml`: the benchmark's own choices, typed.
//!
//! Parsing (`Raw*`, every number spanned so an error can name its line) and
//! validation (into the plain structs the prototype runs) are separate steps.
//! Facts the other files of `data/` already state are not repeated here: the
//! window length comes from `architecture.toml`, the buffer timeout, the
//! network buffer size and the credits per channel from `assumptions.toml`,
//! and the records per buffer are derived from the buffer size and the keyed
//! topic's average event size.

use std::path::Path;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::architecture::Architecture;
use crate::assumptions::Assumptions;
use crate::error::InputError;
use crate::toml_file::{self, TomlFile};

/// Which key the keyed operator is partitioned by, as the prototype names it
/// in `scenarios.toml` and `results.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// `keyBy(customer_id)`: Flink key groups of the Java `Long` hash.
    Customer,
    /// `keyBy(Tuple2(customer_id, event_type))`, merged per customer downstream.
    Composite,
    /// Hot customers split into sub-keys chosen per batch, merged downstream.
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

impl std::fmt::Display for Strategy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

/// Where the keyed operator keeps its window state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
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

impl std::fmt::Display for BackendKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

/// Parameters shared by every run (see the comments in `scenarios.toml`).
#[derive(Debug, Clone, PartialEq)]
pub struct Common {
    pub seed: u64,
    pub event_time_base_ms: i64,
    /// `flink.window_s` of `architecture.toml`.
    pub window_size_ms: i64,
    pub allowed_lateness_ms: i64,
    pub out_of_orderness_ms: i64,
    pub watermark_interval_ms: u64,
    pub late_fraction: f64,
    pub late_extra_ms: i64,
    pub value_max: u32,
    /// Bytes of one network buffer (`flink.network_buffer_kib`).
    pub network_buffer_bytes: usize,
    /// Production events that fill one network buffer: buffer bytes ÷ the keyed
    /// topic's average event size, rounded down.
    pub records_per_buffer: usize,
    /// `latency.buffer_timeout_ms`.
    pub buffer_timeout_ms: u64,
    /// Flink's exclusive buffers per channel plus its floating buffers per
    /// gate, all given to the one channel here.
    pub credits_per_channel: usize,
    pub sleep_threshold_us: u64,
    pub sub_keys: u32,
    pub sticky_min_share: f64,
    /// A hot customer keeps one sub-key for one network buffer of its events.
    pub sticky_batch_records: u32,
    pub lag_growth_tolerance: f64,
    pub latency_growth_tolerance_ms: f64,
    pub lag_sample_interval_ms: u64,
    pub rocksdb_inplace_update_support: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NativePlan {
    pub parallelism: u32,
    pub duration_s: f64,
    pub nominal_event_rate: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DriverPlan {
    pub duration_s: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SweepPlan {
    /// Bisections per strategy, each from the plan's peak.
    pub repeats: u32,
    /// A bisection stops when its bracket is narrower than this fraction of its top.
    pub precision: f64,
    /// The factor the bracket moves by while one of its ends is wrong.
    pub step: f64,
    /// The highest rate this machine offers while emulating the plan's
    /// subtasks: the bisections run time-scaled so that two steps above the
    /// peak stay under it.
    pub max_offered_rate: f64,
    pub warmup_s: f64,
    pub measure_s: f64,
    pub checkpoint_interval_ms: u64,
    pub backend: BackendKind,
}

impl SweepPlan {
    /// The smallest whole factor by which the plan's rates are divided (and
    /// its service time multiplied) so that `peak × step²` stays within
    /// `max_offered_rate`; 1 when the machine drives the plan at full rate.
    pub fn time_scale(&self, peak_per_s: f64) -> f64 {
        (peak_per_s * self.step * self.step / self.max_offered_rate)
            .ceil()
            .max(1.0)
    }
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

/// Seeded random kill points per strategy: any subtask, any offset, during a
/// checkpoint, during recovery, twice in a row; each run compared with the
/// same job without a fault.
#[derive(Debug, Clone, PartialEq)]
pub struct KillPointsPlan {
    /// Kill points per strategy.
    pub points: u32,
    pub parallelism: u32,
    pub events: u64,
    /// Closed loop: the source runs as fast as backpressure allows, and
    /// event times follow this rate.
    pub nominal_rate: f64,
    pub checkpoint_interval_ms: u64,
    pub backend: BackendKind,
}

/// The speed targets the run checks itself against.
#[derive(Debug, Clone, PartialEq)]
pub struct Targets {
    pub heap_events_per_core_s: f64,
    pub rocksdb_events_per_core_s: f64,
    pub driver_events_per_s: f64,
}

/// The sizes of one mode (`full` or `quick`).
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub native: NativePlan,
    pub driver: DriverPlan,
    pub sweep: SweepPlan,
    pub scale: ScalePlan,
    pub fault: FaultPlan,
    pub kill_points: KillPointsPlan,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scenarios {
    pub common: Common,
    pub targets: Targets,
    pub full: Plan,
    pub quick: Plan,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    common: RawCommon,
    targets: RawTargets,
    full: RawPlan,
    quick: RawPlan,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCommon {
    seed: Spanned<i64>,
    event_time_base_ms: Spanned<i64>,
    allowed_lateness_ms: Spanned<i64>,
    out_of_orderness_ms: Spanned<i64>,
    watermark_interval_ms: Spanned<i64>,
    late_fraction: Spanned<f64>,
    late_extra_ms: Spanned<i64>,
    value_max: Spanned<i64>,
    sleep_threshold_us: Spanned<i64>,
    sub_keys: Spanned<i64>,
    sticky_min_share: Spanned<f64>,
    lag_growth_tolerance: Spanned<f64>,
    latency_growth_tolerance_ms: Spanned<f64>,
    lag_sample_interval_ms: Spanned<i64>,
    rocksdb_inplace_update_support: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTargets {
    heap_events_per_core_s: Spanned<f64>,
    rocksdb_events_per_core_s: Spanned<f64>,
    driver_events_per_s: Spanned<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlan {
    native: RawNative,
    driver: RawDriver,
    sweep: RawSweep,
    scale: RawScale,
    fault: RawFault,
    kill_points: RawKillPoints,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNative {
    parallelism: Spanned<i64>,
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
    repeats: Spanned<i64>,
    precision: Spanned<f64>,
    step: Spanned<f64>,
    max_offered_rate: Spanned<f64>,
    warmup_s: Spanned<f64>,
    measure_s: Spanned<f64>,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKillPoints {
    points: Spanned<i64>,
    parallelism: Spanned<i64>,
    events: Spanned<i64>,
    nominal_rate: Spanned<f64>,
    checkpoint_interval_ms: Spanned<i64>,
    backend: BackendKind,
}

/// Range checks that name the line of the offending value.
struct Checker<'a> {
    path: &'a Path,
    file: &'a TomlFile<RawFile>,
    section: String,
}

impl Checker<'_> {
    fn error<V>(&self, v: &Spanned<V>, name: &str, message: impl Into<String>) -> InputError {
        self.file
            .spanned_error(self.path, v, format!("{}.{name}", self.section), message)
    }

    fn int(&self, v: &Spanned<i64>, name: &str, lo: i64, hi: i64) -> Result<i64, InputError> {
        let x = *v.get_ref();
        if x < lo || x > hi {
            return Err(self.error(
                v,
                name,
                format!("expected a value in {lo}..={hi}, found {x}"),
            ));
        }
        Ok(x)
    }

    fn float(&self, v: &Spanned<f64>, name: &str, lo: f64, hi: f64) -> Result<f64, InputError> {
        let x = *v.get_ref();
        if !x.is_finite() || x < lo || x > hi {
            return Err(self.error(
                v,
                name,
                format!("expected a value in [{lo}, {hi}], found {x}"),
            ));
        }
        Ok(x)
    }

    /// Durations and rates: strictly above zero.
    fn positive(&self, v: &Spanned<f64>, name: &str, hi: f64) -> Result<f64, InputError> {
        let x = self.float(v, name, 0.0, hi)?;
        if x <= 0.0 {
            return Err(self.error(v, name, "expected a value > 0, found 0"));
        }
        Ok(x)
    }
}

const MAX_PARALLELISM: i64 = partitioners::flink::UPPER_BOUND_MAX_PARALLELISM as i64;
const MAX_RATE: f64 = 1e9;
const MAX_SECONDS: f64 = 3600.0;

/// Loads `scenarios.toml`, taking the facts it does not repeat from the
/// already validated architecture and assumptions.
pub fn load(
    path: &Path,
    architecture: &Architecture,
    assumptions: &Assumptions,
) -> Result<Scenarios, InputError> {
    let file = toml_file::read::<RawFile>(path)?;
    let raw = &file.value;
    let c = Checker {
        path,
        file: &file,
        section: "common".into(),
    };
    let r = &raw.common;
    // Both were validated by their own loaders; whole milliseconds and bytes here.
    let window_size_ms = (architecture.flink.window_s * 1000.0).round() as i64;
    let flink = &assumptions.flink;
    let network_buffer_bytes = (flink.network_buffer_kib.value * 1024.0).round() as usize;
    let event_bytes = architecture.keyed_topic().avg_event_bytes;
    let records_per_buffer = ((network_buffer_bytes as f64 / event_bytes).floor() as usize).max(1);
    let event_time_base_ms = c.int(&r.event_time_base_ms, "event_time_base_ms", 0, 1 << 50)?;
    if window_size_ms < 1 || event_time_base_ms % window_size_ms != 0 {
        return Err(c.error(
            &r.event_time_base_ms,
            "event_time_base_ms",
            format!(
                "expected a multiple of the window length ({window_size_ms} ms, flink.window_s in architecture.toml)"
            ),
        ));
    }
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
        network_buffer_bytes,
        records_per_buffer,
        buffer_timeout_ms: assumptions.latency.buffer_timeout_ms.value.round().max(1.0) as u64,
        credits_per_channel: (flink.exclusive_buffers_per_channel.value
            + flink.floating_buffers_per_gate.value)
            .round()
            .max(1.0) as usize,
        sleep_threshold_us: c.int(&r.sleep_threshold_us, "sleep_threshold_us", 0, 1_000_000)?
            as u64,
        sub_keys: c.int(&r.sub_keys, "sub_keys", 1, 4096)? as u32,
        sticky_min_share: c.float(&r.sticky_min_share, "sticky_min_share", 0.0, 1.0)?,
        sticky_batch_records: records_per_buffer as u32,
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
    let t = &raw.targets;
    let c = Checker {
        path,
        file: &file,
        section: "targets".into(),
    };
    let targets = Targets {
        heap_events_per_core_s: c.positive(
            &t.heap_events_per_core_s,
            "heap_events_per_core_s",
            MAX_RATE,
        )?,
        rocksdb_events_per_core_s: c.positive(
            &t.rocksdb_events_per_core_s,
            "rocksdb_events_per_core_s",
            MAX_RATE,
        )?,
        driver_events_per_s: c.positive(&t.driver_events_per_s, "driver_events_per_s", MAX_RATE)?,
    };
    Ok(Scenarios {
        common,
        targets,
        full: plan(path, &file, "full", &raw.full)?,
        quick: plan(path, &file, "quick", &raw.quick)?,
    })
}

fn plan(
    path: &Path,
    file: &TomlFile<RawFile>,
    mode: &str,
    raw: &RawPlan,
) -> Result<Plan, InputError> {
    let checker = |s: &str| Checker {
        path,
        file,
        section: format!("{mode}.{s}"),
    };
    let c = checker("native");
    let native = NativePlan {
        parallelism: c.int(&raw.native.parallelism, "parallelism", 1, MAX_PARALLELISM)? as u32,
        duration_s: c.positive(&raw.native.duration_s, "duration_s", MAX_SECONDS)?,
        nominal_event_rate: c.positive(
            &raw.native.nominal_event_rate,
            "nominal_event_rate",
            MAX_RATE,
        )?,
    };
    let c = checker("driver");
    let driver = DriverPlan {
        duration_s: c.positive(&raw.driver.duration_s, "duration_s", MAX_SECONDS)?,
    };

    let c = checker("sweep");
    let s = &raw.sweep;
    let sweep = SweepPlan {
        repeats: c.int(&s.repeats, "repeats", 1, 20)? as u32,
        precision: c.float(&s.precision, "precision", 1e-4, 0.5)?,
        step: c.float(&s.step, "step", 1.05, 4.0)?,
        max_offered_rate: c.positive(&s.max_offered_rate, "max_offered_rate", MAX_RATE)?,
        warmup_s: c.float(&s.warmup_s, "warmup_s", 0.0, MAX_SECONDS)?,
        measure_s: c.positive(&s.measure_s, "measure_s", MAX_SECONDS)?,
        checkpoint_interval_ms: c.int(
            &s.checkpoint_interval_ms,
            "checkpoint_interval_ms",
            1,
            3_600_000,
        )? as u64,
        backend: s.backend,
    };

    let c = checker("scale");
    let scale = ScalePlan {
        parallelism: c.int(&raw.scale.parallelism, "parallelism", 1, MAX_PARALLELISM)? as u32,
        rate: c.positive(&raw.scale.rate, "rate", MAX_RATE)?,
        strategy: raw.scale.strategy,
        warmup_s: c.float(&raw.scale.warmup_s, "warmup_s", 0.0, MAX_SECONDS)?,
        measure_s: c.positive(&raw.scale.measure_s, "measure_s", MAX_SECONDS)?,
    };

    let c = checker("fault");
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
    let c = checker("kill_points");
    let k = &raw.kill_points;
    let kill_points = KillPointsPlan {
        points: c.int(&k.points, "points", 1, 100_000)? as u32,
        parallelism: c.int(&k.parallelism, "parallelism", 1, MAX_PARALLELISM)? as u32,
        events: c.int(&k.events, "events", 1, 1 << 40)? as u64,
        nominal_rate: c.positive(&k.nominal_rate, "nominal_rate", MAX_RATE)?,
        checkpoint_interval_ms: c.int(
            &k.checkpoint_interval_ms,
            "checkpoint_interval_ms",
            1,
            3_600_000,
        )? as u64,
        backend: k.backend,
    };
    Ok(Plan {
        native,
        driver,
        sweep,
        scale,
        fault,
        kill_points,
    })
}
