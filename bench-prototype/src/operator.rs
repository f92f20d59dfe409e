//! The keyed window operator and the second-phase merge, as Flink runs them.
//!
//! [`WindowOperator`] is `keyBy(..).window(TumblingEventTimeWindows)
//! .allowedLateness(..).sideOutputLateData(..).aggregate(count, sum, max)`:
//!
//! - a record whose window is already past `maxTimestamp + allowedLateness`
//!   at the current watermark is late: it goes to the side output (counted);
//! - otherwise it is added to its window's state, and if the watermark has
//!   already passed the window's end (a late but allowed record) the window
//!   fires again for that key at once (`EventTimeTrigger.onElement`);
//! - a watermark fires every window whose `maxTimestamp <= watermark` and
//!   drops the state of windows whose `maxTimestamp + allowedLateness <= watermark`.
//!
//! [`MergeOperator`] is the second aggregation phase of the composite and
//! sticky strategies: it merges the partial results per customer (keeping
//! the latest partial per sub-key, so a re-fired partial replaces its
//! predecessor) and fires on its own watermark, the minimum over its inputs.
//! Its output depends only on what each input sent, never on how the inputs
//! interleaved: a partial takes effect when the minimum watermark passes the
//! watermark its input had sent before it (see [`MergeOperator`]). For the
//! customer strategy it passes results through.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::codec::Reader;
use crate::error::{BenchError, Result};
use crate::event::{Key, Record};
use crate::state::{Acc, StateBackend};

/// Window length and allowed lateness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowSpec {
    pub size_ms: i64,
    pub allowed_lateness_ms: i64,
}

impl WindowSpec {
    #[inline]
    pub fn start_of(&self, event_time_ms: i64) -> i64 {
        event_time_ms - event_time_ms.rem_euclid(self.size_ms)
    }

    /// Flink's `TimeWindow.maxTimestamp()`: the last millisecond in the window.
    #[inline]
    pub fn max_timestamp(&self, window_start: i64) -> i64 {
        window_start + self.size_ms - 1
    }

    /// The window's state is dropped, and its records are late, once the
    /// watermark reaches this.
    #[inline]
    pub fn cleanup_time(&self, window_start: i64) -> i64 {
        self.max_timestamp(window_start)
            .saturating_add(self.allowed_lateness_ms)
    }
}

/// One key's aggregate in one window, as the window operator emits it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WindowResult {
    pub window_start: i64,
    pub key: Key,
    pub acc: Acc,
}

/// One customer's aggregate in one window, as the sink receives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FinalRow {
    pub window_start: i64,
    pub customer_id: i64,
    pub acc: Acc,
}

/// What happened to a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Added to an open window.
    Added,
    /// Added to a window that had fired already; the window fired again.
    Refired,
    /// Too late even for the allowed lateness: sent to the side output.
    Late,
}

const WINDOW_MAGIC: u64 = 0x5749_4e44_4f57_0001;
const MERGE_MAGIC: u64 = 0x4d45_5247_4530_0002;

/// Event-time tumbling-window count/sum/max per key.
pub struct WindowOperator<B: StateBackend> {
    spec: WindowSpec,
    backend: B,
    watermark: i64,
    /// Windows that hold state: start -> whether it has fired.
    windows: BTreeMap<i64, bool>,
    /// The last window a record went to (records arrive mostly in order, so
    /// this saves a tree lookup per record).
    last_window: Option<i64>,
    late_records: u64,
    scratch: Vec<(Key, Acc)>,
}

impl<B: StateBackend> WindowOperator<B> {
    pub fn new(spec: WindowSpec, backend: B) -> Self {
        WindowOperator {
            spec,
            backend,
            watermark: i64::MIN,
            windows: BTreeMap::new(),
            last_window: None,
            late_records: 0,
            scratch: Vec::new(),
        }
    }

    pub fn watermark(&self) -> i64 {
        self.watermark
    }

    /// Records sent to the late side output so far.
    pub fn late_records(&self) -> u64 {
        self.late_records
    }

