//! `data/architecture.toml`: the pipeline as it runs today.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::InputError;
use crate::toml_file;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Architecture {
    pub deployment: Deployment,
    pub kafka: Kafka,
    pub flink: Flink,
    pub clickhouse: ClickHouse,
}

/// Where the pipeline runs: what a zone failure takes away.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Deployment {
    /// Availability zones the brokers, TaskManagers and replicas are spread over.
    pub availability_zones: u32,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Kafka {
    pub version: String,
    pub brokers: u32,
    pub instance: String,
    pub disk_per_broker_gb: f64,
    /// Consumers fetch from a replica in their own zone (KIP-392:
    /// `replica.selector.class` on the brokers, `client.rack` on the
    /// consumers). Kafka's default, and so the default here, is the leader.
    #[serde(default)]
    pub follower_fetching: bool,
    /// Producers write to partitions led in their own zone. Off by default:
    /// a producer's partitioner ignores where the leader is.
    #[serde(default)]
    pub zone_aware_producers: bool,
    pub topics: Vec<Topic>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Topic {
    pub name: String,
    pub partitions: u32,
    pub replication_factor: u32,
    pub min_insync_replicas: u32,
    pub retention_hours: f64,
    pub avg_event_bytes: f64,
    pub p99_event_bytes: f64,
    /// The record key producers set: `customer_id`, or `none` for keyless topics.
    pub key: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Flink {
    pub version: String,
    pub task_managers: u32,
    pub slots_per_task_manager: u32,
    /// One TaskManager today: its vCPUs and memory.
    pub task_manager_vcpu: f64,
    pub task_manager_memory_gib: f64,
    pub state_backend: StateBackend,
    pub checkpoint_interval_ms: f64,
    pub checkpoint_mode: CheckpointMode,
    /// The keyed vertex's event-time tumbling window.
    pub window_s: f64,
    /// Bounded out-of-orderness of the watermarks.
    pub watermark_out_of_orderness_ms: f64,
    /// How long a window's state is kept after the watermark passes its end.
    pub allowed_lateness_ms: f64,
    pub operators: Vec<Operator>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StateBackend {
    Heap,
    Rocksdb,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckpointMode {
    ExactlyOnce,
    AtLeastOnce,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Operator {
    pub name: String,
    pub parallelism: u32,
    pub max_parallelism: u32,
    /// Whether the operator runs after a `keyBy` (its subtasks own key groups).
    pub keyed: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClickHouse {
    pub version: String,
    pub shards: u32,
    pub replicas: u32,
    pub instance: String,
    pub disk_per_replica_gb: f64,
    /// ClickHouse Keeper ensemble size (Raft: a majority must be up).
    pub keeper_nodes: u32,
    pub tables: Vec<Table>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    pub name: String,
    pub engine: String,
    /// The Flink job vertex whose sink subtasks insert into the table.
    pub written_by: String,
    pub insert_batch_rows: u32,
    pub insert_interval_ms: f64,
}

impl Architecture {
    pub fn topic(&self, name: &str) -> Option<&Topic> {
        self.kafka.topics.iter().find(|t| t.name == name)
    }

    pub fn operator(&self, name: &str) -> Option<&Operator> {
        self.flink.operators.iter().find(|o| o.name == name)
    }

    /// The keyed stateful operator: the one the plan is about.
    pub fn keyed_operator(&self) -> &Operator {
        self.flink
            .operators
            .iter()
            .find(|o| o.keyed)
            .expect("validated: exactly one keyed operator")
    }

    /// The table of the window results: the first written by a vertex after
    /// the keyed one (the end of the path the end-to-end target measures).
    pub fn window_results_table(&self) -> Option<&Table> {
        let keyed = self.flink.operators.iter().position(|o| o.keyed)?;
        self.clickhouse.tables.iter().find(|t| {
            self.flink
                .operators
                .iter()
                .position(|o| o.name == t.written_by)
                .is_some_and(|i| i > keyed)
        })
    }

    /// The topic the keyed operator reads: the one keyed by customer.
    pub fn keyed_topic(&self) -> &Topic {
        self.kafka
            .topics
            .iter()
            .find(|t| t.key != "none")
            .expect("validated: one keyed topic")
    }
}

pub fn load(path: &Path) -> Result<Architecture, InputError> {
    let file = toml_file::read::<Architecture>(path)?;
    let arch = &file.value;
    let topic_err = |i: usize, key: &str, msg: String| {
        file.error(
            path,
            "[[kafka.topics]]",
            i,
            key,
            format!("kafka.topics[{i}].{key}"),
            msg,
        )
    };

    if arch.deployment.availability_zones == 0 {
        return Err(file.error(
            path,
            "[deployment]",
            0,
            "availability_zones",
            "deployment.availability_zones".into(),
            "expected at least 1 availability zone",
        ));
    }
    if arch.clickhouse.keeper_nodes % 2 == 0 {
        return Err(file.error(
            path,
            "[clickhouse]",
            0,
            "keeper_nodes",
            "clickhouse.keeper_nodes".into(),
            format!(
                "expected an odd number of Keeper nodes (a Raft majority), found {}",
                arch.clickhouse.keeper_nodes
            ),
        ));
    }
    for (i, t) in arch.clickhouse.tables.iter().enumerate() {
        if arch.operator(&t.written_by).is_none() {
            return Err(file.error(
                path,
                "[[clickhouse.tables]]",
                i,
                "written_by",
                format!("clickhouse.tables[{i}].written_by"),
                format!(
                    "expected the name of a job vertex in [[flink.operators]], found `{}`",
                    t.written_by
                ),
            ));
        }
    }
    if arch.kafka.brokers == 0 {
        return Err(file.error(
            path,
            "[kafka]",
            0,
            "brokers",
            "kafka.brokers".into(),
            "expected at least 1 broker",
        ));
    }
    for (header, key, v) in [
        (
            "[kafka]",
            "disk_per_broker_gb",
            arch.kafka.disk_per_broker_gb,
        ),
        (
            "[clickhouse]",
            "disk_per_replica_gb",
            arch.clickhouse.disk_per_replica_gb,
        ),
    ] {
        if !(v.is_finite() && v > 0.0) {
            let field = format!("{}.{key}", header.trim_matches(['[', ']']));
            return Err(file.error(
                path,
                header,
                0,
                key,
                field,
                format!("expected a finite number of GB > 0, found {v}"),
            ));
        }
    }
    if arch.kafka.topics.is_empty() {
        return Err(
            InputError::new(path, "expected at least one [[kafka.topics]]")
                .in_field("kafka.topics"),
        );
    }
    for (i, t) in arch.kafka.topics.iter().enumerate() {
        if arch.kafka.topics[..i].iter().any(|o| o.name == t.name) {
            return Err(topic_err(
                i,
                "name",
                format!("topic `{}` is listed twice", t.name),
            ));
        }
        if t.partitions == 0 {
            return Err(topic_err(
                i,
                "partitions",
                "expected at least 1 partition".into(),
            ));
        }
        if t.replication_factor == 0 || t.min_insync_replicas > t.replication_factor {
            return Err(topic_err(
                i,
                "min_insync_replicas",
                format!(
                    "expected 1 <= min_insync_replicas <= replication_factor ({}), found {}",
                    t.replication_factor, t.min_insync_replicas
                ),
            ));
        }
        // Each replica of a partition sits on a broker of its own.
        if t.replication_factor > arch.kafka.brokers {
            return Err(topic_err(
                i,
                "replication_factor",
                format!(
                    "expected at most one replica per broker: replication_factor <= kafka.brokers ({}), found {}",
                    arch.kafka.brokers, t.replication_factor
                ),
            ));
        }
        for (key, v) in [
            ("retention_hours", t.retention_hours),
            ("avg_event_bytes", t.avg_event_bytes),
            ("p99_event_bytes", t.p99_event_bytes),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(topic_err(
                    i,
                    key,
                    format!("expected a finite number > 0, found {v}"),
                ));
            }
        }
        if t.key != "customer_id" && t.key != "none" {
            return Err(topic_err(
                i,
                "key",
                format!("expected `customer_id` or `none`, found `{}`", t.key),
            ));
        }
    }
    if arch.kafka.topics.iter().filter(|t| t.key != "none").count() != 1 {
        return Err(
            InputError::new(path, "expected exactly one topic keyed by `customer_id`")
                .in_field("kafka.topics.key"),
        );
    }

    let op_err = |i: usize, key: &str, msg: String| {
        file.error(
            path,
            "[[flink.operators]]",
            i,
            key,
            format!("flink.operators[{i}].{key}"),
            msg,
        )
    };
    for (i, o) in arch.flink.operators.iter().enumerate() {
        if arch.flink.operators[..i].iter().any(|p| p.name == o.name) {
            return Err(op_err(
                i,
                "name",
                format!("operator `{}` is listed twice", o.name),
            ));
        }
        if o.parallelism == 0 {
            return Err(op_err(i, "parallelism", "expected at least 1".into()));
        }
        if o.max_parallelism < o.parallelism || o.max_parallelism > 32768 {
            return Err(op_err(
                i,
                "max_parallelism",
                format!(
                    "expected parallelism ({}) <= max_parallelism <= 32768, found {}",
                    o.parallelism, o.max_parallelism
                ),
            ));
        }
    }
    if arch.flink.operators.iter().filter(|o| o.keyed).count() != 1 {
        return Err(
            InputError::new(path, "expected exactly one operator with `keyed = true`")
                .in_field("flink.operators.keyed"),
        );
    }
    if arch.flink.task_managers == 0 || arch.flink.slots_per_task_manager == 0 {
        return Err(file.error(
            path,
            "[flink]",
            0,
            "task_managers",
            "flink.task_managers".into(),
            "expected at least one TaskManager with one slot",
        ));
    }
    for (key, value) in [
        ("task_manager_vcpu", arch.flink.task_manager_vcpu),
        (
            "task_manager_memory_gib",
            arch.flink.task_manager_memory_gib,
        ),
    ] {
        if !(value.is_finite() && value > 0.0) {
            return Err(file.error(
                path,
                "[flink]",
                0,
                key,
                format!("flink.{key}"),
                format!("expected a TaskManager size > 0, found {value}"),
            ));
        }
    }
    if !(arch.flink.checkpoint_interval_ms.is_finite() && arch.flink.checkpoint_interval_ms > 0.0) {
        return Err(file.error(
            path,
            "[flink]",
            0,
            "checkpoint_interval_ms",
            "flink.checkpoint_interval_ms".into(),
            "expected a finite number > 0",
        ));
    }
    for (key, v, min_exclusive) in [
        ("window_s", arch.flink.window_s, true),
        (
            "watermark_out_of_orderness_ms",
            arch.flink.watermark_out_of_orderness_ms,
            false,
        ),
        ("allowed_lateness_ms", arch.flink.allowed_lateness_ms, false),
    ] {
        if !v.is_finite() || v < 0.0 || (min_exclusive && v == 0.0) {
            return Err(file.error(
                path,
                "[flink]",
                0,
                key,
                format!("flink.{key}"),
                format!(
                    "expected a finite number {} 0, found {v}",
                    if min_exclusive { ">" } else { ">=" }
                ),
            ));
        }
    }
    if arch.clickhouse.shards == 0 || arch.clickhouse.replicas == 0 {
        return Err(file.error(
            path,
            "[clickhouse]",
            0,
            "shards",
            "clickhouse.shards".into(),
            "expected at least one shard and one replica",
        ));
    }
    for (i, t) in arch.clickhouse.tables.iter().enumerate() {
        if t.insert_batch_rows == 0
            || !(t.insert_interval_ms.is_finite() && t.insert_interval_ms > 0.0)
        {
            return Err(file.error(
                path,
                "[[clickhouse.tables]]",
                i,
                "insert_batch_rows",
                format!("clickhouse.tables[{i}].insert_batch_rows"),
                "expected a batch of at least 1 row and an interval > 0 ms",
            ));
        }
    }
    check_upper_bounds(&file, path, arch)?;
    Ok(file.value)
}

/// The largest value of each count and size the model is valid for: far
/// beyond any real cluster, but finite, so that no value sends an allocation
/// or a search out of bounds (a topic's partitions are a vector the model
/// fills, for instance).
fn check_upper_bounds(
    file: &toml_file::TomlFile<Architecture>,
    path: &Path,
    arch: &Architecture,
) -> Result<(), InputError> {
    // One section's values: its header, which of its kind, its dotted path,
    // and per key the value and the largest the model is valid for.
    struct Section<'a> {
        header: &'a str,
        index: usize,
        at: String,
        bounds: Vec<(&'a str, f64, f64)>,
    }
    let one = |header, at: &str, bounds| Section {
        header,
        index: 0,
        at: at.to_owned(),
        bounds,
    };
    let (d, k, f, c) = (&arch.deployment, &arch.kafka, &arch.flink, &arch.clickhouse);
    let mut sections = vec![
        one(
            "[deployment]",
            "deployment",
            vec![("availability_zones", f64::from(d.availability_zones), 100.0)],
        ),
        one(
            "[kafka]",
            "kafka",
            vec![
                ("brokers", f64::from(k.brokers), 10_000.0),
                ("disk_per_broker_gb", k.disk_per_broker_gb, 1e6),
            ],
        ),
        one(
            "[flink]",
            "flink",
            vec![
                ("task_managers", f64::from(f.task_managers), 100_000.0),
                (
                    "slots_per_task_manager",
                    f64::from(f.slots_per_task_manager),
                    1_024.0,
                ),
                ("task_manager_vcpu", f.task_manager_vcpu, 1_024.0),
                (
                    "task_manager_memory_gib",
                    f.task_manager_memory_gib,
                    65_536.0,
                ),
                (
                    "checkpoint_interval_ms",
                    f.checkpoint_interval_ms,
                    86_400_000.0,
                ),
                ("window_s", f.window_s, 86_400.0),
                (
                    "watermark_out_of_orderness_ms",
                    f.watermark_out_of_orderness_ms,
                    86_400_000.0,
                ),
                ("allowed_lateness_ms", f.allowed_lateness_ms, 86_400_000.0),
            ],
        ),
        one(
            "[clickhouse]",
            "clickhouse",
            vec![
                ("shards", f64::from(c.shards), 10_000.0),
                ("replicas", f64::from(c.replicas), 100.0),
                ("keeper_nodes", f64::from(c.keeper_nodes), 99.0),
                ("disk_per_replica_gb", c.disk_per_replica_gb, 1e6),
            ],
        ),
    ];
    sections.extend(k.topics.iter().enumerate().map(|(index, t)| Section {
        header: "[[kafka.topics]]",
        index,
        at: format!("kafka.topics[{index}]"),
        bounds: vec![
            ("partitions", f64::from(t.partitions), 100_000.0),
            ("replication_factor", f64::from(t.replication_factor), 100.0),
            ("retention_hours", t.retention_hours, 87_600.0),
            ("avg_event_bytes", t.avg_event_bytes, 1e7),
            ("p99_event_bytes", t.p99_event_bytes, 1e7),
        ],
    }));
    sections.extend(c.tables.iter().enumerate().map(|(index, t)| Section {
        header: "[[clickhouse.tables]]",
        index,
        at: format!("clickhouse.tables[{index}]"),
        bounds: vec![
            ("insert_batch_rows", f64::from(t.insert_batch_rows), 1e9),
            ("insert_interval_ms", t.insert_interval_ms, 86_400_000.0),
        ],
    }));
    for section in &sections {
        for &(key, value, max) in &section.bounds {
            if value > max {
                return Err(file.error(
                    path,
                    section.header,
                    section.index,
                    key,
                    format!("{}.{key}", section.at),
                    format!(
                        "expected at most {max}, the largest the model is valid for, found {value}"
                    ),
                ));
            }
        }
    }
    Ok(())
}
