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

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TrySendError, bounded, unbounded};
use hdrhistogram::Histogram;

use crate::codec::Reader;
use crate::config::{BackendKind, Common};
use crate::error::{BenchError, Result};
use crate::event::{EventGenerator, Record, Schedule};
use crate::operator::{FinalRow, MergeOperator, WindowOperator, WindowResult, WindowSpec};
use crate::partition::{AnyPartitioner, Partitioner, PartitionerSpec};
use crate::state::AnyBackend;

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

/// Kill one subtask when it first sees a record at or after an offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    pub subtask: usize,
    pub at_offset: u64,
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
    pub fault: Option<Fault>,
}

/// Cumulative task time, published by the task for the coordinator to sample.
#[derive(Default)]
pub struct TaskClock {
    busy_ns: AtomicU64,
    backpressured_ns: AtomicU64,
    idle_ns: AtomicU64,
    records: AtomicU64,
}

/// A sample of a [`TaskClock`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ClockSample {
    pub busy_ns: u64,
    pub backpressured_ns: u64,
    pub idle_ns: u64,
    pub records: u64,
}

impl TaskClock {
    fn sample(&self) -> ClockSample {
        ClockSample {
            busy_ns: self.busy_ns.load(Ordering::Relaxed),
            backpressured_ns: self.backpressured_ns.load(Ordering::Relaxed),
            idle_ns: self.idle_ns.load(Ordering::Relaxed),
            records: self.records.load(Ordering::Relaxed),
        }
    }
}

/// Busy, backpressured and idle milliseconds per second over a window.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TaskTimes {
    pub busy_ms_per_s: f64,
    pub backpressured_ms_per_s: f64,
    pub idle_ms_per_s: f64,
    pub records_per_s: f64,
}

fn times_between(a: ClockSample, b: ClockSample, seconds: f64) -> TaskTimes {
    let per_s = |x: u64, y: u64| (y.saturating_sub(x)) as f64 / 1e6 / seconds;
    TaskTimes {
        busy_ms_per_s: per_s(a.busy_ns, b.busy_ns),
        backpressured_ms_per_s: per_s(a.backpressured_ns, b.backpressured_ns),
        idle_ms_per_s: per_s(a.idle_ns, b.idle_ns),
        records_per_s: (b.records.saturating_sub(a.records)) as f64 / seconds,
    }
}

/// The external table the sink writes to (ClickHouse in production): an
/// append log of rows, with transactions for the exactly-once sink.
#[derive(Debug, Default, Clone)]
pub struct ExternalSink {
    pub committed: Vec<FinalRow>,
    precommitted: BTreeMap<u64, Vec<FinalRow>>,
}

impl ExternalSink {
    fn commit_up_to(&mut self, checkpoint: u64) {
        let later = self.precommitted.split_off(&(checkpoint + 1));
        for (_, rows) in std::mem::replace(&mut self.precommitted, later) {
            self.committed.extend(rows);
        }
    }

    fn abort_all(&mut self) {
        self.precommitted.clear();
    }

    /// The table as a reader sees it: the last row per (window, customer).
    pub fn table(&self) -> BTreeMap<(i64, i64), FinalRow> {
        let mut t = BTreeMap::new();
        for r in &self.committed {
            t.insert((r.window_start, r.customer_id), *r);
        }
        t
    }
}

/// The source's checkpointed position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceState {
    pub next_offset: u64,
    pub max_event_time: i64,
    pub next_watermark_ns: u64,
    pub last_watermark: i64,
}

impl SourceState {
    fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(32);
        b.extend_from_slice(&self.next_offset.to_le_bytes());
        b.extend_from_slice(&self.max_event_time.to_le_bytes());
        b.extend_from_slice(&self.next_watermark_ns.to_le_bytes());
        b.extend_from_slice(&self.last_watermark.to_le_bytes());
        b
    }

    fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes);
        Ok(SourceState {
            next_offset: r.u64()?,
            max_event_time: r.i64()?,
            next_watermark_ns: r.u64()?,
            last_watermark: r.i64()?,
        })
    }
}

/// A checkpoint every task acknowledged.
#[derive(Debug, Clone)]
pub struct CompletedCheckpoint {
    pub id: u64,
    pub source: SourceState,
    pub subtasks: Vec<Vec<u8>>,
    pub sink: Vec<u8>,
}

/// Duration (trigger to last acknowledgement) and size of one checkpoint.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CheckpointStat {
    pub id: u64,
    pub duration_ms: f64,
    pub bytes: u64,
}

