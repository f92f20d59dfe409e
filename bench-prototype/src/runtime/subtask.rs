//! A keyed subtask: runs the window operator over its input channel,
//! snapshots on barriers, accounts busy, backpressured and idle time, owes the
//! calibrated service time on a virtual clock, and records latency.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TryRecvError, TrySendError};
use hdrhistogram::Histogram;

use super::attempt::Shared;
use super::coordinator::{CoordMsg, Exit, TaskId};
use super::network::{DataMsg, ResultMsg};
use super::{Fault, JobSpec, KillAt, Mode, Pacing};
use crate::error::{BenchError, Result};
use crate::event::Record;
use crate::operator::{WindowOperator, WindowResult};
use crate::state::AnyBackend;

pub(super) struct Subtask<'a> {
    pub(super) index: usize,
    pub(super) spec: &'a JobSpec,
    pub(super) op: WindowOperator<AnyBackend>,
    pub(super) rx: Receiver<DataMsg>,
    pub(super) out: Sender<(usize, ResultMsg)>,
    pub(super) recycle: Sender<Vec<Record>>,
    pub(super) coord: Sender<CoordMsg>,
    pub(super) shared: Arc<Shared>,
    pub(super) fault: Option<Fault>,
    pub(super) latency_first: Histogram<u64>,
    pub(super) latency_second: Histogram<u64>,
}

impl Subtask<'_> {
    pub(super) fn run(&mut self) -> Exit {
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
        let kill_at = self.fault.map(|f| f.at);
        if kill_at == Some(KillAt::Restore) {
            return Ok(Exit::Killed);
        }
        // A barrier kill is armed once the subtask has seen its offset.
        let mut armed = matches!(
            kill_at,
            Some(KillAt::Barrier {
                after_offset: 0,
                ..
            })
        );
        loop {
            let wait_start = self.shared.now_ns();
            // A message already queued was waiting for this subtask: its
            // service starts when the previous one ended on the virtual
            // clock, not when the thread got round to it. The thread may
            // wake late from its sleep, or the OS may run another of the
            // many subtask threads first; starting at the wall clock would
            // drop that time from the subtask's capacity, so a saturated
            // subtask would show ~90% busy with the rest counted nowhere.
            // Production's subtask owns its core and loses no such time.
            let (msg, queued) = match self.rx.try_recv() {
                Ok(m) => (m, true),
                Err(TryRecvError::Empty) => match self.rx.recv() {
                    Ok(m) => (m, false),
                    Err(_) => return Ok(Exit::Cancelled),
                },
                Err(TryRecvError::Disconnected) => return Ok(Exit::Cancelled),
            };
            let t_recv = self.shared.now_ns();
            let start = if queued {
                vclock
            } else {
                // Waiting counts as idle only past the virtual clock: before
                // it, the subtask is still busy with the service time it owes.
                idle += t_recv.saturating_sub(wait_start.max(vclock));
                vclock.max(t_recv)
            };
            match msg {
                DataMsg::Records(mut batch) => {
                    match kill_at {
                        Some(KillAt::Offset(at)) if batch.iter().any(|r| r.offset >= at) => {
                            return Ok(Exit::Killed);
                        }
                        Some(KillAt::Barrier { after_offset, .. })
                            if batch.iter().any(|r| r.offset >= after_offset) =>
                        {
                            armed = true;
                        }
                        _ => {}
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
                    if armed && let Some(KillAt::Barrier { forwarded, .. }) = kill_at {
                        if forwarded {
                            self.emit(ResultMsg::Barrier(id))?;
                        }
                        return Ok(Exit::Killed);
                    }
                    backpressured += self.emit(ResultMsg::Barrier(id))?;
                    let work = self.shared.now_ns() - t_recv;
                    vclock = start + work;
                    busy += work;
                }
                DataMsg::End => {
                    if kill_at.is_some() {
                        // The planned point never came: die before finishing.
                        return Ok(Exit::Killed);
                    }
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
