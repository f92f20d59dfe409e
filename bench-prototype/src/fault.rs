//! Fault injection: a bounded run with one subtask killed mid-way, compared
//! with the same run without a fault.
//!
//! - exactly-once: every task restores from the last completed checkpoint,
//!   the source replays from its checkpointed offset, the sink's
//!   uncommitted transaction is aborted: the rows written must equal the
//!   fault-free run's exactly;
//! - at-least-once: the same restore, but the sink writes rows as they come,
//!   so rows emitted after the checkpoint are written twice (counted);
//! - no checkpoints: the job restarts with empty state from where the source
//!   was, so state and in-flight buffers are lost (the lossy-on-failure rate).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::config::{BackendKind, Common, FaultPlan};
use crate::error::Result;
use crate::event::EventGenerator;
use crate::operator::FinalRow;
use crate::partition::PartitionerSpec;
use crate::report::{FaultRun, p50_max, round};
use crate::runtime::{Fault, Guarantee, JobResult, JobSpec, Mode, Pacing, Stop, run_job};

/// The spec of a fault-injection run (native mode, open loop, bounded input).
pub fn fault_job(
    common: &Common,
    partitioner: &PartitionerSpec,
    backend: BackendKind,
    plan: &FaultPlan,
    guarantee: Guarantee,
    fault: Option<Fault>,
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
        fault,
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
        restored_from_checkpoint: got.attempts > 1
            && guarantee != Guarantee::NoCheckpoints
            && !got.checkpoints.is_empty(),
        checkpoints_completed: got.checkpoints.len(),
        checkpoint_duration_ms_p50: round(p50_max(&mut d).0),
        checkpoint_bytes_p50: p50_max(&mut b).0,
        table_equal: ref_table == got_table,
        rows_equal: ref_rows == got_rows,
        rows_written: got_rows.len() as u64,
        rows_reference: ref_rows.len() as u64,
        duplicate_rows,
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
