//! Fault injection: runs with subtasks killed, compared with the same run
//! without a fault.
//!
//! - exactly-once: every task restores from the last completed checkpoint,
//!   the source replays from its checkpointed offset, the sink's
//!   uncommitted transactions are aborted: the rows written must equal the
//!   fault-free run's exactly, none lost and none twice;
//! - at-least-once: the same restore, but the sink writes rows as they come,
//!   so rows emitted after the checkpoint are written twice (counted);
//! - no checkpoints: the job restarts with empty state from where the source
//!   was, so state and in-flight buffers are lost (the lossy-on-failure rate).
//!
//! Two experiments: one kill at a planned offset of a long open-loop run
//! ([`fault_job`]), and many seeded kill points of a short closed-loop run
//! ([`kill_points`], [`kill_point_job`], [`tally`]): any subtask, any offset,
//! during a checkpoint, during recovery, twice in a row.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::config::{BackendKind, Common, FaultPlan, KillPointsPlan};
use crate::error::Result;
use crate::event::{EventGenerator, mix64};
use crate::operator::FinalRow;
use crate::partition::PartitionerSpec;
use crate::report::{FaultRun, KillTally, p50_max, round};
use crate::runtime::{Fault, Guarantee, JobResult, JobSpec, KillAt, Mode, Pacing, Stop, run_job};

/// The spec of a fault-injection run (native mode, open loop, bounded input).
pub fn fault_job(
    common: &Common,
    partitioner: &PartitionerSpec,
    backend: BackendKind,
    plan: &FaultPlan,
    guarantee: Guarantee,
    faults: Vec<Fault>,
) -> JobSpec {
    JobSpec {
        common: common.clone(),
        partitioner: partitioner.clone(),
        backend,
        mode: Mode::Native,
        pacing: Pacing::Open { rate: plan.rate },
        stop: Stop::AfterEvents(plan.events),
        guarantee,
        checkpoint_interval: match guarantee {
            Guarantee::NoCheckpoints => None,
            _ => Some(Duration::from_millis(plan.checkpoint_interval_ms)),
        },
        measure: None,
        faults,
    }
}

pub fn kill_offset(plan: &FaultPlan) -> u64 {
    (plan.events as f64 * plan.kill_at_fraction) as u64
}

/// Runs the job with the fault and compares it with `reference`.
pub fn run_with_fault(
    spec: &JobSpec,
    generator: &EventGenerator,
    reference: &JobResult,
) -> Result<FaultRun> {
    let result = run_job(spec, generator)?;
    Ok(compare(spec.guarantee, reference, &result))
}

fn sorted_rows(rows: &[FinalRow]) -> Vec<FinalRow> {
    let mut v = rows.to_vec();
    v.sort_unstable();
    v
}

/// Compares a faulty run with the fault-free one.
pub fn compare(guarantee: Guarantee, reference: &JobResult, got: &JobResult) -> FaultRun {
    let ref_rows = sorted_rows(&reference.external.committed);
    let got_rows = sorted_rows(&got.external.committed);
    // Rows written more often than in the reference: a multiset difference.
    let mut ref_counts: BTreeMap<FinalRow, u64> = BTreeMap::new();
    for r in &ref_rows {
        *ref_counts.entry(*r).or_default() += 1;
    }
    let mut got_counts: BTreeMap<FinalRow, u64> = BTreeMap::new();
    for r in &got_rows {
        *got_counts.entry(*r).or_default() += 1;
    }
    let duplicate_rows: u64 = got_counts
        .iter()
        .map(|(r, n)| n.saturating_sub(ref_counts.get(r).copied().unwrap_or(0)))
        .sum();
    let lost_rows: u64 = ref_counts
        .iter()
        .map(|(r, n)| n.saturating_sub(got_counts.get(r).copied().unwrap_or(0)))
        .sum();
    let ref_table = reference.external.table();
    let got_table = got.external.table();
    let mut lost = 0u64;
    let mut total = 0u64;
    for (k, r) in &ref_table {
        total += r.acc.count;
        let have = got_table.get(k).map(|g| g.acc.count).unwrap_or(0);
        lost += r.acc.count.saturating_sub(have);
    }
    let mut d: Vec<f64> = got.checkpoints.iter().map(|c| c.duration_ms).collect();
    let mut b: Vec<f64> = got.checkpoints.iter().map(|c| c.bytes as f64).collect();
    FaultRun {
        guarantee: match guarantee {
            Guarantee::ExactlyOnce => "exactly_once",
            Guarantee::AtLeastOnce => "at_least_once",
            Guarantee::NoCheckpoints => "no_checkpoints",
        }
        .to_string(),
        attempts: got.attempts,
        restored_from_checkpoint: got.restored_from.last().is_some_and(|id| id.is_some()),
        checkpoints_completed: got.checkpoints.len(),
        checkpoint_duration_ms_p50: round(p50_max(&mut d).0),
        checkpoint_bytes_p50: p50_max(&mut b).0,
        table_equal: ref_table == got_table,
        rows_equal: ref_rows == got_rows,
        rows_written: got_rows.len() as u64,
        rows_reference: ref_rows.len() as u64,
        duplicate_rows,
        lost_rows,
        lost_events: lost,
        total_events_in_reference: total,
        lossy_on_failure_rate: if total == 0 {
            0.0
        } else {
            lost as f64 / total as f64
        },
        records_processed: got.records_processed,
        records_processed_reference: reference.records_processed,
        recovery_wall_s: round(got.wall_s - reference.wall_s),
    }
}

