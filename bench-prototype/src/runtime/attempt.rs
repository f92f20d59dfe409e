//! One execution attempt: restores the operators from where the attempt
//! starts, wires the channels, runs source, subtasks and merge/sink as
//! threads, and coordinates them until every task has ended.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crossbeam_channel::{bounded, unbounded};

use super::clock::{TaskClock, cpu_seconds, new_histogram};
use super::coordinator::{
    CheckpointStat, CompletedCheckpoint, CoordMsg, SubtaskReport, TaskId, coordinate,
};
use super::network::{DataMsg, ResultMsg};
use super::sink::{ExternalSink, run_sink};
use super::source::{Source, SourceState};
use super::subtask::Subtask;
use super::{Fault, JobSpec, WindowStats};
use crate::error::{BenchError, Result};
use crate::event::{EventGenerator, Record, Schedule};
use crate::operator::{MergeOperator, WindowOperator, WindowSpec};
use crate::partition::{AnyPartitioner, Partitioner};
use crate::state::AnyBackend;

/// Shared by the tasks of one attempt.
pub(super) struct Shared {
    pub(super) start: Instant,
    pub(super) cancel: AtomicBool,
    pub(super) checkpoint_request: AtomicU64,
    pub(super) emitted: AtomicU64,
    pub(super) source_clock: TaskClock,
    pub(super) subtask_clocks: Vec<TaskClock>,
    pub(super) sink_clock: TaskClock,
    pub(super) external: Mutex<ExternalSink>,
}

impl Shared {
    #[inline]
    pub(super) fn now_ns(&self) -> u64 {
        self.start.elapsed().as_nanos() as u64
    }
}

/// Where an attempt starts from.
#[derive(Clone)]
pub(super) enum StartFrom {
    Scratch,
    Checkpoint(CompletedCheckpoint),
    /// Empty state, the source at this position (no checkpoints).
    Position(SourceState),
}

pub(super) struct AttemptOutcome {
    pub(super) external: ExternalSink,
    pub(super) killed: bool,
    pub(super) failure: Option<String>,
    pub(super) last_checkpoint: Option<CompletedCheckpoint>,
    pub(super) source_position: SourceState,
    pub(super) records_processed: u64,
    pub(super) late_records: u64,
    pub(super) checkpoints: Vec<CheckpointStat>,
    pub(super) window: Option<WindowStats>,
    pub(super) source_cpu_s: f64,
    pub(super) subtasks_cpu_s: f64,
    pub(super) emitted: u64,
}

pub(super) fn run_attempt(
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
            partitioner: Vec::new(),
        },
        StartFrom::Checkpoint(cp) => {
            merge_op.restore(&cp.sink)?;
            cp.source.clone()
        }
        StartFrom::Position(s) => s.clone(),
    };
    let mut partitioner = AnyPartitioner::new(&spec.partitioner);
    partitioner.restore(&source_state.partitioner)?;

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
        source_position: source_state.clone(),
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
                partitioner,
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
                let position = source.checkpoint_state();
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
