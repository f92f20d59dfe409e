//! The job runtime: one source, P keyed subtasks and one merge/sink task as
//! threads, wired like a Flink job graph.
//!
//! - **Network**: records travel in buffers of `records_per_buffer` over one
//!   bounded channel per subtask holding `credits_per_channel` buffers; a
//!   sender with no credit left blocks (credit-based flow control), and a
//!   partly filled buffer leaves after `buffer_timeout_ms`. Buffers are
//!   recycled to the source, so the steady state allocates nothing.
//! - **Time accounting** per task, as Flink defines its metrics: *idle* is
//!   time waiting for input, *backpressured* is time blocked on output, *busy*
//!   is time processing. In calibrated mode a subtask also owes the production
//!   per-record service time: a virtual clock advances by `max(n × service
//!   time, real work)` per buffer, the task sleeps off its debt once it
//!   exceeds `sleep_threshold_us`, and the virtual time counts as busy.
//! - **Watermarks and checkpoints** travel in-band. The source emits a
//!   watermark every `watermark_interval_ms` of *scheduled* time and a barrier
//!   when the coordinator asks; each subtask snapshots on its barrier; the
//!   merge/sink task aligns barriers from all subtasks (holding back input
//!   from channels whose barrier arrived, in exactly-once mode).
//! - **Failover**: a killed subtask ends its thread; closed channels stop the
//!   others; the coordinator restarts every task from the last completed
//!   checkpoint (exactly-once, at-least-once) or from the source's current
//!   position with empty state (no checkpoints: the lossy baseline).
//!
//! Module map: `attempt` deploys one execution attempt and [`run_job`] fails
//! over between attempts; `source`, `subtask` and `sink` are the three kinds
//! of task, `network` what travels between them; `coordinator` triggers and
//! completes checkpoints and samples the task clocks of `clock`.

mod attempt;
mod clock;
mod coordinator;
mod network;
mod sink;
mod source;
mod subtask;

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::config::{BackendKind, Common};
use crate::error::{BenchError, Result};
use crate::event::EventGenerator;
use crate::partition::PartitionerSpec;
use attempt::{StartFrom, run_attempt};
use clock::cpu_seconds;

pub use clock::TaskTimes;
pub use coordinator::CheckpointStat;
pub use sink::ExternalSink;

/// Native: the real work only. Calibrated: each record also costs the
/// production per-record service time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mode {
    Native,
    Calibrated { service_ns: f64 },
}

/// How the source paces itself.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pacing {
    /// Open loop: event `i` is due at `i / rate`, whatever the system does.
    Open { rate: f64 },
    /// Closed loop: as fast as backpressure allows; send times (and so event
    /// times) still follow `nominal_rate`, so windows fire at a steady pace.
    Closed { nominal_rate: f64 },
}

impl Pacing {
    fn rate(&self) -> f64 {
        match *self {
            Pacing::Open { rate } => rate,
            Pacing::Closed { nominal_rate } => nominal_rate,
        }
    }
}

/// When the source stops.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stop {
    /// A bounded input: after this many events, a final watermark and the end.
    AfterEvents(u64),
    /// An unbounded input cut at this time after the start.
    At(Duration),
}

/// Delivery guarantee, which decides what a failover restores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guarantee {
    /// Aligned barriers, a two-phase-commit sink, restore from the last checkpoint.
    ExactlyOnce,
    /// Unaligned barrier handling at the sink, direct writes, restore from the last checkpoint.
    AtLeastOnce,
    /// No checkpoints: restart from the source's current position with empty state.
    NoCheckpoints,
}

/// Where in its input a killed subtask dies. Each kind also fires at the
/// end of the input if its point never comes, so a planned kill always
/// happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KillAt {
    /// When the subtask first sees a record at or after this offset.
    Offset(u64),
    /// During a checkpoint: at the first barrier after a record at or after
    /// `after_offset`, once the subtask has snapshotted and acknowledged it,
    /// before (`forwarded: false`) or after it sent the barrier on to the
    /// sink; the checkpoint is in flight, and may still complete.
    Barrier { after_offset: u64, forwarded: bool },
    /// During recovery: as soon as the subtask has restored its state,
    /// before it reads any input.
    Restore,
}

/// Kill one keyed subtask of one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    pub subtask: usize,
    pub at: KillAt,
}

