//! The operations the plan asks of the team, on its last month carried: the
//! partition increase's cut-over, the key switch, a JobManager failover, a
//! backfill from Kafka's retention, a zone lost at peak, and what the merge
//! stage costs. Each figure is one the runbooks need.

use serde::Serialize;

use super::MonthPlan;
use super::fault::{self, FaultTolerance};
use super::kafka::PartitionIncrease;
use crate::inputs::architecture::Architecture;
use crate::inputs::assumptions::FaultAssumptions;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Operations {
    /// The first partition increase of the base schedule, if any: the
    /// cut-over the other key changes should ride on.
    pub first_increase: Option<PartitionIncrease>,
    pub job_manager: JobManagerFailover,
    pub backfill: Backfill,
    pub zone: ZoneAtPeak,
    pub merge_stage: Option<MergeStage>,
}

/// A standby JobManager takes over, and the whole job restarts from its
/// latest checkpoint: every TaskManager restores its state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobManagerFailover {
    pub failover_s: f64,
    pub restore_s: f64,
    /// Failover and restore: no result leaves the job meanwhile.
    pub interruption_s: f64,
    /// The interruption and the replay of the checkpoint interval.
    pub backlog_s: f64,
    pub catch_up_s: f64,
}

/// Reprocessing the longest outage Kafka's retention holds, at the spare
/// capacity of the stage with the least to spare.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Backfill {
    pub outage_h: f64,
    pub catch_up_h: f64,
}

/// A zone lost at peak: what must start again elsewhere.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ZoneAtPeak {
    pub zones: u32,
    pub task_managers_lost: u32,
    pub slots_lost: u32,
    /// TaskManagers to start in each surviving zone for the job to run at
    /// the plan's size again.
    pub task_managers_per_surviving_zone: u32,
    /// Partitions whose leader was in the zone: their leadership moves.
    pub leaders_moved: u32,
    /// Shards with a replica in the zone, which run on the rest meanwhile.
    pub shards_short_a_replica: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MergeStage {
    pub records_per_s: f64,
    pub state_bytes: f64,
    pub state_share: f64,
    /// The extra hop a result takes: one network buffer timeout.
    pub latency_ms: f64,
}

/// What the operations read of the job beside the month's plan.
pub struct Job {
    pub checkpoint_interval_s: f64,
    pub buffer_timeout_ms: f64,
    pub needs_merge_stage: bool,
    pub slots_per_task_manager: u32,
}

pub fn plan(
    last: &MonthPlan,
    first_increase: Option<PartitionIncrease>,
    faults: &FaultTolerance,
    job: &Job,
    arch: &Architecture,
    a: &FaultAssumptions,
) -> Operations {
    let Job {
        checkpoint_interval_s,
        buffer_timeout_ms,
        needs_merge_stage,
        slots_per_task_manager,
    } = *job;
    let flink = &last.flink;
    let rho = faults.bottleneck_utilization;
    let restore_s = fault::restore_s(flink, arch, a);
    let failover_s = a.job_manager_failover_s.value;
    let interruption_s = failover_s + restore_s;
    let backlog_s = interruption_s + checkpoint_interval_s + flink.checkpoint_duration_s;
    let zones = arch.deployment.availability_zones.max(1);
    let task_managers = flink.task_managers.unwrap_or(arch.flink.task_managers);
    let task_managers_lost = task_managers.div_ceil(zones);
    let partitions = last.partitions_planned;
    let ch = &last.clickhouse;
    Operations {
        first_increase,
        job_manager: JobManagerFailover {
            failover_s,
            restore_s,
            interruption_s,
            backlog_s,
            catch_up_s: fault::drain_s(backlog_s, rho),
        },
        backfill: Backfill {
            outage_h: faults.max_outage_without_loss_h,
            catch_up_h: fault::drain_s(faults.max_outage_without_loss_h * 3600.0, rho) / 3600.0,
        },
        zone: ZoneAtPeak {
            zones,
            task_managers_lost,
            slots_lost: task_managers_lost * slots_per_task_manager,
            task_managers_per_surviving_zone: task_managers_lost
                .div_ceil(zones.saturating_sub(1).max(1)),
            leaders_moved: partitions.div_ceil(zones),
            // A shard's replicas sit in distinct zones, spread evenly.
            shards_short_a_replica: (ch.shards * ch.replicas.min(zones)).div_ceil(zones),
        },
        merge_stage: needs_merge_stage.then(|| MergeStage {
            records_per_s: flink.merge_records_per_s,
            state_bytes: flink.merge_state_bytes,
            state_share: flink.merge_state_bytes / flink.state_bytes.max(1.0),
            latency_ms: buffer_timeout_ms,
        }),
    }
}
