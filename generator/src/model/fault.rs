//! Failure modes of the planned pipeline: for each one, how long processing
//! stops, how long the backlog takes to drain, how long until redundancy is
//! back, what is lost or duplicated, and which CAP property gives way.
//!
//! Backlogs drain as a fluid queue: a stage at utilization `ρ` at peak has
//! `μ − λ = λ (1 − ρ) / ρ` to spare, so `T` seconds of backlog take
//! `T ρ / (1 − ρ)` seconds to drain, with `ρ` the busiest stage's: the brokers,
//! the source's busiest reader, the hottest keyed subtask or a ClickHouse
//! shard against its merge-safe rate, whichever has least to spare.

use serde::Serialize;

use super::MonthPlan;
use super::flink::FlinkSizing;
use super::headroom;
use crate::inputs::architecture::Architecture;
use crate::inputs::assumptions::FaultAssumptions;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureMode {
    Broker,
    TaskManager,
    ClickHouseReplica,
    KeeperMajority,
    Zone,
}

/// Which CAP property the pipeline gives up while the failure lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Relaxed {
    /// Writes or results stop rather than diverge.
    Availability,
    /// Keeps serving, but a read may miss what another replica already has.
    Consistency,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailureAnalysis {
    pub mode: FailureMode,
    /// Seconds during which the affected part takes no new events.
    pub interruption_s: f64,
    /// Seconds of input that must be (re)processed after it: the outage plus replay.
    pub backlog_s: f64,
    /// Seconds to drain that backlog with the plan's headroom.
    pub catch_up_s: f64,
    /// Interruption plus catch-up: until lag is back to normal.
    pub recovery_s: f64,
    /// Seconds until full redundancy is back (re-replication, replica rebuild);
    /// zero when nothing has to be copied.
    pub repair_s: f64,
    /// Events that can be lost: acknowledged but held by one copy only.
    pub events_lost: f64,
    /// Rows written twice on replay without the sink's deduplication token;
    /// with it (the plan), none.
    pub rows_duplicated_without_dedup: f64,
    pub relaxed: Relaxed,
    /// Whether the survivors carry the peak load without new capacity.
    pub survivors_carry_peak: bool,
    /// Utilization of the busiest surviving resource at peak.
    pub utilization_after: f64,
}

/// The exactly-once path's numbers: the replay horizon and the deduplication
/// window it needs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExactlyOnce {
    /// The plan's interval, chosen with the window.
    pub checkpoint_interval_s: f64,
    pub checkpoint: CheckpointChoice,
    pub checkpoint_duration_s: f64,
    /// Events in flight that a restore re-reads from Kafka at most.
    pub replay_events: f64,
    /// Per table: block hashes a shard must remember to drop every replayed insert.
    pub tables: Vec<DedupWindow>,
    pub window_configured: f64,
    pub window_sufficient: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DedupWindow {
    pub table: String,
    pub writers: u32,
    pub blocks_needed: f64,
}

/// What one zone's loss leaves of the replicated systems (replicas one per zone).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ZoneLoss {
    /// The smallest replication factor over the topics, and the largest min ISR.
    pub replication_factor: u32,
    pub min_insync_replicas: u32,
    /// Replicas of every partition left after the zone.
    pub replicas_left: u32,
    pub keeper_majority_kept: bool,
}

/// Keeper's share of its insert capacity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeeperLoad {
    /// Nodes the ensemble can lose and keep a majority.
    pub tolerated_failures: u32,
    pub inserts_per_s: f64,
    pub capacity_per_s: f64,
    pub utilization: f64,
}