    pub fn backend_name(&self) -> &'static str {
        self.backend.name()
    }

    /// Processes one record; results of re-fired windows go to `out`.
    #[inline]
    pub fn process(&mut self, record: &Record, out: &mut Vec<WindowResult>) -> Result<Outcome> {
        let window_start = self.spec.start_of(record.event_time_ms);
        if self.spec.cleanup_time(window_start) <= self.watermark {
            self.late_records += 1;
            return Ok(Outcome::Late);
        }
        let key = record.key();
        let acc = self
            .backend
            .add(window_start, key, i64::from(record.value))?;
        if self.last_window != Some(window_start) {
            self.windows.entry(window_start).or_insert(false);
            self.last_window = Some(window_start);
        }
        if self.spec.max_timestamp(window_start) <= self.watermark {
            out.push(WindowResult {
                window_start,
                key,
                acc,
            });
            return Ok(Outcome::Refired);
        }
        Ok(Outcome::Added)
    }

    /// Advances event time: fires due windows into `out`, drops expired state.
    pub fn on_watermark(&mut self, watermark: i64, out: &mut Vec<WindowResult>) -> Result<()> {
        if watermark <= self.watermark {
            return Ok(());
        }
        self.watermark = watermark;
        let mut expired = Vec::new();
        for (&start, fired) in self.windows.iter_mut() {
            if self.spec.max_timestamp(start) > watermark {
                // Windows are ordered by start: none after this one is due.
                break;
            }
            if !*fired {
                *fired = true;
                self.scratch.clear();
                self.backend.collect_window(start, &mut self.scratch)?;
                out.extend(self.scratch.iter().map(|&(key, acc)| WindowResult {
                    window_start: start,
                    key,
                    acc,
                }));
            }
            if self.spec.cleanup_time(start) <= watermark {
                expired.push(start);
            }
        }
        for start in expired {
            self.backend.clear_window(start)?;
            self.windows.remove(&start);
            if self.last_window == Some(start) {
                self.last_window = None;
            }
        }
        Ok(())
    }

    /// The operator's state (watermark, window timers, side-output count and
    /// the backend's entries) as bytes.
    pub fn snapshot(&mut self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        out.extend_from_slice(&WINDOW_MAGIC.to_le_bytes());
        out.extend_from_slice(&self.watermark.to_le_bytes());
        out.extend_from_slice(&self.late_records.to_le_bytes());
        out.extend_from_slice(&(self.windows.len() as u64).to_le_bytes());
        for (&start, &fired) in &self.windows {
            out.extend_from_slice(&start.to_le_bytes());
            out.push(u8::from(fired));
        }
        self.backend.snapshot_into(&mut out)?;
        Ok(out)
    }

    /// Replaces the operator's state with a snapshot.
    pub fn restore(&mut self, bytes: &[u8]) -> Result<()> {
        let mut r = Reader::new(bytes);
        if r.u64()? != WINDOW_MAGIC {
            return Err(BenchError::Snapshot(
                "not a window operator snapshot".into(),
            ));
        }
        let watermark = r.i64()?;
        let late = r.u64()?;
        let n = r.u64()?;
        let mut windows = BTreeMap::new();
        for _ in 0..n {
            let start = r.i64()?;
            let fired = r.u8()? != 0;
            windows.insert(start, fired);
        }
        let used = r.position();
        let state_len = self.backend.restore_from(&bytes[used..])?;
        if used + state_len != bytes.len() {
            return Err(BenchError::Snapshot(
                "trailing bytes after window state".into(),
            ));
        }
        self.watermark = watermark;
        self.late_records = late;
        self.windows = windows;
        self.last_window = None;
        Ok(())
    }
}

/// Second phase: merges partial results per customer, or passes them through.
///
/// Why partials are staged. The merge reads P inputs whose messages
/// interleave differently in every run: a late partial of input A may arrive
/// before or after the watermark of input B that lets the merge fire the
/// window. Applied on arrival, as this operator first did, the partial was
/// either folded silently into the window's first row or emitted as an
/// update after it, so the rows written depended on thread scheduling. A
/// failover replays the inputs after the last checkpoint and interleaves
/// them anew, so an exactly-once run wrote different update rows than the
/// fault-free run with the same final table: the 5 (composite) and 1
/// (sticky) "duplicate rows" of the first committed fault runs, which no
/// idempotent sink could have deduplicated either (ClickHouse deduplicates a
/// replayed insert by the hash of its block, which must be the same block).
///
/// So a partial is tagged with the watermark its input had sent before it
/// and takes effect only when the merge's watermark (the minimum over the
/// inputs) passes that tag. Every input carries the same watermarks in the
/// same order, so the minimum advances through the same values in every
/// run, and at each advance the set of partials that take effect is the
/// same: those each input sent before that watermark. Late updates are then
/// emitted once per customer and watermark, in key order.
pub struct MergeOperator {
    spec: WindowSpec,
    merge: bool,
    input_watermarks: Vec<i64>,
    watermark: i64,
    /// Per input, partials not yet applied, in arrival order, each with the
    /// watermark its input had sent before it.
    staged: Vec<VecDeque<(i64, WindowResult)>>,
    /// (window, customer) -> latest partial per sub-key.
    partials: BTreeMap<(i64, i64), Vec<(i32, Acc)>>,
    /// Windows with partials: start -> whether it has fired.
    windows: BTreeMap<i64, bool>,
}

