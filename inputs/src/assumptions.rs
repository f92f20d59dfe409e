//! `data/assumptions.toml`: every constant the model uses, each with its unit and source.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::InputError;
use crate::toml_file;

/// One named constant. The model reads `value`; the spec prints all three.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Assumption {
    pub value: f64,
    pub unit: String,
    pub source: String,
    /// The plausible range of an uncertain assumption: the sensitivity
    /// analysis reruns the model at each end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high: Option<f64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Assumptions {
    pub plan: Plan,
    pub kafka: KafkaAssumptions,
    pub flink: FlinkAssumptions,
    pub keys: KeyAssumptions,
    pub clickhouse: ClickHouseAssumptions,
    pub latency: LatencyAssumptions,
    pub slo: SloAssumptions,
    pub cost: CostAssumptions,
    pub decision: DecisionAssumptions,
    pub fault: FaultAssumptions,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// The date printed on the documents (`YYYY-MM-DD`); fixed so output is reproducible.
    pub document_date: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaAssumptions {
    /// `p` in `partitions >= max(T/p, T/c)` (`c` is measured: the source subtask's true rate).
    pub partition_produce_mb_per_s: Assumption,
    /// Fraction of `p` and `c` the plan lets a partition use at peak.
    pub target_utilization: Assumption,
    /// Per-broker limits in the cluster-throughput bound (AWS right-sizing, eq. 1).
    pub broker_network_in_mb_per_s: Assumption,
    pub broker_network_out_mb_per_s: Assumption,
    pub broker_storage_mb_per_s: Assumption,
    /// Fraction of each broker limit the plan lets the cluster use at peak.
    pub broker_target_utilization: Assumption,
    /// Consumer groups reading the keyed topic (the `consumer_groups` of eq. 1).
    pub consumer_groups: Assumption,
    /// Partition replicas one broker carries at most (KIP-578 guidance).
    pub max_partitions_per_broker: Assumption,
    /// Fraction of a broker's disk the retained data may fill.
    pub disk_target_utilization: Assumption,
    /// Storage levers the plan weighs, not settings it runs with: a shorter
    /// retention, larger disks, and the local window under tiered storage.
    pub lever_retention_hours: Assumption,
    pub lever_disk_per_broker_gb: Assumption,
    pub lever_tiered_local_retention_hours: Assumption,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FlinkAssumptions {
    /// Busy ratio the hottest subtask of any vertex may reach at the month's peak.
    pub target_utilization: Assumption,
    /// The shortest checkpoint interval the plan may choose.
    pub min_checkpoint_interval_s: Assumption,
    /// Bytes one window entry (key, namespace, count/sum/max) takes in RocksDB.
    pub state_bytes_per_window_entry: Assumption,
    /// What one TaskManager uploads to the checkpoint store.
    pub checkpoint_upload_mb_per_s_per_task_manager: Assumption,
    /// Credit-based flow control: buffers per input channel and per gate, and their size.
    pub exclusive_buffers_per_channel: Assumption,
    pub floating_buffers_per_gate: Assumption,
    pub network_buffer_kib: Assumption,
    /// The most of a subtask's target load one sub-key may carry: a hot customer
    /// gets enough sub-keys that the hash can still place them evenly.
    pub sub_key_max_subtask_fraction: Assumption,
    /// How long a promoted customer's rate must stay under the limit of one
    /// sub-key fewer before it is demoted (the sticky design's hysteresis).
    pub sub_key_demotion_hold_h: Assumption,
    /// The TaskManager the plan runs: its vCPUs, memory and slots.
    pub task_manager_vcpu: Assumption,
    pub task_manager_memory_gib: Assumption,
    pub task_manager_slots: Assumption,
    /// vCPUs a TaskManager's framework threads take besides the task threads.
    pub framework_vcpu_per_task_manager: Assumption,
    /// Memory a TaskManager spends on neither state nor network buffers.
    pub task_manager_overhead_gib: Assumption,
    /// Task heap each slot's subtasks take.
    pub task_heap_gib_per_slot: Assumption,
    /// Share of RocksDB's managed memory that goes to write buffers.
    pub rocksdb_write_buffer_ratio: Assumption,
}

/// Customers whose id is not known when the plan is made (every planned
/// onboarding): where their keys land is drawn, not known.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KeyAssumptions {
    /// Seeded relabellings each count is checked in: each draws a new id for
    /// every unknown customer.
    pub unknown_id_draws: Assumption,
    /// The share of the relabellings a chosen count must fit in.
    pub unknown_id_quantile: Assumption,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClickHouseAssumptions {
    /// MergeTree setting: inserts are delayed above this many active parts in a partition.
    pub parts_to_delay_insert: Assumption,
    /// The parts level the plan keeps under at peak: the merge-safe rate per
    /// shard is the highest measured rate whose p99 parts stay below it.
    pub merge_safe_max_parts: Assumption,
    /// Async inserts: the server flushes a shard's buffer (one part) at most this often.
    pub async_insert_busy_timeout_ms: Assumption,
    /// The smallest batch worth an INSERT.
    pub min_insert_batch_rows: Assumption,
    /// The most inserts (each a part) a shard should take per second per table.
    pub max_inserts_per_s_per_shard: Assumption,
    /// `t_part / t_row` of the batch model: the rows whose merge cost equals one part's.
    pub part_cost_rows: Assumption,
    /// Compressed bytes one row takes on disk.
    pub bytes_per_row_compressed: Assumption,
    /// Days the tables keep (TTL).
    pub retention_days: Assumption,
    pub disk_target_utilization: Assumption,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LatencyAssumptions {
    /// Producer `linger.ms`.
    pub producer_linger_ms: Assumption,
    /// Produce request p99 with `acks=all` (leader and in-sync followers).
    pub produce_p99_ms: Assumption,
    /// Source fetch wait p99 when the consumer keeps up.
    pub source_fetch_p99_ms: Assumption,
    /// `execution.buffer-timeout`: a network buffer ships at the latest after this.
    pub buffer_timeout_ms: Assumption,
    /// From INSERT acknowledged to visible in a query, p99.
    pub insert_visibility_p99_ms: Assumption,
    /// Dashboard query p99 on the aggregate table.
    pub query_p99_ms: Assumption,
    /// Event produced to its window aggregate answered by a query, p99: the budget.
    pub end_to_end_p99_target_ms: Assumption,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SloAssumptions {
    pub window_days: Assumption,
    pub ingest_lag_threshold_s: Assumption,
    pub ingest_lag_target: Assumption,
    pub processing_lag_threshold_s: Assumption,
    pub processing_lag_target: Assumption,
    pub query_p99_threshold_ms: Assumption,
    pub query_target: Assumption,
    /// Events lost or duplicated per event processed, over a failure.
    pub lossy_on_failure_max_rate: Assumption,
    pub lossy_on_failure_target: Assumption,
    /// Multiwindow, multi-burn-rate alerts (SRE Workbook, "Alerting on SLOs").
    pub page_fast_burn_rate: Assumption,
    pub page_fast_long_window_h: Assumption,
    pub page_slow_burn_rate: Assumption,
    pub page_slow_long_window_h: Assumption,
    pub ticket_burn_rate: Assumption,
    pub ticket_long_window_h: Assumption,
    /// Each alert's short window is its long one divided by this.
    pub short_window_divisor: Assumption,
    /// TaskManagers lost per TaskManager per SLO window.
    pub task_manager_failures_per_window: Assumption,
    /// Job deploys per SLO window.
    pub deploys_per_window: Assumption,
    /// Resubmitting the job after a stop-with-savepoint, before its restore.
    pub deploy_restart_s: Assumption,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CostAssumptions {
    pub kafka_broker_per_month: Assumption,
    pub flink_task_manager_per_month: Assumption,
    pub clickhouse_replica_per_month: Assumption,
    pub storage_gb_per_month: Assumption,
    /// The cheaper disk the storage levers weigh.
    pub lever_cold_disk_gb_per_month: Assumption,
    /// Object storage for tiered storage's remote copy.
    pub object_storage_gb_per_month: Assumption,
    /// Data between two zones of a region, billed on each side.
    pub cross_zone_gb_each_way: Assumption,
    /// The hours of a billed month: the instance prices' month, and the
    /// month cross-zone traffic is summed over.
    pub hours_per_month: Assumption,
    /// What a one-year reserved instance saves on its on-demand price: a lever, not the plan's price.
    pub reserved_instance_discount: Assumption,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionAssumptions {
    /// A strategy that gives up less may need at most this many times the
    /// keyed subtasks of the leanest feasible one and still be chosen.
    pub max_parallelism_penalty: Assumption,
}

/// What failure detection, restart and repair take: the recovery times of the
/// fault-tolerance chapter.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FaultAssumptions {
    /// From a broker's loss to new partition leaders (controller session timeout + election).
    pub kafka_leader_failover_s: Assumption,
    /// Replication throttle while a replacement broker copies its replicas back.
    pub kafka_reassignment_mb_per_s: Assumption,
    /// From a TaskManager's loss to the JobManager declaring it dead (`heartbeat.timeout`).
    pub flink_failure_detection_s: Assumption,
    /// Scheduling and starting a replacement TaskManager.
    pub task_manager_replacement_s: Assumption,
    /// Checkpoint download into RocksDB per TaskManager on restore.
    pub state_restore_mb_per_s_per_task_manager: Assumption,
    /// Lag of a ClickHouse replica behind the one that took the insert.
    pub clickhouse_replication_lag_s: Assumption,
    /// Fetch rate of a rebuilt replica copying its shard's parts.
    pub clickhouse_replica_fetch_mb_per_s: Assumption,
    /// Restoring a Keeper majority (restart or replace a node, Raft catch-up).
    pub keeper_recovery_s: Assumption,
    /// Inserts per second one Keeper ensemble carries across the cluster.
    pub keeper_inserts_per_s: Assumption,
    /// Block hashes a replicated table remembers for insert deduplication.
    pub replicated_deduplication_window: Assumption,
    /// The longest a TaskManager failure's backlog may take to drain once
    /// the job runs again: every stage keeps the spare capacity for it.
    pub catch_up_target_s: Assumption,
    /// A standby JobManager takes over once the leader's lease expires.
    pub job_manager_failover_s: Assumption,
}

/// An assumption with its dotted name, as listed in the spec and the spreadsheet.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NamedAssumption {
    pub name: String,
    #[serde(flatten)]
    pub assumption: Assumption,
}

impl Assumptions {
    /// All assumptions, sorted by dotted name.
    pub fn list(&self) -> Vec<NamedAssumption> {
        let value = serde_json::to_value(self).expect("assumptions serialize");
        let mut out = Vec::new();
        collect(&value, String::new(), &mut out);
        out
    }
}

fn collect(value: &serde_json::Value, prefix: String, out: &mut Vec<NamedAssumption>) {
    let Some(map) = value.as_object() else { return };
    if map.contains_key("value") && map.contains_key("source") {
        // JSON has no NaN: a NaN value serializes as null and reads back as
        // NaN here, so the checks on load see it instead of losing the assumption.
        let number = |v: &serde_json::Value| v.as_f64().unwrap_or(f64::NAN);
        let text = |key: &str| {
            map.get(key)
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_owned()
        };
        out.push(NamedAssumption {
            name: prefix,
            assumption: Assumption {
                value: number(&map["value"]),
                unit: text("unit"),
                source: text("source"),
                low: map.get("low").map(number),
                high: map.get("high").map(number),
            },
        });
        return;
    }
    for (key, child) in map {
        let name = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        collect(child, name, out);
    }
}

pub fn load(path: &Path) -> Result<Assumptions, InputError> {
    let file = toml_file::read::<Assumptions>(path)?;
    for named in file.value.list() {
        let (table, key) = named.name.rsplit_once('.').unwrap_or(("", &named.name));
        let header = format!("[{table}.{key}]");
        let v = named.assumption.value;
        let err = |msg: String| file.error(path, &header, 0, "value", named.name.clone(), msg);
        if !v.is_finite() || v <= 0.0 {
            return Err(err(format!("expected a finite number > 0, found {v}")));
        }
        let unit = named.assumption.unit.as_str();
        if matches!(unit, "draws" | "slots") && v.fract() != 0.0 {
            return Err(err(format!("expected a whole number of {unit}, found {v}")));
        }
        if named.assumption.unit == "ratio" && v > 1.0 {
            return Err(err(format!("a ratio lies in (0, 1], found {v}")));
        }
        let Some((min, max)) = valid_range(&named.name, &named.assumption.unit) else {
            let e = file.error(
                path,
                &header,
                0,
                "unit",
                named.name.clone(),
                format!(
                    "expected one of the units the model knows ({}), found `{}`",
                    UNITS
                        .iter()
                        .map(|(u, ..)| *u)
                        .collect::<Vec<_>>()
                        .join(", "),
                    named.assumption.unit
                ),
            );
            return Err(e);
        };
        let in_range = |x: f64| min <= x && x <= max;
        if !in_range(v) {
            return Err(err(format!(
                "expected {} in [{min}, {max}], the range the model is valid for, found {v}",
                named.assumption.unit
            )));
        }
        for (field, bound) in [
            ("low", named.assumption.low),
            ("high", named.assumption.high),
        ] {
            if let Some(b) = bound.filter(|b| b.is_finite() && !in_range(*b)) {
                let e = file.error(
                    path,
                    &header,
                    0,
                    field,
                    named.name.clone(),
                    format!(
                        "expected {} in [{min}, {max}], the range the model is valid for, found {b}",
                        named.assumption.unit
                    ),
                );
                return Err(e);
            }
        }
        match (named.assumption.low, named.assumption.high) {
            (None, None) => {}
            (Some(low), Some(high))
                if low.is_finite() && high.is_finite() && 0.0 < low && low <= v && v <= high => {}
            (low, high) => {
                let e = file.error(
                    path,
                    &header,
                    0,
                    "low",
                    named.name.clone(),
                    format!(
                        "an uncertain assumption needs both `low` and `high` with 0 < low <= value ({v}) <= high, found low = {}, high = {}",
                        low.map_or("none".into(), |x| x.to_string()),
                        high.map_or("none".into(), |x| x.to_string())
                    ),
                );
                return Err(e);
            }
        }
        if named.assumption.source.trim().is_empty() {
            let e = file.error(
                path,
                &header,
                0,
                "source",
                named.name.clone(),
                "every assumption needs a source",
            );
            return Err(e);
        }
    }
    let plan = &file.value.plan;
    if parse_date(&plan.document_date).is_none() {
        return Err(file.error(
            path,
            "[plan]",
            0,
            "document_date",
            "plan.document_date".into(),
            format!("expected YYYY-MM-DD, found `{}`", plan.document_date),
        ));
    }
    check_task_manager_shape(&file, path)?;
    Ok(file.value)
}

/// A TaskManager shape that leaves its task threads no vCPU, or state and
/// network buffers no memory, holds no job: said here, naming the field.
fn check_task_manager_shape(
    file: &toml_file::TomlFile<Assumptions>,
    path: &Path,
) -> Result<(), InputError> {
    let f = &file.value.flink;
    let err = |name: &str, msg: String| {
        file.error(path, &format!("[{name}]"), 0, "value", name.to_owned(), msg)
    };
    if f.framework_vcpu_per_task_manager.value >= f.task_manager_vcpu.value {
        return Err(err(
            "flink.framework_vcpu_per_task_manager",
            format!(
                "expected fewer vCPUs than flink.task_manager_vcpu ({}), so that task threads have some, found {}",
                f.task_manager_vcpu.value, f.framework_vcpu_per_task_manager.value
            ),
        ));
    }
    let taken = f.task_manager_overhead_gib.value
        + f.task_manager_slots.value * f.task_heap_gib_per_slot.value;
    if taken >= f.task_manager_memory_gib.value {
        return Err(err(
            "flink.task_manager_memory_gib",
            format!(
                "expected more than flink.task_manager_overhead_gib + flink.task_manager_slots × flink.task_heap_gib_per_slot = {taken} GiB, so that state and network buffers have some memory, found {}",
                f.task_manager_memory_gib.value
            ),
        ));
    }
    if f.rocksdb_write_buffer_ratio.value >= 1.0 {
        return Err(err(
            "flink.rocksdb_write_buffer_ratio",
            format!(
                "expected a ratio below 1, so that the block cache keeps some memory, found {}",
                f.rocksdb_write_buffer_ratio.value
            ),
        ));
    }
    Ok(())
}

/// The units an assumption may have, each with the range of values the model
/// is valid for. The ranges are wide (they hold any real cluster) but finite,
/// so that no value sends a search or an allocation out of bounds.
pub const UNITS: &[(&str, f64, f64)] = &[
    ("MB/s", 0.1, 100_000.0),
    ("ratio", 1e-9, 1.0),
    ("groups", 1.0, 100.0),
    ("partition replicas", 1.0, 1_000_000.0),
    ("bytes", 1.0, 1_000_000.0),
    ("buffers", 1.0, 10_000.0),
    ("KiB", 1.0, 1_048_576.0),
    ("h", 0.01, 8_760.0),
    ("GB", 1.0, 1_000_000.0),
    ("parts", 1.0, 100_000.0),
    ("ms", 0.001, 3_600_000.0),
    ("s", 0.001, 604_800.0),
    ("rows", 1.0, 1e9),
    ("days", 0.01, 3_650.0),
    ("×", 1.0, 1_000.0),
    ("USD/month", 1e-6, 1e7),
    ("USD/GB-month", 1e-6, 100.0),
    ("USD/GB", 1e-6, 100.0),
    ("events", 1e-6, 100_000.0),
    ("inserts/s", 0.01, 1e9),
    ("blocks", 1.0, 1e9),
    ("draws", 1.0, 1_000.0),
    ("vCPU", 0.01, 1_024.0),
    ("GiB", 0.01, 65_536.0),
    ("slots", 1.0, 1_024.0),
];

/// A utilization target below this is not a capacity plan: it would size a
/// cluster 20 times larger than its load.
pub const MIN_TARGET_UTILIZATION: f64 = 0.05;

/// The valid range of an assumption from its unit (`None`: a unit the model
/// does not know); utilization targets have a floor of their own.
pub fn valid_range(name: &str, unit: &str) -> Option<(f64, f64)> {
    let (_, min, max) = UNITS.iter().find(|(u, ..)| *u == unit)?;
    if name.ends_with("target_utilization") {
        return Some((min.max(MIN_TARGET_UTILIZATION), *max));
    }
    Some((*min, *max))
}

/// An error about assumption `name` (dotted) found after loading, at the
/// line of its `field` when the file can be read again.
pub fn error_at(path: &Path, name: &str, field: &str, message: String) -> InputError {
    match toml_file::read::<toml::Table>(path) {
        Ok(file) => file.error(
            path,
            &format!("[{name}]"),
            0,
            field,
            name.to_owned(),
            message,
        ),
        Err(_) => InputError::new(path, message).in_field(name),
    }
}

/// `YYYY-MM` as (year, month).
pub fn parse_month(s: &str) -> Option<(i32, u8)> {
    let (y, m) = s.split_once('-')?;
    let (y, m) = (y.parse().ok()?, m.parse().ok()?);
    (y > 1900 && (1..=12).contains(&m) && s.len() == 7).then_some((y, m))
}

/// `YYYY-MM-DD` as (year, month, day).
pub fn parse_date(s: &str) -> Option<(i32, u8, u8)> {
    let (ym, d) = s.rsplit_once('-')?;
    let (y, m) = parse_month(ym)?;
    let d: u8 = d.parse().ok()?;
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    ((1..=days).contains(&d) && s.len() == 10).then_some((y, m, d))
}
