//! The source task: an open- or closed-loop reader of the deterministic
//! event stream that keys and routes each event, fills one buffer per
//! subtask, and emits watermarks and checkpoint barriers in-band.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TrySendError};

use super::attempt::Shared;
use super::coordinator::{CoordMsg, Exit, TaskId};
use super::network::DataMsg;
use super::{JobSpec, Pacing, Stop};
use crate::codec::Reader;
use crate::error::Result;
use crate::event::{EventGenerator, Record, Schedule};
use crate::partition::{AnyPartitioner, Partitioner};

/// The source's checkpointed position, with its partitioner's state (the
/// sticky strategy's rotation), so a replay keys events as the run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SourceState {
    pub(super) next_offset: u64,
    pub(super) max_event_time: i64,
    pub(super) next_watermark_ns: u64,
    pub(super) last_watermark: i64,
    pub(super) partitioner: Vec<u8>,
}

impl SourceState {
    pub(super) fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(40 + self.partitioner.len());
        b.extend_from_slice(&self.next_offset.to_le_bytes());
        b.extend_from_slice(&self.max_event_time.to_le_bytes());
        b.extend_from_slice(&self.next_watermark_ns.to_le_bytes());
        b.extend_from_slice(&self.last_watermark.to_le_bytes());
        b.extend_from_slice(&(self.partitioner.len() as u64).to_le_bytes());
        b.extend_from_slice(&self.partitioner);
        b
    }

    pub(super) fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes);
        Ok(SourceState {
            next_offset: r.u64()?,
            max_event_time: r.i64()?,
            next_watermark_ns: r.u64()?,
            last_watermark: r.i64()?,
            partitioner: {
                let n = r.u64()? as usize;
                r.bytes(n)?.to_vec()
            },
        })
    }
}

pub(super) struct Source<'a> {
    pub(super) spec: &'a JobSpec,
    pub(super) generator: &'a EventGenerator,
    pub(super) partitioner: AnyPartitioner,
    pub(super) schedule: Schedule,
    /// Send time of the first offset of this attempt (a restored source
    /// continues the original timeline).
    pub(super) time_offset_ns: u64,
    pub(super) state: SourceState,
    pub(super) shared: Arc<Shared>,
    pub(super) coord: Sender<CoordMsg>,
    pub(super) txs: Vec<Sender<DataMsg>>,
    pub(super) recycle: Receiver<Vec<Record>>,
    pub(super) buffers: Vec<Vec<Record>>,
    /// When each non-empty buffer got its first record (ns since start).
    pub(super) buffer_since: Vec<u64>,
    pub(super) last_checkpoint: u64,
    pub(super) backpressured_ns: u64,
    pub(super) idle_ns: u64,
}

/// The most events the source generates between two looks at the clock.
const MAX_CHUNK: u64 = 4096;
/// How long an open-loop source that has caught up sleeps before it looks again.
const SOURCE_TICK: Duration = Duration::from_micros(200);

enum SendError {
    Closed,
}

impl Source<'_> {
    pub(super) fn run(&mut self) -> Exit {
        match self.run_inner() {
            Ok(()) => Exit::Finished,
            Err(SendError::Closed) => Exit::Cancelled,
        }
    }

    /// The position with the partitioner's current state.
    pub(super) fn checkpoint_state(&self) -> SourceState {
        SourceState {
            partitioner: self.partitioner.snapshot(),
            ..self.state.clone()
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
                state: self.checkpoint_state().encode(),
            });
        }
        Ok(())
    }
}
