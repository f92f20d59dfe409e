//! The error budget of the lag SLOs against what the plan's own operations
//! cost them: TaskManager failures, deploys, rescales and partition
//! increases, each expected so many times per SLO window, each stopping the
//! job and leaving a backlog that drains at the pace of the busiest stage.
//!
//! A lag SLI is bad while the lag exceeds its threshold. Normal operation
//! already holds the SLI at its predicted p99 `L0`, so an outage spends the
//! budget once the added lag passes `θ' = threshold − L0`: during the outage
//! (`D − θ'` seconds) and while the backlog `B` drains linearly over the
//! catch-up `C` (`C × (1 − θ'/B)` seconds).

use serde::Serialize;

use super::fault::{self, FailureMode, FaultTolerance};
use super::slo::{Slo, SloKind};
use super::{MonthPlan, index::ByScenario, index::Monthly};
use crate::inputs::architecture::Architecture;
use crate::inputs::assumptions::Assumptions;

/// Days in an average month: rates over the plan's months become rates per SLO window.
const DAYS_PER_MONTH: f64 = 365.25 / 12.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    TaskManagerFailure,
    Deploy,
    Rescale,
    PartitionIncrease,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OperationCost {
    pub operation: Operation,
    /// Expected occurrences in one SLO window.
    pub per_window: f64,
    /// Seconds the job takes no events.
    pub stopped_s: f64,
    /// Seconds of input behind when it runs again.
    pub backlog_s: f64,
    /// Seconds to drain that backlog at the pace of the busiest stage.
    pub catch_up_s: f64,
    /// Per lag SLO, in the order of `SloBudget`s: seconds of bad SLI each time.
    pub bad_s_each: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SloBudget {
    pub kind: SloKind,
    pub threshold_s: f64,
    /// The SLI's p99 in normal operation.
    pub normal_p99_s: f64,
    pub budget_minutes: f64,
    /// Every operation's expected bad minutes per window, summed.
    pub spent_minutes: f64,
    pub within: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorBudget {
    pub month: u32,
    pub window_days: f64,
    pub operations: Vec<OperationCost>,
    pub slos: Vec<SloBudget>,
    /// Whether an ingest lag at its threshold, plus the stages after it at
    /// their p99, still meets the end-to-end target: the two SLOs agree.
    pub ingest_threshold_fits_end_to_end: bool,
    /// That sum, in seconds.
    pub ingest_threshold_plus_downstream_s: f64,
    pub end_to_end_target_s: f64,
}

/// Seconds an outage of `stopped_s` that leaves `backlog_s` to drain in
/// `catch_up_s` keeps a lag above `margin_s` over its normal level.
pub fn bad_seconds(stopped_s: f64, backlog_s: f64, catch_up_s: f64, margin_s: f64) -> f64 {
    let margin = margin_s.max(0.0);
    let during = (stopped_s - margin).max(0.0);
    let draining = if backlog_s > margin {
        catch_up_s * (1.0 - margin / backlog_s)
    } else {
        0.0
    };
    during + draining
}

/// How many times a count changes over the plan's carried months, as a
/// rate per SLO window: `counts` is today's, then one per month.
fn changes_per_window(counts: &[u32], window_days: f64) -> f64 {
    let changes = counts.windows(2).filter(|w| w[0] != w[1]).count();
    let months = counts.len().saturating_sub(1);
    if months == 0 {
        0.0
    } else {
        changes as f64 / (months as f64 * DAYS_PER_MONTH) * window_days
    }
}

pub fn weigh(
    plan: &Monthly<ByScenario<MonthPlan>>,
    last_carried_month: u32,
    fault: &FaultTolerance,
    slos: &[Slo],
    arch: &Architecture,
    a: &Assumptions,
) -> ErrorBudget {
    let last = &plan.get(last_carried_month).base;
    let window_days = a.slo.window_days.value;
    let rho = fault.bottleneck_utilization;
    let task_manager = fault
        .failures
        .iter()
        .find(|f| f.mode == FailureMode::TaskManager)
        .expect("the TaskManager failure is analysed");
    // A deploy, a rescale and a partition increase stop the job with a
    // savepoint and start it again: no failure to detect and nothing to
    // replay, but the savepoint, the restart and the state restored.
    let planned_stop_s = last.flink.checkpoint_duration_s
        + a.slo.deploy_restart_s.value
        + fault::restore_s(&last.flink, arch, &a.fault);
    let planned = |operation, per_window| OperationCost {
        operation,
        per_window,
        stopped_s: planned_stop_s,
        backlog_s: planned_stop_s,
        catch_up_s: fault::drain_s(planned_stop_s, rho),
        bad_s_each: Vec::new(),
    };
    let carried: Vec<&MonthPlan> = plan
        .iter()
        .take_while(|&(m, _)| m <= last_carried_month)
        .map(|(_, p)| &p.base)
        .collect();
    // Each count starts from today's: the first change is from production's.
    let keyed_today = arch.keyed_operator().parallelism;
    let keyed_parallelism: Vec<u32> = std::iter::once(keyed_today)
        .chain(
            carried
                .iter()
                .filter_map(|p| p.flink.vertices.iter().find(|v| v.keyed))
                .map(|v| v.parallelism.as_ref().copied().unwrap_or(0)),
        )
        .collect();
    let partitions: Vec<u32> = std::iter::once(arch.keyed_topic().partitions)
        .chain(carried.iter().map(|p| p.partitions_planned))
        .collect();
    let task_managers = f64::from(last.flink.task_managers.unwrap_or(arch.flink.task_managers));
    let mut operations = vec![
        OperationCost {
            operation: Operation::TaskManagerFailure,
            per_window: a.slo.task_manager_failures_per_window.value * task_managers,
            stopped_s: task_manager.interruption_s,
            backlog_s: task_manager.backlog_s,
            catch_up_s: task_manager.catch_up_s,
            bad_s_each: Vec::new(),
        },
        planned(Operation::Deploy, a.slo.deploys_per_window.value),
        planned(
            Operation::Rescale,
            changes_per_window(&keyed_parallelism, window_days),
        ),
        planned(
            Operation::PartitionIncrease,
            changes_per_window(&partitions, window_days),
        ),
    ];
    let lag_slos: Vec<&Slo> = slos
        .iter()
        .filter(|s| matches!(s.kind, SloKind::IngestLag | SloKind::ProcessingLag))
        .collect();
    for op in &mut operations {
        op.bad_s_each = lag_slos
            .iter()
            .map(|s| {
                let margin = s.threshold - s.predicted.unwrap_or(0.0);
                bad_seconds(op.stopped_s, op.backlog_s, op.catch_up_s, margin)
            })
            .collect();
    }
    let slos = lag_slos
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let spent_minutes = operations
                .iter()
                .map(|o| o.per_window * o.bad_s_each[i] / 60.0)
                .sum();
            SloBudget {
                kind: s.kind,
                threshold_s: s.threshold,
                normal_p99_s: s.predicted.unwrap_or(0.0),
                budget_minutes: s.error_budget_minutes,
                spent_minutes,
                within: spent_minutes <= s.error_budget_minutes,
            }
        })
        .collect();
    let ingest_p99_s = last.latency.ingest_p99_ms / 1000.0;
    let downstream_s = last.latency.total_p99_ms / 1000.0 - ingest_p99_s;
    let plus = a.slo.ingest_lag_threshold_s.value + downstream_s;
    let end_to_end_target_s = a.latency.end_to_end_p99_target_ms.value / 1000.0;
    ErrorBudget {
        month: last_carried_month,
        window_days,
        operations,
        slos,
        ingest_threshold_fits_end_to_end: plus <= end_to_end_target_s,
        ingest_threshold_plus_downstream_s: plus,
        end_to_end_target_s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outage_spends_the_budget_while_the_lag_is_over_its_margin() {
        // 100 s stopped, 160 s behind, 320 s to drain; a 10 s margin: 90 s
        // during the outage and 320 × (1 − 10/160) = 300 s while draining.
        assert!((bad_seconds(100.0, 160.0, 320.0, 10.0) - 390.0).abs() < 1e-9);
        // A backlog under the margin spends nothing.
        assert_eq!(bad_seconds(5.0, 8.0, 20.0, 10.0), 0.0);
        // A normal level already over the threshold: every second counts.
        assert!((bad_seconds(100.0, 160.0, 320.0, -3.0) - 420.0).abs() < 1e-9);
    }

    #[test]
    fn changes_are_counted_per_window() {
        // Today's 1, then twelve months: three changes in a year, 3 / 365.25
        // days × 28 days.
        let counts = [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 5, 5, 5];
        let per = changes_per_window(&counts, 28.0);
        assert!((per - 3.0 / 365.25 * 28.0).abs() < 1e-12);
        assert_eq!(changes_per_window(&[], 28.0), 0.0);
        assert_eq!(changes_per_window(&[4], 28.0), 0.0);
        assert_eq!(changes_per_window(&[4, 4], 28.0), 0.0);
    }
}