/// What a run measured.
#[derive(Debug)]
pub struct JobResult {
    pub wall_s: f64,
    pub attempts: u32,
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

enum DataMsg {
    Records(Vec<Record>),
    Watermark(i64),
    Barrier(u64),
    End,
}

enum ResultMsg {
    Rows(Vec<WindowResult>),
    Watermark(i64),
    Barrier(u64),
    End,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TaskId {
    Source,
    Subtask(usize),
    Sink,
}

#[derive(Debug)]
enum Exit {
    Finished,
    Cancelled,
    Killed,
    Failed(String),
}

struct SubtaskReport {
    late_records: u64,
    latency_first: Histogram<u64>,
    latency_second: Histogram<u64>,
    cpu_s: f64,
}

enum CoordMsg {
    Ack {
        id: u64,
        task: TaskId,
        state: Vec<u8>,
    },
    Done {
        task: TaskId,
        exit: Exit,
        // Boxed: histograms make the report large, and acks are frequent.
        report: Option<Box<SubtaskReport>>,
        cpu_s: f64,
    },
}

fn new_histogram() -> Histogram<u64> {
    // 1 µs to 1 hour at 3 significant digits; the bounds are valid constants.
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid histogram bounds")
}

/// CPU seconds of the calling thread (`/proc/thread-self/stat`), or of the
/// process (`/proc/self/stat`). Linux reports them in USER_HZ = 100 ticks.
pub fn cpu_seconds(thread: bool) -> f64 {
    let path = if thread {
        "/proc/thread-self/stat"
    } else {
        "/proc/self/stat"
    };
    let Ok(text) = std::fs::read_to_string(path) else {
        return 0.0;
    };
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields overall.
    let Some(rest) = text.rfind(')').map(|i| &text[i + 1..]) else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (tick(11) + tick(12)) / 100.0
}

/// Shared by the tasks of one attempt.
struct Shared {
    start: Instant,
    cancel: AtomicBool,
    checkpoint_request: AtomicU64,
    emitted: AtomicU64,
    source_clock: TaskClock,
    subtask_clocks: Vec<TaskClock>,
    sink_clock: TaskClock,
    external: Mutex<ExternalSink>,
}

impl Shared {
    #[inline]
    fn now_ns(&self) -> u64 {
        self.start.elapsed().as_nanos() as u64
    }
}

/// Where an attempt starts from.
#[derive(Clone)]
enum StartFrom {
    Scratch,
    Checkpoint(CompletedCheckpoint),
    /// Empty state, the source at this position (no checkpoints).
    Position(SourceState),
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
        let fault = if attempts == 1 { spec.fault } else { None };
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
        if attempts > 10 {
            return Err(BenchError::Runtime("more than 10 failovers".into()));
        }
    }
    Ok(JobResult {
        wall_s: wall.elapsed().as_secs_f64(),
        attempts,
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

struct AttemptOutcome {
    external: ExternalSink,
    killed: bool,
    failure: Option<String>,
    last_checkpoint: Option<CompletedCheckpoint>,
    source_position: SourceState,
    records_processed: u64,
    late_records: u64,
    checkpoints: Vec<CheckpointStat>,
    window: Option<WindowStats>,
    source_cpu_s: f64,
    subtasks_cpu_s: f64,
    emitted: u64,
}

struct PendingCheckpoint {
    started: Instant,
    source: Option<SourceState>,
    subtasks: Vec<Option<Vec<u8>>>,
    sink: Option<Vec<u8>>,
    bytes: u64,
}

fn run_attempt(
    spec: &JobSpec,
    generator: &EventGenerator,
    start_from: &StartFrom,
    fault: Option<Fault>,
    external: ExternalSink,
) -> Result<AttemptOutcome> {
    let p = spec.partitioner.parallelism as usize;
    let common = &spec.common;
    let window_spec = WindowSpec {
        size_ms: common.window_size_ms,
        allowed_lateness_ms: common.allowed_lateness_ms,
    };
    let merge = AnyPartitioner::new(&spec.partitioner).merges_downstream();

    // Restore operators before any thread starts, so a bad snapshot fails cleanly.
    let mut operators = Vec::with_capacity(p);
    for i in 0..p {
        let mut op = WindowOperator::new(
            window_spec,
            AnyBackend::open(spec.backend, common.rocksdb_inplace_update_support)?,
        );
        if let StartFrom::Checkpoint(cp) = start_from {
            op.restore(&cp.subtasks[i])?;
        }
        operators.push(op);
    }
    let mut merge_op = MergeOperator::new(window_spec, p, merge);
    let source_state = match start_from {
        StartFrom::Scratch => SourceState {
            next_offset: 0,
            max_event_time: i64::MIN,
            next_watermark_ns: common.watermark_interval_ms * 1_000_000,
            last_watermark: i64::MIN,
        },
        StartFrom::Checkpoint(cp) => {
            merge_op.restore(&cp.sink)?;
            cp.source
        }
        StartFrom::Position(s) => *s,
    };

    let shared = Arc::new(Shared {
        start: Instant::now(),
        cancel: AtomicBool::new(false),
        checkpoint_request: AtomicU64::new(match start_from {
            StartFrom::Checkpoint(cp) => cp.id,
            _ => 0,
        }),
        emitted: AtomicU64::new(source_state.next_offset),
        source_clock: TaskClock::default(),
        subtask_clocks: (0..p).map(|_| TaskClock::default()).collect(),
        sink_clock: TaskClock::default(),
        external: Mutex::new(external),
    });
    // Restored attempts replay from an offset: their schedule starts at that
    // offset's send time, so the source is not instantly behind.
    let schedule = Schedule::new(spec.pacing.rate());
    let time_offset_ns = schedule.sched_ns(source_state.next_offset);

    let (coord_tx, coord_rx) = unbounded::<CoordMsg>();
    let (recycle_tx, recycle_rx) = unbounded::<Vec<Record>>();
    let mut data_txs = Vec::with_capacity(p);
    let mut data_rxs = Vec::with_capacity(p);
    for _ in 0..p {
        let (tx, rx) = bounded::<DataMsg>(common.credits_per_channel);
        data_txs.push(tx);
        data_rxs.push(rx);
    }
    let (result_tx, result_rx) =
        bounded::<(usize, ResultMsg)>(common.credits_per_channel * p.max(1));

    let mut outcome = AttemptOutcome {
        external: ExternalSink::default(),
        killed: false,
        failure: None,
        last_checkpoint: match start_from {
            StartFrom::Checkpoint(cp) => Some(cp.clone()),
            _ => None,
        },
        source_position: source_state,
        records_processed: 0,
        late_records: 0,
        checkpoints: Vec::new(),
        window: None,
        source_cpu_s: 0.0,
        subtasks_cpu_s: 0.0,
        emitted: 0,
    };

    std::thread::scope(|scope| -> Result<()> {
        // Source.
        {
            let shared = Arc::clone(&shared);
            let coord = coord_tx.clone();
            let txs = std::mem::take(&mut data_txs);
            let recycle = recycle_rx;
            let mut source = Source {
                spec,
                generator,
                partitioner: AnyPartitioner::new(&spec.partitioner),
                schedule,
                time_offset_ns,
                state: source_state,
                shared: Arc::clone(&shared),
                coord: coord.clone(),
                txs,
                recycle,
                buffers: (0..p).map(|_| Vec::new()).collect(),
                buffer_since: vec![0; p],
                last_checkpoint: shared.checkpoint_request.load(Ordering::Relaxed),
                backpressured_ns: 0,
                idle_ns: 0,
            };
            scope.spawn(move || {
                let exit = source.run();
                let position = source.state;
                let _ = coord.send(CoordMsg::Ack {
                    id: u64::MAX,
                    task: TaskId::Source,
                    state: position.encode(),
                });
                let _ = coord.send(CoordMsg::Done {
                    task: TaskId::Source,
                    exit,
                    report: None,
                    cpu_s: cpu_seconds(true),
                });
            });
        }
        // Keyed subtasks.
        for (i, (op, rx)) in operators.drain(..).zip(data_rxs.drain(..)).enumerate() {
            let shared = Arc::clone(&shared);
            let coord = coord_tx.clone();
            let out = result_tx.clone();
            let recycle = recycle_tx.clone();
            let fault_here = fault.filter(|f| f.subtask == i);
            scope.spawn(move || {
                let mut task = Subtask {
                    index: i,
                    spec,
                    op,
                    rx,
                    out,
                    recycle,
                    coord: coord.clone(),
                    shared: Arc::clone(&shared),
                    fault: fault_here,
                    latency_first: new_histogram(),
                    latency_second: new_histogram(),
                };
                let exit = task.run();
                let _ = coord.send(CoordMsg::Done {
                    task: TaskId::Subtask(i),
                    exit,
                    report: Some(Box::new(SubtaskReport {
                        late_records: task.op.late_records(),
                        latency_first: task.latency_first,
                        latency_second: task.latency_second,
                        cpu_s: cpu_seconds(true),
                    })),
                    cpu_s: 0.0,
                });
            });
        }
        drop(result_tx);
        drop(recycle_tx);
        // Merge / sink.
        {
            let shared = Arc::clone(&shared);
            let coord = coord_tx.clone();
            let guarantee = spec.guarantee;
            scope.spawn(move || {
                let exit = run_sink(&shared, &coord, merge_op, result_rx, p, guarantee);
                let _ = coord.send(CoordMsg::Done {
                    task: TaskId::Sink,
                    exit,
                    report: None,
                    cpu_s: cpu_seconds(true),
                });
            });
        }
        drop(coord_tx);
        coordinate(spec, &shared, &coord_rx, p, &mut outcome);
        Ok(())
    })?;

    let shared = Arc::try_unwrap(shared)
        .map_err(|_| BenchError::Runtime("tasks still hold the job's shared state".into()))?;
    outcome.external = shared
        .external
        .into_inner()
        .map_err(|_| BenchError::Runtime("a task panicked while writing the sink".into()))?;
    outcome.emitted = shared.emitted.load(Ordering::Relaxed);
    Ok(outcome)
}

/// The checkpoint coordinator and metrics sampler, on the caller's thread.
fn coordinate(
    spec: &JobSpec,
    shared: &Shared,
    rx: &Receiver<CoordMsg>,
    p: usize,
    outcome: &mut AttemptOutcome,
) {
    let tick = Duration::from_millis(spec.common.lag_sample_interval_ms);
    let mut next_tick = Instant::now() + tick;
    let mut next_checkpoint = spec.checkpoint_interval.map(|d| Instant::now() + d);
    let mut pending: Option<(u64, PendingCheckpoint)> = None;
    let mut done = 0usize;
    let total_tasks = p + 2;
    let rate = spec.pacing.rate();
    let schedule = Schedule::new(rate);
    let offset_ns = schedule.sched_ns(outcome.source_position.next_offset);

    // Measured window.
    let (w_start, w_end) = match spec.measure {
        Some((warm, len)) => (Some(warm), Some(warm + len)),
        None => (None, None),
    };
    let mut start_samples: Option<(Vec<ClockSample>, ClockSample, ClockSample)> = None;
    let mut end_samples: Option<(Vec<ClockSample>, ClockSample, ClockSample)> = None;
    let mut lag_samples = Vec::new();
    let mut reports: Vec<Option<Box<SubtaskReport>>> = (0..p).map(|_| None).collect();
    let sample_all = |s: &Shared| {
        (
            s.subtask_clocks
                .iter()
                .map(|c| c.sample())
                .collect::<Vec<_>>(),
            s.source_clock.sample(),
            s.sink_clock.sample(),
        )
    };

    while done < total_tasks {
        let now = Instant::now();
        let elapsed = shared.start.elapsed();
        if let (Some(ws), None) = (w_start, &start_samples)
            && elapsed >= ws
        {
            start_samples = Some(sample_all(shared));
        }
        if let (Some(we), None) = (w_end, &end_samples)
            && elapsed >= we
        {
            end_samples = Some(sample_all(shared));
        }
        if let Stop::At(d) = spec.stop
            && elapsed >= d
        {
            shared.cancel.store(true, Ordering::Relaxed);
        }
        if now >= next_tick {
            next_tick = now + tick;
            if matches!(spec.pacing, Pacing::Open { .. }) {
                let due = schedule.due(elapsed.as_nanos() as u64 + offset_ns);
                let due = match spec.stop {
                    Stop::AfterEvents(n) => due.min(n),
                    Stop::At(_) => due,
                };
                let emitted = shared.emitted.load(Ordering::Relaxed);
                lag_samples.push((elapsed.as_secs_f64(), due.saturating_sub(emitted) as f64));
            }
        }
        if let Some(at) = next_checkpoint
            && now >= at
            && pending.is_none()
            && !shared.cancel.load(Ordering::Relaxed)
            && spec.guarantee != Guarantee::NoCheckpoints
        {
            let id = shared.checkpoint_request.load(Ordering::Relaxed) + 1;
            shared.checkpoint_request.store(id, Ordering::Relaxed);
            pending = Some((
                id,
                PendingCheckpoint {
                    started: now,
                    source: None,
                    subtasks: (0..p).map(|_| None).collect(),
                    sink: None,
                    bytes: 0,
                },
            ));
            next_checkpoint = spec.checkpoint_interval.map(|d| now + d);
        }
        let wait = next_tick
            .saturating_duration_since(Instant::now())
            .min(tick);
        match rx.recv_timeout(wait) {
            Ok(CoordMsg::Ack { id, task, state }) => {
                if id == u64::MAX {
                    // The source's final position (for a restart without checkpoints).
                    if let Ok(s) = SourceState::decode(&state) {
                        outcome.source_position = s;
                    }
                    continue;
                }
                let Some((pid, cp)) = pending.as_mut() else {
                    continue;
                };
                if *pid != id {
                    continue;
                }
                cp.bytes += state.len() as u64;
                match task {
                    TaskId::Source => cp.source = SourceState::decode(&state).ok(),
                    TaskId::Subtask(i) => cp.subtasks[i] = Some(state),
                    TaskId::Sink => cp.sink = Some(state),
                }
                if cp.source.is_some()
                    && cp.sink.is_some()
                    && cp.subtasks.iter().all(|s| s.is_some())
                {
                    let (id, cp) = pending.take().expect("pending checkpoint checked above");
                    outcome.checkpoints.push(CheckpointStat {
                        id,
                        duration_ms: cp.started.elapsed().as_secs_f64() * 1e3,
                        bytes: cp.bytes,
                    });
                    if let Ok(mut ext) = shared.external.lock() {
                        ext.commit_up_to(id);
                    }
                    outcome.last_checkpoint = Some(CompletedCheckpoint {
                        id,
                        source: cp.source.expect("checked above"),
                        subtasks: cp
                            .subtasks
                            .into_iter()
                            .map(|s| s.unwrap_or_default())
                            .collect(),
                        sink: cp.sink.unwrap_or_default(),
                    });
                }
            }
            Ok(CoordMsg::Done {
                task,
                exit,
                report,
                cpu_s,
            }) => {
                done += 1;
                match task {
                    TaskId::Source => outcome.source_cpu_s += cpu_s,
                    TaskId::Subtask(i) => {
                        if let Some(r) = report {
                            outcome.subtasks_cpu_s += r.cpu_s;
                            outcome.late_records += r.late_records;
                            reports[i] = Some(r);
                        }
                    }
                    TaskId::Sink => {}
                }
                match exit {
                    Exit::Finished | Exit::Cancelled => {}
                    Exit::Killed => {
                        outcome.killed = true;
                        shared.cancel.store(true, Ordering::Relaxed);
                    }
                    Exit::Failed(msg) => {
                        outcome.failure.get_or_insert(format!("{task:?}: {msg}"));
                        shared.cancel.store(true, Ordering::Relaxed);
                    }
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    outcome.records_processed = shared
        .subtask_clocks
        .iter()
        .map(|c| c.sample().records)
        .sum();

    if let (Some((warm, len)), Some(a)) = (spec.measure, start_samples) {
        let b = end_samples.unwrap_or_else(|| sample_all(shared));
        let seconds = len.as_secs_f64();
        let subtasks: Vec<TaskTimes> =
            a.0.iter()
                .zip(&b.0)
                .map(|(x, y)| times_between(*x, *y, seconds))
                .collect();
        let achieved = subtasks.iter().map(|t| t.records_per_s).sum();
        let mut first = new_histogram();
        let mut second = new_histogram();
        for r in reports.iter().flatten() {
            // Same bounds on every histogram, so adding cannot fail.
            let _ = first.add(&r.latency_first);
            let _ = second.add(&r.latency_second);
        }
        let lo = warm.as_secs_f64();
        let hi = lo + seconds;
        outcome.window = Some(WindowStats {
            seconds,
            offered_rate: rate,
            achieved_rate: achieved,
            source: times_between(a.1, b.1, seconds),
            sink: times_between(a.2, b.2, seconds),
            subtasks,
            latency_first_half_us: first,
            latency_second_half_us: second,
            lag_samples: lag_samples
                .into_iter()
                .filter(|(t, _)| *t >= lo && *t <= hi)
                .collect(),
        });
    }
}

struct Source<'a> {
    spec: &'a JobSpec,
    generator: &'a EventGenerator,
    partitioner: AnyPartitioner,
    schedule: Schedule,
    /// Send time of the first offset of this attempt (a restored source
    /// continues the original timeline).
    time_offset_ns: u64,
    state: SourceState,
    shared: Arc<Shared>,
    coord: Sender<CoordMsg>,
    txs: Vec<Sender<DataMsg>>,
    recycle: Receiver<Vec<Record>>,
    buffers: Vec<Vec<Record>>,
    /// When each non-empty buffer got its first record (ns since start).
    buffer_since: Vec<u64>,
    last_checkpoint: u64,
    backpressured_ns: u64,
    idle_ns: u64,
}

/// The most events the source generates between two looks at the clock.
const MAX_CHUNK: u64 = 4096;
/// How long an open-loop source that has caught up sleeps before it looks again.
const SOURCE_TICK: Duration = Duration::from_micros(200);

enum SendError {
    Closed,
}

impl Source<'_> {
    fn run(&mut self) -> Exit {
        match self.run_inner() {
            Ok(()) => Exit::Finished,
            Err(SendError::Closed) => Exit::Cancelled,
        }
    }

    fn publish(&self) {
        let c = &self.shared.source_clock;
        c.backpressured_ns
            .store(self.backpressured_ns, Ordering::Relaxed);
        c.idle_ns.store(self.idle_ns, Ordering::Relaxed);
        let now = self.shared.now_ns();
        c.busy_ns.store(
            now.saturating_sub(self.backpressured_ns + self.idle_ns),
            Ordering::Relaxed,
        );
        c.records.store(self.state.next_offset, Ordering::Relaxed);
        self.shared
            .emitted
            .store(self.state.next_offset, Ordering::Relaxed);
    }

    fn send(&mut self, to: usize, msg: DataMsg) -> Result<(), SendError> {
        match self.txs[to].try_send(msg) {
            Ok(()) => Ok(()),
            Err(TrySendError::Disconnected(_)) => Err(SendError::Closed),
            Err(TrySendError::Full(msg)) => {
                let t0 = Instant::now();
                let r = self.txs[to].send(msg).map_err(|_| SendError::Closed);
                self.backpressured_ns += t0.elapsed().as_nanos() as u64;
                r
            }
        }
    }

    fn flush(&mut self, to: usize) -> Result<(), SendError> {
        if self.buffers[to].is_empty() {
            return Ok(());
        }
        let fresh = self
            .recycle
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(self.spec.common.records_per_buffer));
        let full = std::mem::replace(&mut self.buffers[to], fresh);
        self.send(to, DataMsg::Records(full))
    }

    fn flush_all(&mut self) -> Result<(), SendError> {
        for i in 0..self.buffers.len() {
            self.flush(i)?;
        }
        Ok(())
    }

    fn broadcast(&mut self, make: impl Fn() -> DataMsg) -> Result<(), SendError> {
        self.flush_all()?;
        for i in 0..self.txs.len() {
            self.send(i, make())?;
        }
        Ok(())
    }

    fn emit_watermark(&mut self) -> Result<(), SendError> {
        let bound = self.spec.common.out_of_orderness_ms;
        let wm = self.state.max_event_time.saturating_sub(bound + 1);
        if self.state.max_event_time != i64::MIN && wm > self.state.last_watermark {
            self.state.last_watermark = wm;
            self.broadcast(|| DataMsg::Watermark(wm))?;
        }
        Ok(())
    }

    fn run_inner(&mut self) -> Result<(), SendError> {
        let cap = self.spec.common.records_per_buffer;
        let timeout_ns = self.spec.common.buffer_timeout_ms * 1_000_000;
        let wm_interval_ns = self.spec.common.watermark_interval_ms * 1_000_000;
        let end = match self.spec.stop {
            Stop::AfterEvents(n) => n,
            Stop::At(_) => u64::MAX,
        };
        let open = matches!(self.spec.pacing, Pacing::Open { .. });
        for b in &mut self.buffers {
            b.reserve(cap);
        }
        loop {
            if self.shared.cancel.load(Ordering::Relaxed) {
                self.publish();
                return Err(SendError::Closed);
            }
            let now = self.shared.now_ns();
            if self.state.next_offset >= end {
                // End of a bounded input: Flink's MAX_WATERMARK fires every window.
                self.state.max_event_time = i64::MAX;
                self.state.last_watermark = i64::MAX;
                self.broadcast(|| DataMsg::Watermark(i64::MAX))?;
                self.broadcast(|| DataMsg::End)?;
                self.publish();
                return Ok(());
            }
            let due = if open {
                self.schedule.due(now + self.time_offset_ns).min(end)
            } else {
                (self.state.next_offset + MAX_CHUNK).min(end)
            };
            if self.state.next_offset >= due {
                self.flush_timed_out(now, timeout_ns)?;
                self.maybe_checkpoint()?;
                self.publish();
                let t0 = Instant::now();
                std::thread::sleep(SOURCE_TICK);
                self.idle_ns += t0.elapsed().as_nanos() as u64;
                continue;
            }
            let chunk_end = due.min(self.state.next_offset + MAX_CHUNK);
            for offset in self.state.next_offset..chunk_end {
                let sched = self.schedule.sched_ns(offset);
                while sched >= self.state.next_watermark_ns {
                    self.emit_watermark()?;
                    self.state.next_watermark_ns += wm_interval_ns;
                }
                let ev = self.generator.event(offset);
                let key = self.partitioner.key(ev.customer_id, ev.event_type);
                let to = self.partitioner.route(key);
                let event_time_ms = self.generator.event_time_ms(sched, ev.delay_ms);
                if event_time_ms > self.state.max_event_time {
                    self.state.max_event_time = event_time_ms;
                }
                let buf = &mut self.buffers[to];
                if buf.is_empty() {
                    self.buffer_since[to] = now;
                }
                buf.push(Record {
                    customer_id: key.customer_id,
                    event_time_ms,
                    sched_ns: sched.saturating_sub(self.time_offset_ns),
                    offset,
                    sub: key.sub,
                    value: ev.value,
                });
                // Offsets are consumed before the send, so a barrier taken
                // later never re-emits this record.
                self.state.next_offset = offset + 1;
                if buf.len() >= cap {
                    self.flush(to)?;
                }
            }
            self.flush_timed_out(now, timeout_ns)?;
            self.maybe_checkpoint()?;
            self.publish();
        }
    }

    fn flush_timed_out(&mut self, now: u64, timeout_ns: u64) -> Result<(), SendError> {
        for i in 0..self.buffers.len() {
            if !self.buffers[i].is_empty() && now.saturating_sub(self.buffer_since[i]) >= timeout_ns
            {
                self.flush(i)?;
            }
        }
        Ok(())
    }

    fn maybe_checkpoint(&mut self) -> Result<(), SendError> {
        let requested = self.shared.checkpoint_request.load(Ordering::Relaxed);
        if requested > self.last_checkpoint {
            self.last_checkpoint = requested;
            // The barrier follows every record emitted so far: flush, then
            // broadcast it, and snapshot the position it stands for.
            self.broadcast(|| DataMsg::Barrier(requested))?;
            let _ = self.coord.send(CoordMsg::Ack {
                id: requested,
                task: TaskId::Source,
                state: self.state.encode(),
            });
        }
        Ok(())
    }
}

struct Subtask<'a> {
    index: usize,
    spec: &'a JobSpec,
    op: WindowOperator<AnyBackend>,
    rx: Receiver<DataMsg>,
    out: Sender<(usize, ResultMsg)>,
    recycle: Sender<Vec<Record>>,
    coord: Sender<CoordMsg>,
    shared: Arc<Shared>,
    fault: Option<Fault>,
    latency_first: Histogram<u64>,
    latency_second: Histogram<u64>,
}

impl Subtask<'_> {
    fn run(&mut self) -> Exit {
        match self.run_inner() {
            Ok(exit) => exit,
            Err(e) => Exit::Failed(e.to_string()),
        }
    }

    fn run_inner(&mut self) -> Result<Exit> {
        let shared = Arc::clone(&self.shared);
        let clock = &shared.subtask_clocks[self.index];
        let service_ns = match self.spec.mode {
            Mode::Native => 0.0,
            Mode::Calibrated { service_ns } => service_ns,
        };
        let sleep_threshold_ns = self.spec.common.sleep_threshold_us * 1_000;
        let record_latency =
            matches!(self.spec.pacing, Pacing::Open { .. }) && self.spec.measure.is_some();
        let (m_lo, m_mid, m_hi) = match self.spec.measure {
            Some((w, l)) => {
                let lo = w.as_nanos() as u64;
                let len = l.as_nanos() as u64;
                (lo, lo + len / 2, lo + len)
            }
            None => (0, 0, 0),
        };
        let mut busy = 0u64;
        let mut idle = 0u64;
        let mut backpressured = 0u64;
        let mut records = 0u64;
        // Virtual clock (ns since start): when this subtask is free again.
        let mut vclock = 0u64;
        let mut rows: Vec<WindowResult> = Vec::new();
        loop {
            let wait_start = self.shared.now_ns();
            let msg = match self.rx.recv() {
                Ok(m) => m,
                Err(_) => return Ok(Exit::Cancelled),
            };
            let t_recv = self.shared.now_ns();
            // Waiting counts as idle only past the virtual clock: before it,
            // the subtask is still busy with the service time it owes.
            idle += t_recv.saturating_sub(wait_start.max(vclock));
            let start = vclock.max(t_recv);
            match msg {
                DataMsg::Records(mut batch) => {
                    if let Some(f) = self.fault
                        && batch.iter().any(|r| r.offset >= f.at_offset)
                    {
                        return Ok(Exit::Killed);
                    }
                    for r in &batch {
                        self.op.process(r, &mut rows)?;
                    }
                    let t_done = self.shared.now_ns();
                    let work = t_done - t_recv;
                    let n = batch.len() as u64;
                    let service = (n as f64 * service_ns) as u64;
                    let cost = work.max(service);
                    if record_latency {
                        for (i, r) in batch.iter().enumerate() {
                            if r.sched_ns < m_lo || r.sched_ns >= m_hi {
                                continue;
                            }
                            // Native: the buffer is done at t_done. Calibrated:
                            // record i completes after i + 1 service times.
                            let completion = if service_ns > 0.0 {
                                start + ((i as f64 + 1.0) * service_ns) as u64
                            } else {
                                t_done
                            };
                            let us = (completion.saturating_sub(r.sched_ns) / 1_000).max(1);
                            let h = if r.sched_ns < m_mid {
                                &mut self.latency_first
                            } else {
                                &mut self.latency_second
                            };
                            h.saturating_record(us);
                        }
                    }
                    vclock = start + cost;
                    busy += cost;
                    records += n;
                    batch.clear();
                    let _ = self.recycle.send(batch);
                    if !rows.is_empty() {
                        let out = std::mem::take(&mut rows);
                        backpressured += self.emit(ResultMsg::Rows(out))?;
                    }
                }
                DataMsg::Watermark(wm) => {
                    self.op.on_watermark(wm, &mut rows)?;
                    if !rows.is_empty() {
                        let out = std::mem::take(&mut rows);
                        backpressured += self.emit(ResultMsg::Rows(out))?;
                    }
                    backpressured += self.emit(ResultMsg::Watermark(wm))?;
                    let work = self.shared.now_ns() - t_recv;
                    vclock = start + work;
                    busy += work;
                }
                DataMsg::Barrier(id) => {
                    let state = self.op.snapshot()?;
                    let _ = self.coord.send(CoordMsg::Ack {
                        id,
                        task: TaskId::Subtask(self.index),
                        state,
                    });
                    backpressured += self.emit(ResultMsg::Barrier(id))?;
                    let work = self.shared.now_ns() - t_recv;
                    vclock = start + work;
                    busy += work;
                }
                DataMsg::End => {
                    self.emit(ResultMsg::End)?;
                    clock.records.store(records, Ordering::Relaxed);
                    return Ok(Exit::Finished);
                }
            }
            clock.busy_ns.store(busy, Ordering::Relaxed);
            clock.idle_ns.store(idle, Ordering::Relaxed);
            clock
                .backpressured_ns
                .store(backpressured, Ordering::Relaxed);
            clock.records.store(records, Ordering::Relaxed);
            let now = self.shared.now_ns();
            if vclock > now + sleep_threshold_ns {
                std::thread::sleep(Duration::from_nanos(vclock - now));
            }
        }
    }

    /// Sends downstream; returns the time blocked (backpressure).
    fn emit(&mut self, msg: ResultMsg) -> Result<u64> {
        match self.out.try_send((self.index, msg)) {
            Ok(()) => Ok(0),
            Err(TrySendError::Disconnected(_)) => {
                Err(BenchError::Runtime("the sink is gone".into()))
            }
            Err(TrySendError::Full(m)) => {
                let t0 = Instant::now();
                self.out
                    .send(m)
                    .map_err(|_| BenchError::Runtime("the sink is gone".into()))?;
                Ok(t0.elapsed().as_nanos() as u64)
            }
        }
    }
}

/// The merge/sink task: aligns barriers, merges partials, writes the table.
fn run_sink(
    shared: &Shared,
    coord: &Sender<CoordMsg>,
    mut op: MergeOperator,
    rx: Receiver<(usize, ResultMsg)>,
    inputs: usize,
    guarantee: Guarantee,
) -> Exit {
    let aligned = guarantee == Guarantee::ExactlyOnce;
    let transactional = guarantee == Guarantee::ExactlyOnce;
    let mut pending_rows: Vec<FinalRow> = Vec::new();
    let mut out: Vec<FinalRow> = Vec::new();
    // Barrier alignment: inputs whose barrier arrived, and what they sent since.
    let mut barrier: Option<u64> = None;
    let mut arrived = vec![false; inputs];
    let mut held: Vec<VecDeque<ResultMsg>> = (0..inputs).map(|_| VecDeque::new()).collect();
    let mut ended = vec![false; inputs];
    let mut replay: VecDeque<(usize, ResultMsg)> = VecDeque::new();
    let (mut busy, mut idle) = (0u64, 0u64);
    loop {
        let (input, msg) = match replay.pop_front() {
            Some(m) => m,
            None => {
                let t0 = shared.now_ns();
                match rx.recv() {
                    Ok(m) => {
                        idle += shared.now_ns() - t0;
                        m
                    }
                    Err(_) => {
                        // Every subtask is gone: finished or failed.
                        return if ended.iter().all(|e| *e) {
                            Exit::Finished
                        } else {
                            Exit::Cancelled
                        };
                    }
                }
            }
        };
        let t_start = shared.now_ns();
        if aligned && arrived[input] && barrier.is_some() {
            held[input].push_back(msg);
            continue;
        }
        match msg {
            ResultMsg::Rows(rows) => {
                op.on_results(&rows, &mut out);
            }
            ResultMsg::Watermark(wm) => op.on_watermark(input, wm, &mut out),
            ResultMsg::Barrier(id) => {
                barrier = Some(id);
                arrived[input] = true;
            }
            ResultMsg::End => {
                ended[input] = true;
                arrived[input] = true;
            }
        }
        if !out.is_empty() {
            if transactional {
                pending_rows.append(&mut out);
            } else if let Ok(mut ext) = shared.external.lock() {
                ext.committed.append(&mut out);
            }
        }
        // All barriers in (finished inputs count as arrived): snapshot.
        if let Some(id) = barrier
            && arrived.iter().all(|a| *a)
        {
            let state = op.snapshot();
            if transactional && let Ok(mut ext) = shared.external.lock() {
                ext.precommitted
                    .entry(id)
                    .or_default()
                    .append(&mut pending_rows);
            }
            let _ = coord.send(CoordMsg::Ack {
                id,
                task: TaskId::Sink,
                state,
            });
            barrier = None;
            for (i, a) in arrived.iter_mut().enumerate() {
                *a = ended[i];
                for m in held[i].drain(..) {
                    replay.push_back((i, m));
                }
            }
        }
        if ended.iter().all(|e| *e) && barrier.is_none() {
            // End of input: the final commit (Flink commits on the final checkpoint).
            if let Ok(mut ext) = shared.external.lock() {
                ext.committed.append(&mut pending_rows);
            }
            return Exit::Finished;
        }
        busy += shared.now_ns() - t_start;
        shared.sink_clock.busy_ns.store(busy, Ordering::Relaxed);
        shared.sink_clock.idle_ns.store(idle, Ordering::Relaxed);
    }
}
