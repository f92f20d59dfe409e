//! The merge/sink task and the external table it writes to: barrier
//! alignment, the second phase that merges partials per customer, and the
//! two-phase commit of the exactly-once sink.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::Ordering;

use crossbeam_channel::{Receiver, Sender};

use super::Guarantee;
use super::attempt::Shared;
use super::coordinator::{CoordMsg, Exit, TaskId};
use super::network::ResultMsg;
use crate::operator::{FinalRow, MergeOperator};

/// The external table the sink writes to (ClickHouse in production): an
/// append log of rows, with transactions for the exactly-once sink.
#[derive(Debug, Default, Clone)]
pub struct ExternalSink {
    pub committed: Vec<FinalRow>,
    precommitted: BTreeMap<u64, Vec<FinalRow>>,
}

impl ExternalSink {
    pub(super) fn commit_up_to(&mut self, checkpoint: u64) {
        let later = self.precommitted.split_off(&(checkpoint + 1));
        for (_, rows) in std::mem::replace(&mut self.precommitted, later) {
            self.committed.extend(rows);
        }
    }

    /// The final commit of a job that finished: every transaction still
    /// open, in checkpoint order, then the rows written since the last one.
    /// A checkpoint can be pre-committed by the sink and never completed when
    /// a task ends before its barrier; Flink's final checkpoint commits those
    /// too, and without this their rows were lost.
    pub(super) fn commit_all(&mut self, rows_since: &mut Vec<FinalRow>) {
        for (_, rows) in std::mem::take(&mut self.precommitted) {
            self.committed.extend(rows);
        }
        self.committed.append(rows_since);
    }

    pub(super) fn abort_all(&mut self) {
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

/// The merge/sink task: aligns barriers, merges partials, writes the table.
pub(super) fn run_sink(
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
                op.on_results(input, &rows, &mut out);
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
                ext.commit_all(&mut pending_rows);
            }
            return Exit::Finished;
        }
        busy += shared.now_ns() - t_start;
        shared.sink_clock.busy_ns.store(busy, Ordering::Relaxed);
        shared.sink_clock.idle_ns.store(idle, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Acc;

    fn row(count: u64) -> FinalRow {
        FinalRow {
            window_start: 0,
            customer_id: 7,
            acc: Acc {
                count,
                sum: count as i64,
                max: 1,
            },
        }
    }

    /// A checkpoint the sink pre-committed but that never completed (a task
    /// ended before its barrier) is committed by the final commit, in order:
    /// the reader sees the last row written.
    #[test]
    fn the_final_commit_keeps_transactions_no_checkpoint_completed() {
        let mut ext = ExternalSink::default();
        ext.precommitted.entry(3).or_default().push(row(1));
        ext.commit_up_to(3);
        ext.precommitted.entry(4).or_default().push(row(2));
        ext.precommitted.entry(5).or_default().push(row(3));
        let mut since = vec![row(4)];
        ext.commit_all(&mut since);
        assert!(since.is_empty() && ext.precommitted.is_empty());
        let counts: Vec<u64> = ext.committed.iter().map(|r| r.acc.count).collect();
        assert_eq!(counts, vec![1, 2, 3, 4]);
        assert_eq!(ext.table()[&(0, 7)].acc.count, 4);
    }
}