/// The stage whose spare capacity paces a catch-up.
pub use super::headroom::Stage as PaceStage;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaultTolerance {
    pub month: u32,
    /// The stage with the least to spare at peak, and its utilization there:
    /// the pace of every catch-up.
    pub pace: PaceStage,
    pub bottleneck_utilization: f64,
    /// What a TaskManager failure's catch-up may take, and whether it does.
    pub catch_up_target_s: f64,
    pub catch_up_target_met: bool,
    /// A shard's peak insert rate over its merge-safe rate.
    pub clickhouse_utilization: f64,
    pub failures: Vec<FailureAnalysis>,
    pub exactly_once: ExactlyOnce,
    pub keeper: KeeperLoad,
    pub zone: ZoneLoss,
    /// The longest ClickHouse or Flink outage Kafka's retention absorbs without loss, hours.
    pub max_outage_without_loss_h: f64,
}

impl FailureAnalysis {
    /// A failure that stops processing for `interruption_s` and leaves
    /// `backlog_s` seconds of input to (re)process, drained at `rho`. Nothing
    /// lost, duplicated or to repair; the caller overrides what differs.
    fn outage(mode: FailureMode, interruption_s: f64, backlog_s: f64, rho: f64) -> Self {
        let catch_up_s = drain_s(backlog_s, rho);
        FailureAnalysis {
            mode,
            interruption_s,
            backlog_s,
            catch_up_s,
            recovery_s: interruption_s + catch_up_s,
            repair_s: 0.0,
            events_lost: 0.0,
            rows_duplicated_without_dedup: 0.0,
            relaxed: Relaxed::Availability,
            survivors_carry_peak: false,
            utilization_after: rho,
        }
    }
}

/// Seconds of input a TaskManager failure leaves to (re)process: detection,
/// a replacement, the state restored from the last checkpoint, and the
/// replay since it (at worst one interval plus the checkpoint in progress).
/// A month whose job fits no TaskManagers restores on today's.
pub fn task_manager_backlog_s(
    flink: &FlinkSizing,
    checkpoint_interval_s: f64,
    arch: &Architecture,
    a: &FaultAssumptions,
) -> f64 {
    task_manager_down_s(flink, arch, a) + replay_s(flink, checkpoint_interval_s)
}

/// From a TaskManager's loss until the job runs again.
fn task_manager_down_s(flink: &FlinkSizing, arch: &Architecture, a: &FaultAssumptions) -> f64 {
    a.flink_failure_detection_s.value
        + a.task_manager_replacement_s.value
        + restore_s(flink, arch, a)
}

/// Seconds to download the job's state into every TaskManager on a restore.
pub fn restore_s(flink: &FlinkSizing, arch: &Architecture, a: &FaultAssumptions) -> f64 {
    let task_managers = flink.task_managers.unwrap_or(arch.flink.task_managers);
    flink.state_bytes
        / 1e6
        / (a.state_restore_mb_per_s_per_task_manager.value * f64::from(task_managers.max(1)))
}

/// What a restore replays: everything since the last completed checkpoint.
fn replay_s(flink: &FlinkSizing, checkpoint_interval_s: f64) -> f64 {
    checkpoint_interval_s + flink.checkpoint_duration_s
}

/// The checkpoint interval and the deduplication window, chosen together: a
/// restore replays one interval plus the checkpoint in progress, and every
/// block the sink sent since must still be in the window for its token to
/// drop it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckpointChoice {
    pub today_s: f64,
    pub interval_s: f64,
    /// The longest interval the configured window holds (below zero when the
    /// window does not hold even the checkpoint itself).
    pub longest_fitting_s: f64,
    pub window_configured: f64,
    /// The window the plan sets: the configured one, or what the replay needs.
    pub window_planned: f64,
}

impl CheckpointChoice {
    pub fn shortened(&self) -> bool {
        self.interval_s < self.today_s
    }

    pub fn window_raised(&self) -> bool {
        self.window_planned > self.window_configured
    }
}

/// Blocks a shard must remember for one table: each of `writers` sends it one
/// block per insert interval, over the replay.
fn blocks_needed(writers: u32, replay_s: f64, insert_interval_ms: f64) -> f64 {
    f64::from(writers) * replay_s * 1000.0 / insert_interval_ms
}