/// Everything a job run needs.
#[derive(Debug, Clone)]
pub struct JobSpec {
    pub common: Common,
    pub partitioner: PartitionerSpec,
    pub backend: BackendKind,
    pub mode: Mode,
    pub pacing: Pacing,
    pub stop: Stop,
    pub guarantee: Guarantee,
    /// `None`: no checkpoints.
    pub checkpoint_interval: Option<Duration>,
    /// The measured window `[warmup, warmup + measure)`, for latency,
    /// busy/backpressured/idle and throughput.
    pub measure: Option<(Duration, Duration)>,
    /// The faults of successive attempts: the first kills the first attempt,
    /// the second the attempt that recovers from it, and so on.
    pub faults: Vec<Fault>,
}

/// What a run measured.
#[derive(Debug)]
pub struct JobResult {
    pub wall_s: f64,
    pub attempts: u32,
    /// Per recovery, the checkpoint it restored (`None`: it started over).
    pub restored_from: Vec<Option<u64>>,
    /// Records processed by the keyed subtasks over all attempts (replays included).
    pub records_processed: u64,
    pub late_records: u64,
    pub checkpoints: Vec<CheckpointStat>,
    pub external: ExternalSink,
    pub window: Option<WindowStats>,
    /// CPU seconds of the whole process during the run.
    pub process_cpu_s: f64,
    /// CPU seconds of the source thread and of all keyed subtask threads.
    pub source_cpu_s: f64,
    pub subtasks_cpu_s: f64,
    /// Events the source emitted (highest offset reached).
    pub events_emitted: u64,
}

/// Measurements over the measured window.
#[derive(Debug)]
pub struct WindowStats {
    pub seconds: f64,
    pub offered_rate: f64,
    pub achieved_rate: f64,
    pub subtasks: Vec<TaskTimes>,
    pub source: TaskTimes,
    pub sink: TaskTimes,
    /// Latency (µs) of records sent in the first and second half of the window.
    pub latency_first_half_us: Histogram<u64>,
    pub latency_second_half_us: Histogram<u64>,
    /// (seconds since start, source lag in records).
    pub lag_samples: Vec<(f64, f64)>,
}

/// Runs a job to its end (bounded input or stop time), failing over as
/// many times as it fails.
pub fn run_job(spec: &JobSpec, generator: &EventGenerator) -> Result<JobResult> {
    if spec.partitioner.parallelism == 0 {
        return Err(BenchError::Runtime("parallelism must be positive".into()));
    }
    let wall = Instant::now();
    let cpu0 = cpu_seconds(false);
    let mut external = ExternalSink::default();
    let mut start_from = StartFrom::Scratch;
    let mut attempts = 0u32;
    let mut restored_from = Vec::new();
    let mut records_processed = 0u64;
    // Restored operators carry the side-output count in their snapshot, so
    // the last attempt's count is the job's.
    let mut late_records: u64;
    let mut checkpoints = Vec::new();
    let mut source_cpu_s = 0.0;
    let mut subtasks_cpu_s = 0.0;
    let mut window = None;
    let mut events_emitted = 0;
    loop {
        attempts += 1;
        let fault = spec.faults.get(attempts as usize - 1).copied();
        let out = run_attempt(
            spec,
            generator,
            &start_from,
            fault,
            std::mem::take(&mut external),
        )?;
        external = out.external;
        records_processed += out.records_processed;
        late_records = out.late_records;
        checkpoints.extend(out.checkpoints);
        source_cpu_s += out.source_cpu_s;
        subtasks_cpu_s += out.subtasks_cpu_s;
        events_emitted = events_emitted.max(out.emitted);
        if out.window.is_some() {
            window = out.window;
        }
        if let Some(msg) = out.failure {
            return Err(BenchError::Runtime(msg));
        }
        if !out.killed {
            break;
        }
        // Failover. Uncommitted transactions die with the failed attempt.
        external.abort_all();
        start_from = match spec.guarantee {
            Guarantee::ExactlyOnce | Guarantee::AtLeastOnce => match out.last_checkpoint {
                Some(cp) => StartFrom::Checkpoint(cp),
                None => match start_from {
                    StartFrom::Checkpoint(cp) => StartFrom::Checkpoint(cp),
                    _ => StartFrom::Scratch,
                },
            },
            Guarantee::NoCheckpoints => StartFrom::Position(out.source_position),
        };
        restored_from.push(match &start_from {
            StartFrom::Checkpoint(cp) => Some(cp.id),
            _ => None,
        });
        if attempts > 10 {
            return Err(BenchError::Runtime("more than 10 failovers".into()));
        }
    }
    Ok(JobResult {
        wall_s: wall.elapsed().as_secs_f64(),
        attempts,
        restored_from,
        records_processed,
        late_records,
        checkpoints,
        external,
        window,
        process_cpu_s: cpu_seconds(false) - cpu0,
        source_cpu_s,
        subtasks_cpu_s,
        events_emitted,
    })
}