impl MergeOperator {
    pub fn new(spec: WindowSpec, inputs: usize, merge: bool) -> Self {
        MergeOperator {
            spec,
            merge,
            input_watermarks: vec![i64::MIN; inputs],
            watermark: i64::MIN,
            staged: (0..inputs).map(|_| VecDeque::new()).collect(),
            partials: BTreeMap::new(),
            windows: BTreeMap::new(),
        }
    }

    pub fn watermark(&self) -> i64 {
        self.watermark
    }

    fn merged(parts: &[(i32, Acc)]) -> Acc {
        let mut acc = Acc::default();
        for (_, p) in parts {
            acc.merge(p);
        }
        acc
    }

    /// Results of `input`. Passed through at once without a merge stage;
    /// otherwise staged until the merge's watermark passes the input's.
    pub fn on_results(&mut self, input: usize, rows: &[WindowResult], out: &mut Vec<FinalRow>) {
        if !self.merge {
            out.extend(rows.iter().map(|r| FinalRow {
                window_start: r.window_start,
                customer_id: r.key.customer_id,
                acc: r.acc,
            }));
            return;
        }
        let tag = self
            .input_watermarks
            .get(input)
            .copied()
            .unwrap_or(i64::MIN);
        if let Some(queue) = self.staged.get_mut(input) {
            queue.extend(rows.iter().map(|r| (tag, *r)));
        }
    }

    /// A watermark from `input`; once the minimum over all inputs advances,
    /// applies the partials sent before it, emits the new totals of windows
    /// that fired already, fires the windows now due and drops expired ones.
    pub fn on_watermark(&mut self, input: usize, watermark: i64, out: &mut Vec<FinalRow>) {
        if let Some(w) = self.input_watermarks.get_mut(input) {
            *w = (*w).max(watermark);
        }
        let min = self
            .input_watermarks
            .iter()
            .copied()
            .min()
            .unwrap_or(i64::MIN);
        if min <= self.watermark {
            return;
        }
        self.watermark = min;
        if !self.merge {
            return;
        }
        // Partials each input sent before its watermark reached `min`, input
        // by input: the same set, in the same order, in every run.
        let mut updated: BTreeSet<(i64, i64)> = BTreeSet::new();
        for queue in &mut self.staged {
            while let Some(&(tag, r)) = queue.front() {
                if tag >= min {
                    break;
                }
                queue.pop_front();
                let parts = self
                    .partials
                    .entry((r.window_start, r.key.customer_id))
                    .or_default();
                match parts.iter_mut().find(|(sub, _)| *sub == r.key.sub) {
                    Some(p) => p.1 = r.acc,
                    None => parts.push((r.key.sub, r.acc)),
                }
                let fired = self.windows.entry(r.window_start).or_insert(false);
                // A partial for a window this operator already fired is a
                // late update: the customer's new total is emitted below, as
                // the window operator re-fires for a late but allowed record.
                if *fired {
                    updated.insert((r.window_start, r.key.customer_id));
                }
            }
        }
        for key in updated {
            if let Some(parts) = self.partials.get(&key) {
                out.push(FinalRow {
                    window_start: key.0,
                    customer_id: key.1,
                    acc: Self::merged(parts),
                });
            }
        }
        let mut expired = Vec::new();
        for (&start, fired) in self.windows.iter_mut() {
            if self.spec.max_timestamp(start) > min {
                break;
            }
            if !*fired {
                *fired = true;
                for (&(_, customer_id), parts) in
                    self.partials.range((start, i64::MIN)..=(start, i64::MAX))
                {
                    out.push(FinalRow {
                        window_start: start,
                        customer_id,
                        acc: Self::merged(parts),
                    });
                }
            }
            if self.spec.cleanup_time(start) <= min {
                expired.push(start);
            }
        }
        for start in expired {
            self.windows.remove(&start);
            let keys: Vec<(i64, i64)> = self
                .partials
                .range((start, i64::MIN)..=(start, i64::MAX))
                .map(|(k, _)| *k)
                .collect();
            for k in keys {
                self.partials.remove(&k);
            }
        }
    }

