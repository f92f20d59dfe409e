//! `fault-tolerance.md`: each failure mode of the plan's last month it carries, the
//! exactly-once path and the Keeper load; the readout and the risks quote them.

use serde::Serialize;

use super::text::Code;
use super::{Source, words};
use crate::model::fault::{FailureAnalysis, FailureMode};

#[derive(Debug, Serialize)]
pub struct Fault {
    /// The month the failures are taken in, and whether it is before the
    /// plan's last month because the chosen strategy stops fitting.
    pub label: String,
    pub before_misfit: bool,
    /// The stage with the least to spare at peak, in words ("a ClickHouse
    /// shard against its merge-safe rate"), and its utilization there: the
    /// pace of every catch-up.
    pub pace: &'static str,
    pub bottleneck_utilization: f64,
    /// What a TaskManager failure's catch-up may take, and whether it does.
    pub catch_up_target_s: f64,
    pub catch_up_target_met: bool,
    pub max_outage_without_loss_h: f64,
    /// A shard's peak insert rate over its merge-safe rate.
    pub clickhouse_utilization: f64,
    /// Every failure mode, in the model's order.
    pub failures: Vec<Failure>,
    pub broker: Failure,
    pub task_manager: Failure,
    pub clickhouse_replica: Failure,
    pub keeper_majority: Failure,
    pub zone: Failure,
    /// What one zone's loss leaves of the replicated systems.
    pub zone_loss: ZoneLoss,
    /// The `insert_quorum` that would acknowledge an insert only once every
    /// replica of its shard has it.
    pub insert_quorum: u32,
    pub exactly_once: ExactlyOnce,
    pub keeper: Keeper,
}

#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    pub name: &'static str,
    pub interruption_s: f64,
    pub backlog_s: f64,
    pub catch_up_s: f64,
    pub recovery_s: f64,
    pub repair_h: f64,
    /// Whether any acknowledged event is held by one copy only.
    pub loses_events: bool,
    /// Whether the failure takes every copy there is (one replica, one zone).
    pub loses_all: bool,
    pub events_lost: f64,
    pub rows_duplicated_without_dedup: f64,
    /// The CAP property given up.
    pub relaxed: &'static str,
    pub survivors_carry_peak: bool,
    pub utilization_after: f64,
}

#[derive(Debug, Serialize)]
pub struct ZoneLoss {
    pub zones: u32,
    pub replication_factor: u32,
    pub min_insync_replicas: u32,
    pub replicas_left: u32,
    pub keeper_majority_kept: bool,
}

#[derive(Debug, Serialize)]
pub struct ExactlyOnce {
    pub checkpoint_interval_s: f64,
    pub checkpoint_duration_s: f64,
    pub replay_events: f64,
    pub tables: Vec<DedupTable>,
    pub window_configured: f64,
    /// Whether the configured window covers every table.
    pub window_sufficient: bool,
    /// The most block tokens any table needs per shard.
    pub blocks_needed: f64,
    /// Today's interval, the longest the configured window holds, and what
    /// the plan does: keep, shorten, or shorten and raise the window.
    pub interval_today_s: f64,
    pub longest_fitting_s: f64,
    pub min_interval_s: f64,
    pub shortened: bool,
    pub window_raised: bool,
    pub window_planned: f64,
}

#[derive(Debug, Serialize)]
pub struct DedupTable {
    pub table: Code,
    pub writers: u32,
    pub blocks_needed: f64,
}

#[derive(Debug, Serialize)]
pub struct Keeper {
    pub nodes: u32,
    pub tolerated_failures: u32,
    pub inserts_per_s: f64,
    pub capacity_per_s: f64,
    pub utilization: f64,
    /// Whether one ensemble is too few for the inserts.
    pub overloaded: bool,
}

fn failure(f: &FailureAnalysis) -> Failure {
    Failure {
        name: words::failure_mode(f.mode),
        interruption_s: f.interruption_s,
        backlog_s: f.backlog_s,
        catch_up_s: f.catch_up_s,
        recovery_s: f.recovery_s,
        repair_h: f.repair_s / 3600.0,
        loses_events: f.events_lost > 0.0,
        loses_all: f.events_lost.is_infinite(),
        events_lost: f.events_lost,
        rows_duplicated_without_dedup: f.rows_duplicated_without_dedup,
        relaxed: words::relaxed(f.relaxed),
        survivors_carry_peak: f.survivors_carry_peak,
        utilization_after: f.utilization_after,
    }
}

pub fn build(src: &Source<'_>) -> Fault {
    let f = &src.model.fault;
    let mode = |m: FailureMode| {
        failure(
            f.failures
                .iter()
                .find(|x| x.mode == m)
                .expect("the model analyses every failure mode"),
        )
    };
    let e = &f.exactly_once;
    let month = src.model.last_carried_month;
    let plan = src.months.plan(month, crate::inputs::Scenario::Base);
    Fault {
        label: src.months.label(month).to_owned(),
        before_misfit: month != src.months.last(),
        pace: words::fleet_stage(f.pace),
        bottleneck_utilization: f.bottleneck_utilization,
        catch_up_target_s: f.catch_up_target_s,
        catch_up_target_met: f.catch_up_target_met,
        max_outage_without_loss_h: f.max_outage_without_loss_h,
        clickhouse_utilization: f.clickhouse_utilization,
        failures: f.failures.iter().map(failure).collect(),
        broker: mode(FailureMode::Broker),
        task_manager: mode(FailureMode::TaskManager),
        clickhouse_replica: mode(FailureMode::ClickHouseReplica),
        keeper_majority: mode(FailureMode::KeeperMajority),
        zone: mode(FailureMode::Zone),
        zone_loss: ZoneLoss {
            zones: src.inputs.architecture.deployment.availability_zones,
            replication_factor: f.zone.replication_factor,
            min_insync_replicas: f.zone.min_insync_replicas,
            replicas_left: f.zone.replicas_left,
            keeper_majority_kept: f.zone.keeper_majority_kept,
        },
        insert_quorum: plan.clickhouse.replicas,
        exactly_once: ExactlyOnce {
            checkpoint_interval_s: e.checkpoint_interval_s,
            checkpoint_duration_s: e.checkpoint_duration_s,
            replay_events: e.replay_events,
            tables: e
                .tables
                .iter()
                .map(|t| DedupTable {
                    table: Code::new(&t.table),
                    writers: t.writers,
                    blocks_needed: t.blocks_needed,
                })
                .collect(),
            window_configured: e.window_configured,
            window_sufficient: e.window_sufficient,
            blocks_needed: e.tables.iter().map(|t| t.blocks_needed).fold(0.0, f64::max),
            interval_today_s: e.checkpoint.today_s,
            longest_fitting_s: e.checkpoint.longest_fitting_s.max(0.0),
            min_interval_s: src.inputs.assumptions.flink.min_checkpoint_interval_s.value,
            shortened: e.checkpoint.shortened(),
            window_raised: e.checkpoint.window_raised(),
            window_planned: e.checkpoint.window_planned,
        },
        keeper: Keeper {
            nodes: src.inputs.architecture.clickhouse.keeper_nodes,
            tolerated_failures: f.keeper.tolerated_failures,
            inserts_per_s: f.keeper.inserts_per_s,
            capacity_per_s: f.keeper.capacity_per_s,
            utilization: f.keeper.utilization,
            overloaded: f.keeper.utilization > 1.0,
        },
    }
}
