//! The checkpoint coordinator, on the caller's thread: triggers checkpoints,
//! collects every task's acknowledgement into a completed checkpoint, commits
//! the sink's transactions, learns how each task ended, and samples the task
//! clocks and the source lag over the measured window.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};
use hdrhistogram::Histogram;

use super::attempt::{AttemptOutcome, Shared};
use super::clock::{ClockSample, TaskTimes, new_histogram, times_between};
use super::source::SourceState;
use super::{Guarantee, JobSpec, Pacing, Stop, WindowStats};
use crate::event::Schedule;

/// A checkpoint every task acknowledged.
#[derive(Debug, Clone)]
pub(super) struct CompletedCheckpoint {
    pub(super) id: u64,
    pub(super) source: SourceState,
    pub(super) subtasks: Vec<Vec<u8>>,
    pub(super) sink: Vec<u8>,
}

/// Duration (trigger to last acknowledgement) and size of one checkpoint.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CheckpointStat {
    pub id: u64,
    pub duration_ms: f64,
    pub bytes: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TaskId {
    Source,
    Subtask(usize),
    Sink,
}

#[derive(Debug)]
pub(super) enum Exit {
    Finished,
    Cancelled,
    Killed,
    Failed(String),
}

pub(super) struct SubtaskReport {
    pub(super) late_records: u64,
    pub(super) latency_first: Histogram<u64>,
    pub(super) latency_second: Histogram<u64>,
    pub(super) cpu_s: f64,
}

pub(super) enum CoordMsg {
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

struct PendingCheckpoint {
    started: Instant,
    source: Option<SourceState>,
    subtasks: Vec<Option<Vec<u8>>>,
    sink: Option<Vec<u8>>,
    bytes: u64,
}

/// The checkpoint coordinator and metrics sampler, on the caller's thread.
pub(super) fn coordinate(
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
        // Wake for whichever comes first, the metrics tick or the next
        // checkpoint: sleeping a whole tick would stretch a checkpoint
        // interval shorter than the tick to the tick, and a run shorter
        // than the tick would never take one.
        let wake = next_checkpoint.map_or(next_tick, |at| at.min(next_tick));
        let wait = wake.saturating_duration_since(Instant::now()).min(tick);
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