/// Each ClickHouse table with its writers (the subtasks of the vertex that
/// writes it) and its insert interval.
fn table_writers(flink: &FlinkSizing, arch: &Architecture) -> Vec<(String, u32, f64)> {
    arch.clickhouse
        .tables
        .iter()
        .map(|t| {
            let writers = flink
                .vertices
                .iter()
                .find(|v| v.name == t.written_by)
                .and_then(|v| v.parallelism.ok())
                .unwrap_or(1);
            (t.name.clone(), writers, t.insert_interval_ms)
        })
        .collect()
}

/// Today's interval when the configured window holds its replay; else the
/// longest whole-second interval it holds, down to the shortest the plan
/// allows; below that, the shortest interval and a window raised to what
/// its replay needs.
pub fn choose_checkpoint_interval(
    flink: &FlinkSizing,
    arch: &Architecture,
    a: &crate::inputs::assumptions::Assumptions,
) -> CheckpointChoice {
    let today_s = arch.flink.checkpoint_interval_ms / 1000.0;
    let window = a.fault.replicated_deduplication_window.value;
    let duration = if flink.checkpoint_duration_s.is_finite() {
        flink.checkpoint_duration_s
    } else {
        0.0
    };
    let writers = table_writers(flink, arch);
    // writers × (interval + duration) / insert interval ≤ window.
    let longest_fitting_s = writers
        .iter()
        .map(|&(_, w, insert_ms)| window * insert_ms / 1000.0 / f64::from(w) - duration)
        .fold(f64::INFINITY, f64::min);
    let shortest = a.flink.min_checkpoint_interval_s.value.min(today_s);
    let interval_s = if longest_fitting_s >= today_s {
        today_s
    } else if longest_fitting_s.floor() >= shortest {
        longest_fitting_s.floor()
    } else {
        shortest
    };
    let needed = writers
        .iter()
        .map(|&(_, w, insert_ms)| blocks_needed(w, interval_s + duration, insert_ms))
        .fold(0.0, f64::max);
    CheckpointChoice {
        today_s,
        interval_s,
        longest_fitting_s,
        window_configured: window,
        window_planned: window.max(needed.ceil()),
    }
}

/// The highest utilization at peak a stage may run at and still drain
/// `backlog_s` within `target_s`: `T ρ / (1 − ρ) ≤ target` gives
/// `ρ ≤ target / (T + target)`. A backlog with no end (a checkpoint that never
/// completes) leaves no ceiling to size by: 1.
pub fn catch_up_ceiling(backlog_s: f64, target_s: f64) -> f64 {
    if backlog_s.is_finite() {
        target_s / (backlog_s + target_s)
    } else {
        1.0
    }
}

/// Seconds to drain `backlog_s` seconds of input at utilization `rho`.
pub fn drain_s(backlog_s: f64, rho: f64) -> f64 {
    if rho >= 1.0 {
        f64::INFINITY
    } else {
        backlog_s * rho / (1.0 - rho)
    }
}

/// Members a group of `n` loses when one of `zones` zones goes, spread evenly.
fn lost_in_zone(n: u32, zones: u32) -> u32 {
    n.div_ceil(zones.max(1))
}