/// Where a kill point strikes (see [`KillTally`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KillKind {
    AtOffset,
    DuringCheckpoint,
    DuringRecovery,
    Twice,
}

/// The faults of one run: the first kills the first attempt, a second one
/// the attempt that recovers from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KillPoint {
    pub kind: KillKind,
    pub faults: Vec<Fault>,
}

/// `n` kill points drawn from `seed` for a job of `parallelism` subtasks
/// over `events` events, the kinds in turn: any subtask at any offset;
/// during a checkpoint (after the subtask acknowledged a barrier, before or
/// after it sent the barrier on); killed, then a second subtask killed as
/// it restores; killed, then the recovering attempt killed again at any
/// point (in the replay or after it).
pub fn kill_points(seed: u64, n: u32, parallelism: u32, events: u64) -> Vec<KillPoint> {
    let mut draw = {
        let mut counter = seed;
        move |below: u64| {
            counter = counter.wrapping_add(1);
            mix64(counter) % below.max(1)
        }
    };
    let p = u64::from(parallelism);
    (0..n)
        .map(|i| {
            let mut subtask = || draw(p) as usize;
            let (a, b) = (subtask(), subtask());
            let offset = draw(events);
            let second_offset = draw(events);
            let forwarded = draw(2) == 1;
            let first_at_barrier = draw(2) == 1;
            let barrier = KillAt::Barrier {
                after_offset: offset,
                forwarded,
            };
            let at = |subtask, at| Fault { subtask, at };
            match i % 4 {
                0 => KillPoint {
                    kind: KillKind::AtOffset,
                    faults: vec![at(a, KillAt::Offset(offset))],
                },
                1 => KillPoint {
                    kind: KillKind::DuringCheckpoint,
                    faults: vec![at(a, barrier)],
                },
                2 => KillPoint {
                    kind: KillKind::DuringRecovery,
                    faults: vec![at(a, KillAt::Offset(offset)), at(b, KillAt::Restore)],
                },
                _ => KillPoint {
                    kind: KillKind::Twice,
                    faults: vec![
                        at(
                            a,
                            if first_at_barrier {
                                barrier
                            } else {
                                KillAt::Offset(offset)
                            },
                        ),
                        at(b, KillAt::Offset(second_offset)),
                    ],
                },
            }
        })
        .collect()
}

/// The spec of a kill-point run: a closed loop over a bounded input, so the
/// run is short and its event times, hence its windows, do not depend on
/// the machine's speed.
pub fn kill_point_job(
    common: &Common,
    partitioner: &PartitionerSpec,
    plan: &KillPointsPlan,
    guarantee: Guarantee,
    faults: Vec<Fault>,
) -> JobSpec {
    JobSpec {
        common: common.clone(),
        partitioner: partitioner.clone(),
        backend: plan.backend,
        mode: Mode::Native,
        pacing: Pacing::Closed {
            nominal_rate: plan.nominal_rate,
        },
        stop: Stop::AfterEvents(plan.events),
        guarantee,
        checkpoint_interval: Some(Duration::from_millis(plan.checkpoint_interval_ms)),
        measure: None,
        faults,
    }
}

/// Sums the runs of `points` (each compared with the fault-free run).
pub fn tally(points: &[KillPoint], runs: &[FaultRun]) -> KillTally {
    let mut t = KillTally::default();
    for (point, run) in points.iter().zip(runs) {
        t.points += 1;
        t.kills += run.attempts.saturating_sub(1);
        match point.kind {
            KillKind::AtOffset => t.at_offset += 1,
            KillKind::DuringCheckpoint => t.during_checkpoint += 1,
            KillKind::DuringRecovery => t.during_recovery += 1,
            KillKind::Twice => t.twice += 1,
        }
        t.restored_from_checkpoint += u32::from(run.restored_from_checkpoint);
        t.lost_rows += run.lost_rows;
        t.duplicate_rows += run.duplicate_rows;
        t.lost_events += run.lost_events;
        t.runs_with_lost_or_duplicate_rows += u32::from(run.lost_rows + run.duplicate_rows > 0);
    }
    t
}