    pub fn snapshot(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&MERGE_MAGIC.to_le_bytes());
        out.extend_from_slice(&self.watermark.to_le_bytes());
        out.extend_from_slice(&(self.input_watermarks.len() as u64).to_le_bytes());
        for w in &self.input_watermarks {
            out.extend_from_slice(&w.to_le_bytes());
        }
        // Staged partials are state too: a barrier-aligned snapshot holds
        // what each input sent before its barrier, applied or not.
        for queue in &self.staged {
            out.extend_from_slice(&(queue.len() as u64).to_le_bytes());
            for (tag, r) in queue {
                out.extend_from_slice(&tag.to_le_bytes());
                out.extend_from_slice(&r.window_start.to_le_bytes());
                out.extend_from_slice(&r.key.customer_id.to_le_bytes());
                out.extend_from_slice(&r.key.sub.to_le_bytes());
                out.extend_from_slice(&r.acc.encode());
            }
        }
        out.extend_from_slice(&(self.windows.len() as u64).to_le_bytes());
        for (&start, &fired) in &self.windows {
            out.extend_from_slice(&start.to_le_bytes());
            out.push(u8::from(fired));
        }
        out.extend_from_slice(&(self.partials.len() as u64).to_le_bytes());
        for (&(w, c), parts) in &self.partials {
            out.extend_from_slice(&w.to_le_bytes());
            out.extend_from_slice(&c.to_le_bytes());
            out.extend_from_slice(&(parts.len() as u64).to_le_bytes());
            for (sub, acc) in parts {
                out.extend_from_slice(&sub.to_le_bytes());
                out.extend_from_slice(&acc.encode());
            }
        }
        out
    }

    pub fn restore(&mut self, bytes: &[u8]) -> Result<()> {
        let mut r = Reader::new(bytes);
        if r.u64()? != MERGE_MAGIC {
            return Err(BenchError::Snapshot("not a merge operator snapshot".into()));
        }
        let watermark = r.i64()?;
        let inputs = r.u64()? as usize;
        if inputs != self.input_watermarks.len() {
            return Err(BenchError::Snapshot(format!(
                "snapshot has {inputs} inputs, the operator {}",
                self.input_watermarks.len()
            )));
        }
        let mut input_watermarks = Vec::with_capacity(inputs);
        for _ in 0..inputs {
            input_watermarks.push(r.i64()?);
        }
        let mut staged = Vec::with_capacity(inputs);
        for _ in 0..inputs {
            let n = r.u64()?;
            let mut queue = VecDeque::new();
            for _ in 0..n {
                let tag = r.i64()?;
                let window_start = r.i64()?;
                let customer_id = r.i64()?;
                let sub = r.i32()?;
                let acc = Acc::decode(r.bytes(Acc::ENCODED_LEN)?)
                    .ok_or_else(|| BenchError::Snapshot("short accumulator".into()))?;
                queue.push_back((
                    tag,
                    WindowResult {
                        window_start,
                        key: Key { customer_id, sub },
                        acc,
                    },
                ));
            }
            staged.push(queue);
        }
        let mut windows = BTreeMap::new();
        for _ in 0..r.u64()? {
            let start = r.i64()?;
            windows.insert(start, r.u8()? != 0);
        }
        let mut partials = BTreeMap::new();
        for _ in 0..r.u64()? {
            let w = r.i64()?;
            let c = r.i64()?;
            let n = r.u64()?;
            let mut parts = Vec::new();
            for _ in 0..n {
                let sub = r.i32()?;
                let acc = Acc::decode(r.bytes(Acc::ENCODED_LEN)?)
                    .ok_or_else(|| BenchError::Snapshot("short accumulator".into()))?;
                parts.push((sub, acc));
            }
            partials.insert((w, c), parts);
        }
        if r.remaining() != 0 {
            return Err(BenchError::Snapshot(
                "trailing bytes after merge state".into(),
            ));
        }
        self.watermark = watermark;
        self.input_watermarks = input_watermarks;
        self.staged = staged;
        self.windows = windows;
        self.partials = partials;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::HeapBackend;

    const SPEC: WindowSpec = WindowSpec {
        size_ms: 10_000,
        allowed_lateness_ms: 2_000,
    };

    fn rec(customer_id: i64, event_time_ms: i64, value: u32) -> Record {
        Record {
            customer_id,
            event_time_ms,
            sched_ns: 0,
            offset: 0,
            sub: 0,
            value,
        }
    }

    #[test]
    fn windows_fire_on_watermark_and_late_records_go_to_the_side_output() {
        let mut op = WindowOperator::new(SPEC, HeapBackend::new());
        let mut out = Vec::new();
        assert_eq!(
            op.process(&rec(1, 1_000, 5), &mut out).unwrap(),
            Outcome::Added
        );
        assert_eq!(
            op.process(&rec(1, 9_999, 7), &mut out).unwrap(),
            Outcome::Added
        );
        assert_eq!(
            op.process(&rec(2, 10_000, 1), &mut out).unwrap(),
            Outcome::Added
        );
        assert!(out.is_empty());

        // 9_998 is before the first window's max timestamp (9_999): nothing fires.
        op.on_watermark(9_998, &mut out).unwrap();
        assert!(out.is_empty());
        op.on_watermark(9_999, &mut out).unwrap();
        let k1 = Key {
            customer_id: 1,
            sub: 0,
        };
        assert_eq!(
            out,
            vec![WindowResult {
                window_start: 0,
                key: k1,
                acc: Acc {
                    count: 2,
                    sum: 12,
                    max: 7
                }
            }]
        );
        out.clear();

        // Late but within the allowed lateness: added, and the window re-fires.
        assert_eq!(
            op.process(&rec(1, 500, 9), &mut out).unwrap(),
            Outcome::Refired
        );
        assert_eq!(
            out[0].acc,
            Acc {
                count: 3,
                sum: 21,
                max: 9
            }
        );
        out.clear();

        // At watermark 11_999 = 9_999 + 2_000 the first window's state is gone:
        // a record for it is late.
        op.on_watermark(11_999, &mut out).unwrap();
        assert!(out.is_empty());
        assert_eq!(
            op.process(&rec(1, 9_000, 1), &mut out).unwrap(),
            Outcome::Late
        );
        assert_eq!(op.late_records(), 1);
        // Just before the cleanup time, a record would still have been allowed.
        let mut op2 = WindowOperator::new(SPEC, HeapBackend::new());
        op2.on_watermark(11_998, &mut out).unwrap();
        assert_eq!(
            op2.process(&rec(1, 9_000, 1), &mut out).unwrap(),
            Outcome::Refired
        );
    }

    #[test]
    fn negative_event_times_use_floor_windows() {
        assert_eq!(SPEC.start_of(-1), -10_000);
        assert_eq!(SPEC.start_of(-10_000), -10_000);
        assert_eq!(SPEC.start_of(0), 0);
    }

    #[test]
    fn snapshot_and_restore_round_trip() {
        let mut op = WindowOperator::new(SPEC, HeapBackend::new());
        let mut out = Vec::new();
        op.process(&rec(1, 1_000, 5), &mut out).unwrap();
        op.process(&rec(2, 15_000, 3), &mut out).unwrap();
        op.on_watermark(10_500, &mut out).unwrap();
        let snap = op.snapshot().unwrap();
        let mut restored = WindowOperator::new(SPEC, HeapBackend::new());
        restored.restore(&snap).unwrap();
        assert_eq!(restored.snapshot().unwrap(), snap);
        assert_eq!(restored.watermark(), 10_500);
        assert!(restored.restore(&snap[..snap.len() - 3]).is_err());
    }

    #[test]
    fn merge_sums_partials_per_customer_and_replaces_refired_partials() {
        let mut m = MergeOperator::new(SPEC, 2, true);
        let mut out = Vec::new();
        let part = |sub, count, sum, max| WindowResult {
            window_start: 0,
            key: Key {
                customer_id: 7,
                sub,
            },
            acc: Acc { count, sum, max },
        };
        m.on_results(0, &[part(0, 2, 10, 6), part(1, 1, 3, 3)], &mut out);
        assert!(out.is_empty());
        m.on_watermark(0, 9_999, &mut out);
        assert!(out.is_empty(), "the other input has not passed the window");
        m.on_watermark(1, 9_999, &mut out);
        let row = |count, sum, max| FinalRow {
            window_start: 0,
            customer_id: 7,
            acc: Acc { count, sum, max },
        };
        assert_eq!(out, vec![row(3, 13, 6)]);
        out.clear();
        // A re-fired partial of sub-key 1 replaces the old one, once both
        // inputs' watermarks have passed the one input 0 sent before it.
        m.on_results(0, &[part(1, 2, 12, 9)], &mut out);
        assert!(out.is_empty());
        let snap = m.snapshot();
        let mut m2 = MergeOperator::new(SPEC, 2, true);
        m2.restore(&snap).unwrap();
        assert_eq!(m2.snapshot(), snap, "staged partials are in the snapshot");
        for op in [&mut m, &mut m2] {
            op.on_watermark(0, 10_500, &mut out);
            assert!(out.is_empty());
            op.on_watermark(1, 10_500, &mut out);
            assert_eq!(out, vec![row(4, 22, 9)]);
            out.clear();
        }
    }

    /// What one input of the merge sends, in its order.
    #[derive(Clone)]
    enum Sent {
        Rows(Vec<WindowResult>),
        Watermark(i64),
    }

    fn deliver(m: &mut MergeOperator, input: usize, msg: &Sent, out: &mut Vec<FinalRow>) {
        match msg {
            Sent::Rows(rows) => m.on_results(input, rows, out),
            Sent::Watermark(wm) => m.on_watermark(input, *wm, out),
        }
    }

    /// Rows written more often than in `reference` (a multiset difference,
    /// as the fault comparison counts them).
    fn extra_rows(got: &[FinalRow], reference: &[FinalRow]) -> usize {
        let mut left = reference.to_vec();
        got.iter()
            .filter(|r| match left.iter().position(|x| x == *r) {
                Some(i) => {
                    left.swap_remove(i);
                    false
                }
                None => true,
            })
            .count()
    }

    /// The committed fault runs' duplicates, reduced to two inputs. Input 1
    /// re-fires a late partial after its watermark passed the window. The
    /// fault-free run reads input 1 ahead of input 0; the run that fails over
    /// restores the merge from the barrier (taken after both inputs' first
    /// partials) and reads the replayed inputs the other way round. The
    /// written rows must be the same multiset: the same rows, none twice.
    #[test]
    fn merge_rows_do_not_depend_on_how_a_replay_interleaves_its_inputs() {
        let part = |sub, count| WindowResult {
            window_start: 0,
            key: Key {
                customer_id: 7,
                sub,
            },
            acc: Acc {
                count,
                sum: count as i64,
                max: 1,
            },
        };
        let before_barrier = [
            (0, Sent::Rows(vec![part(0, 2)])),
            (1, Sent::Rows(vec![part(1, 1)])),
        ];
        let input0 = [Sent::Watermark(9_999), Sent::Watermark(10_500)];
        let input1 = [
            Sent::Watermark(9_999),
            Sent::Rows(vec![part(1, 2)]),
            Sent::Watermark(10_500),
        ];
        // Fault-free: input 1 entirely, then input 0.
        let mut reference = Vec::new();
        let mut m = MergeOperator::new(SPEC, 2, true);
        for (i, msg) in &before_barrier {
            deliver(&mut m, *i, msg, &mut reference);
        }
        let snapshot = m.snapshot();
        for msg in &input1 {
            deliver(&mut m, 1, msg, &mut reference);
        }
        for msg in &input0 {
            deliver(&mut m, 0, msg, &mut reference);
        }
        // Failover: restored from the barrier's snapshot (the rows written
        // before it are committed and equal in both runs), then input 0's
        // first watermark, input 1 entirely, input 0's second watermark.
        let mut replayed = Vec::new();
        let mut m = MergeOperator::new(SPEC, 2, true);
        m.restore(&snapshot).unwrap();
        deliver(&mut m, 0, &input0[0], &mut replayed);
        for msg in &input1 {
            deliver(&mut m, 1, msg, &mut replayed);
        }
        deliver(&mut m, 0, &input0[1], &mut replayed);

        let total = |count| FinalRow {
            window_start: 0,
            customer_id: 7,
            acc: Acc {
                count,
                sum: count as i64,
                max: 1,
            },
        };
        // The window fires with 3 events, then the late partial updates it to 4.
        assert_eq!(reference, vec![total(3), total(4)]);
        assert_eq!(extra_rows(&replayed, &reference), 0, "{replayed:?}");
        assert_eq!(extra_rows(&reference, &replayed), 0, "{replayed:?}");
    }
}