pub fn analyse(
    plan: &MonthPlan,
    arch: &Architecture,
    checkpoint: &CheckpointChoice,
    a: &FaultAssumptions,
) -> FaultTolerance {
    let ch = &plan.clickhouse;
    let ch_rho = ch.peak_rows_per_s_per_shard / ch.merge_safe_rows_per_s;
    // A backlog drains at the pace of the stage with the least to spare.
    let (pace, rho) = headroom::busiest(plan);
    let keyed_topic = &arch.keyed_topic().name;
    let peak_events = plan
        .topics
        .iter()
        .find(|t| &t.topic == keyed_topic)
        .map_or(0.0, |t| t.peak_events_per_s);
    let interval_s = checkpoint.interval_s;
    let checkpoint_s = plan.flink.checkpoint_duration_s;
    let replay_s = replay_s(&plan.flink, interval_s);
    let flink_down_s = task_manager_down_s(&plan.flink, arch, a);
    let zones = arch.deployment.availability_zones;
    let brokers = plan.brokers.brokers;
    let u_b = plan.brokers.throughput_utilization;
    let retained_gb_per_broker = plan.brokers.retained_gb / f64::from(brokers.max(1));
    let retained_gb_per_shard = ch.retained_gb / f64::from(ch.shards.max(1));
    let replica_rebuild_s =
        retained_gb_per_shard * 1000.0 / a.clickhouse_replica_fetch_mb_per_s.value;
    let broker_repair_s = retained_gb_per_broker * 1000.0 / a.kafka_reassignment_mb_per_s.value;
    let replica_loss_rows = ch.peak_rows_per_s_per_shard * a.clickhouse_replication_lag_s.value;
    let events_per_row = if ch.peak_rows_per_s > 0.0 {
        peak_events / ch.peak_rows_per_s
    } else {
        0.0
    };

    let mut failures = Vec::new();

    // A broker: its partitions' leadership moves to in-sync followers; with
    // acks=all and min.insync.replicas, an acknowledged write is on min ISR brokers.
    let broker_after = u_b * f64::from(brokers) / f64::from(brokers.saturating_sub(1).max(1));
    let failover = a.kafka_leader_failover_s.value;
    failures.push(FailureAnalysis {
        repair_s: broker_repair_s,
        survivors_carry_peak: brokers > 1 && broker_after <= 1.0,
        utilization_after: broker_after,
        ..FailureAnalysis::outage(FailureMode::Broker, failover, failover, rho)
    });

    // A TaskManager: the keyed shuffle makes the whole job one failover
    // region, so every task restarts from the last checkpoint.
    let replayed_rows = ch.peak_rows_per_s * replay_s;
    failures.push(FailureAnalysis {
        rows_duplicated_without_dedup: replayed_rows,
        ..FailureAnalysis::outage(
            FailureMode::TaskManager,
            flink_down_s,
            flink_down_s + replay_s,
            rho,
        )
    });

    // A ClickHouse replica: the shard's other replica takes inserts and
    // queries; parts it had not fetched yet exist on the lost disk only.
    let replicas = ch.replicas.max(1);
    failures.push(FailureAnalysis {
        repair_s: replica_rebuild_s,
        events_lost: if replicas > 1 {
            replica_loss_rows * events_per_row
        } else {
            f64::INFINITY
        },
        relaxed: Relaxed::Consistency,
        survivors_carry_peak: replicas > 1,
        utilization_after: ch_rho,
        ..FailureAnalysis::outage(FailureMode::ClickHouseReplica, 0.0, 0.0, rho)
    });

    // A Keeper majority: replicated tables turn read-only; the sink retries,
    // backpressure stops the job and Kafka holds the backlog.
    let keeper_down = a.keeper_recovery_s.value;
    failures.push(FailureAnalysis {
        rows_duplicated_without_dedup: replayed_rows,
        ..FailureAnalysis::outage(
            FailureMode::KeeperMajority,
            keeper_down,
            keeper_down + replay_s,
            rho,
        )
    });

    // A zone: a share of every fleet at once. Rack-aware replicas keep one
    // copy per zone, so Kafka keeps its ISR if enough replicas remain.
    let rf = plan
        .topics
        .iter()
        .map(|t| t.replication_factor)
        .min()
        .unwrap_or(1);
    let min_isr = arch
        .kafka
        .topics
        .iter()
        .map(|t| t.min_insync_replicas)
        .max()
        .unwrap_or(1);
    let kafka_writable = rf.saturating_sub(lost_in_zone(rf, zones)) >= min_isr;
    let keeper = arch.clickhouse.keeper_nodes;
    let keeper_majority = keeper.saturating_sub(lost_in_zone(keeper, zones)) > keeper / 2;
    let brokers_left = brokers.saturating_sub(lost_in_zone(brokers, zones));
    let zone_broker_after = if brokers_left == 0 {
        f64::INFINITY
    } else {
        u_b * f64::from(brokers) / f64::from(brokers_left)
    };
    let zone_down = flink_down_s.max(failover) + if keeper_majority { 0.0 } else { keeper_down };
    let survives = zones > 1 && kafka_writable && zone_broker_after <= 1.0;
    failures.push(FailureAnalysis {
        repair_s: broker_repair_s.max(replica_rebuild_s),
        // Each shard has its replicas in distinct zones: a zone holds one of
        // them for `replicas / zones` of the shards.
        events_lost: if replicas > 1 && zones > 1 {
            replica_loss_rows
                * f64::from(ch.shards)
                * (f64::from(replicas) / f64::from(zones)).min(1.0)
                * events_per_row
        } else {
            f64::INFINITY
        },
        rows_duplicated_without_dedup: replayed_rows,
        survivors_carry_peak: survives && keeper_majority,
        utilization_after: zone_broker_after,
        ..FailureAnalysis::outage(FailureMode::Zone, zone_down, zone_down + replay_s, rho)
    });
    let zone = ZoneLoss {
        replication_factor: rf,
        min_insync_replicas: min_isr,
        replicas_left: rf.saturating_sub(lost_in_zone(rf, zones)),
        keeper_majority_kept: keeper_majority,
    };

    // Every writer sends each shard one block per insert; the shard must
    // remember all blocks since the last completed checkpoint.
    let tables = table_writers(&plan.flink, arch)
        .into_iter()
        .map(|(table, writers, insert_ms)| DedupWindow {
            table,
            writers,
            blocks_needed: blocks_needed(writers, replay_s, insert_ms),
        })
        .collect::<Vec<_>>();
    let window = a.replicated_deduplication_window.value;
    let exactly_once = ExactlyOnce {
        checkpoint_interval_s: interval_s,
        checkpoint: checkpoint.clone(),
        checkpoint_duration_s: checkpoint_s,
        replay_events: peak_events * replay_s,
        window_sufficient: tables.iter().all(|t| t.blocks_needed <= window),
        tables,
        window_configured: window,
    };

    // Each flushed async-insert buffer is one replicated insert per table and shard.
    let inserts_per_s =
        ch.parts_per_s_per_shard * f64::from(ch.shards) * arch.clickhouse.tables.len() as f64;
    let keeper_load = KeeperLoad {
        tolerated_failures: arch.clickhouse.keeper_nodes.saturating_sub(1) / 2,
        inserts_per_s,
        capacity_per_s: a.keeper_inserts_per_s.value,
        utilization: inserts_per_s / a.keeper_inserts_per_s.value,
    };
    let retention_h = arch
        .kafka
        .topics
        .iter()
        .map(|t| t.retention_hours)
        .fold(f64::INFINITY, f64::min);

    let target_s = a.catch_up_target_s.value;
    let task_manager_catch_up = failures
        .iter()
        .find(|f| f.mode == FailureMode::TaskManager)
        .map_or(0.0, |f| f.catch_up_s);
    FaultTolerance {
        month: plan.month,
        pace,
        bottleneck_utilization: rho,
        catch_up_target_s: target_s,
        catch_up_target_met: task_manager_catch_up <= target_s * (1.0 + 1e-9),
        clickhouse_utilization: ch_rho,
        failures,
        exactly_once,
        keeper: keeper_load,
        zone,
        max_outage_without_loss_h: retention_h,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::LazyLock;

    use super::*;
    use crate::inputs::{self, Inputs};
    use crate::model::{self, MonthPlan};

    /// The committed inputs and their plan's last base month.
    static PLAN: LazyLock<(Inputs, MonthPlan)> = LazyLock::new(|| {
        let inputs = inputs::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../data")).unwrap();
        let m = model::run(&inputs);
        let last = m.plan.last().base.clone();
        (inputs, last)
    });

    fn analyse_with(edit: impl FnOnce(&mut Architecture, &mut FaultAssumptions)) -> FaultTolerance {
        let (inputs, plan) = &*PLAN;
        let mut arch = inputs.architecture.clone();
        let mut a = inputs.assumptions.fault.clone();
        edit(&mut arch, &mut a);
        let mut all = inputs.assumptions.clone();
        all.fault = a.clone();
        let checkpoint = choose_checkpoint_interval(&plan.flink, &arch, &all);
        analyse(plan, &arch, &checkpoint, &a)
    }

    fn mode(f: &FaultTolerance, mode: FailureMode) -> &FailureAnalysis {
        f.failures.iter().find(|x| x.mode == mode).unwrap()
    }

    #[test]
    fn a_zone_is_survived_only_with_enough_replicas_left_in_sync() {
        let spread = analyse_with(|_, _| {});
        assert!(mode(&spread, FailureMode::Zone).survivors_carry_peak);
        // min ISR 3 of RF 3: a zone takes one replica of every partition.
        let strict = analyse_with(|arch, _| {
            for t in &mut arch.kafka.topics {
                t.min_insync_replicas = 3;
            }
        });
        assert!(!mode(&strict, FailureMode::Zone).survivors_carry_peak);
        // One zone: losing it loses everything, nothing is "at risk" but all of it.
        let single = analyse_with(|arch, _| arch.deployment.availability_zones = 1);
        let zone = mode(&single, FailureMode::Zone);
        assert!(!zone.survivors_carry_peak);
        assert!(zone.events_lost.is_infinite());
    }

    #[test]
    fn a_zone_that_takes_the_keeper_majority_adds_the_keeper_recovery() {
        let three = analyse_with(|_, _| {});
        let one = analyse_with(|arch, _| arch.clickhouse.keeper_nodes = 1);
        let keeper = mode(&one, FailureMode::KeeperMajority).interruption_s;
        let (z3, z1) = (
            mode(&three, FailureMode::Zone),
            mode(&one, FailureMode::Zone),
        );
        assert!((z1.interruption_s - z3.interruption_s - keeper).abs() < 1e-9);
        assert!(!z1.survivors_carry_peak);
        assert_eq!(one.keeper.tolerated_failures, 0);
        assert_eq!(three.keeper.tolerated_failures, 1);
    }

    #[test]
    fn the_dedup_window_check_follows_the_configured_window() {
        let base = analyse_with(|_, _| {});
        let needed = base
            .exactly_once
            .tables
            .iter()
            .map(|t| t.blocks_needed)
            .fold(0.0, f64::max);
        let wide = analyse_with(|_, a| a.replicated_deduplication_window.value = needed.ceil());
        assert!(wide.exactly_once.window_sufficient);
        let narrow =
            analyse_with(|_, a| a.replicated_deduplication_window.value = (needed - 1.0).max(1.0));
        assert!(!narrow.exactly_once.window_sufficient);
    }

    #[test]
    fn a_slower_restart_takes_longer_to_recover_and_replays_the_same() {
        let base = analyse_with(|_, _| {});
        let slow = analyse_with(|_, a| a.task_manager_replacement_s.value += 120.0);
        let (b, s) = (
            mode(&base, FailureMode::TaskManager),
            mode(&slow, FailureMode::TaskManager),
        );
        assert!((s.interruption_s - b.interruption_s - 120.0).abs() < 1e-9);
        assert!(
            s.recovery_s > b.recovery_s + 120.0,
            "the longer backlog drains longer too"
        );
        assert_eq!(
            s.rows_duplicated_without_dedup,
            b.rows_duplicated_without_dedup
        );
        assert_eq!(b.events_lost, 0.0);
    }

    #[test]
    fn a_backlog_drains_in_proportion_to_the_headroom() {
        assert!((drain_s(60.0, 0.5) - 60.0).abs() < 1e-9);
        assert!((drain_s(60.0, 0.75) - 180.0).abs() < 1e-9);
        assert!(drain_s(60.0, 1.0).is_infinite());
    }

    #[test]
    fn a_zone_takes_its_share_rounded_up() {
        assert_eq!(lost_in_zone(3, 3), 1);
        assert_eq!(lost_in_zone(7, 3), 3);
        assert_eq!(lost_in_zone(2, 3), 1);
        assert_eq!(lost_in_zone(5, 1), 5);
    }
}
