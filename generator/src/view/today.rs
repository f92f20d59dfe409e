//! Today's pipeline: the footprint (`architecture.md`, the overview) and the
//! workload measured on it (`workload.md`), with how the metrics were sampled.

use serde::Serialize;

use super::text::{Code, Text};
use super::{Source, words};
use crate::inputs::architecture::{CheckpointMode, StateBackend};
use crate::inputs::metrics::STEP_S;
use crate::model::kafka::BYTES_PER_MB;
use crate::model::workload::{HIGH_BACKPRESSURE_MS, PEAK_QUANTILE};
use crate::render::figures::utc_date;

/// The metrics' span and resolution, and what the model calls a peak.
#[derive(Debug, Serialize)]
pub struct Metrics {
    /// First and last day, `YYYY-MM-DD`.
    pub from: String,
    pub to: String,
    pub samples: usize,
    pub days: f64,
    /// The span in words: "four weeks", and as an adjective, "four-week".
    pub span: String,
    pub span_adjective: String,
    /// The sampling interval as an adjective: "5-minute", short "5-min".
    pub step: String,
    pub step_short: String,
    /// The quantile a peak is: "99th percentile", short "p99".
    pub peak_quantile: String,
    pub peak_quantile_short: String,
}

pub fn metrics(src: &Source<'_>) -> Metrics {
    let w = &src.model.workload;
    let (span, span_adjective) = words::span(w.days);
    let (step, step_short) = words::interval(STEP_S);
    let (peak_quantile, peak_quantile_short) = words::percentile(PEAK_QUANTILE);
    Metrics {
        from: utc_date(w.first_ts),
        to: utc_date(w.last_ts),
        samples: w.samples,
        days: w.days,
        span,
        span_adjective,
        step,
        step_short,
        peak_quantile,
        peak_quantile_short,
    }
}

/// Today's footprint and its headline rates.
#[derive(Debug, Serialize)]
pub struct Today {
    pub availability_zones: u32,
    pub kafka: Kafka,
    pub flink: Flink,
    pub clickhouse: ClickHouse,
    pub keyed_topic: KeyedTopic,
    pub hottest_peak_busy_ratio: f64,
    pub clickhouse_peak_rows_per_s_per_shard: f64,
    pub merge_safe_rows_per_s_per_shard: f64,
    /// What today's footprint costs per month: the cost of doing nothing.
    pub cost_per_month: f64,
}

#[derive(Debug, Serialize)]
pub struct Kafka {
    pub version: Text,
    pub brokers: u32,
    pub instance: Text,
    pub topics: Vec<Topic>,
}

#[derive(Debug, Serialize)]
pub struct Topic {
    pub name: Code,
    pub partitions: u32,
    pub replication_factor: u32,
    pub min_insync_replicas: u32,
    pub retention_hours: f64,
}

#[derive(Debug, Serialize)]
pub struct Flink {
    pub version: Text,
    pub task_managers: u32,
    pub slots_per_task_manager: u32,
    pub operators: Vec<Operator>,
    pub state_backend: &'static str,
    pub checkpoint_mode: &'static str,
    pub checkpoint_interval_s: f64,
    pub window_s: f64,
    pub watermark_out_of_orderness_ms: f64,
    pub allowed_lateness_ms: f64,
}

#[derive(Debug, Serialize)]
pub struct Operator {
    pub name: Code,
    pub parallelism: u32,
    pub keyed: bool,
    pub max_parallelism: u32,
}

#[derive(Debug, Serialize)]
pub struct ClickHouse {
    pub version: Text,
    pub shards: u32,
    pub replicas: u32,
    pub instance: Text,
    pub tables: Vec<Table>,
    pub keeper_nodes: u32,
}

#[derive(Debug, Serialize)]
pub struct Table {
    pub name: Code,
    pub engine: Text,
    pub written_by: Code,
}

/// The topic keyed by customer, as it runs today.
#[derive(Debug, Serialize)]
pub struct KeyedTopic {
    pub name: Code,
    pub partitions: u32,
    pub mean_events_per_s: f64,
    pub peak_events_per_s: f64,
    pub peak_to_mean: f64,
}

pub fn today(src: &Source<'_>) -> Today {
    let arch = &src.inputs.architecture;
    let w = &src.model.workload;
    let keyed = arch.keyed_topic();
    let profile = w.topic(&keyed.name);
    Today {
        availability_zones: arch.deployment.availability_zones,
        kafka: Kafka {
            version: Text::new(&arch.kafka.version),
            brokers: arch.kafka.brokers,
            instance: Text::new(&arch.kafka.instance),
            topics: arch
                .kafka
                .topics
                .iter()
                .map(|t| Topic {
                    name: Code::new(&t.name),
                    partitions: t.partitions,
                    replication_factor: t.replication_factor,
                    min_insync_replicas: t.min_insync_replicas,
                    retention_hours: t.retention_hours,
                })
                .collect(),
        },
        flink: Flink {
            version: Text::new(&arch.flink.version),
            task_managers: arch.flink.task_managers,
            slots_per_task_manager: arch.flink.slots_per_task_manager,
            operators: arch
                .flink
                .operators
                .iter()
                .map(|o| Operator {
                    name: Code::new(&o.name),
                    parallelism: o.parallelism,
                    keyed: o.keyed,
                    max_parallelism: o.max_parallelism,
                })
                .collect(),
            state_backend: match arch.flink.state_backend {
                StateBackend::Heap => "heap",
                StateBackend::Rocksdb => "rocksdb",
            },
            checkpoint_mode: match arch.flink.checkpoint_mode {
                CheckpointMode::ExactlyOnce => "exactly-once",
                CheckpointMode::AtLeastOnce => "at-least-once",
            },
            checkpoint_interval_s: arch.flink.checkpoint_interval_ms / 1000.0,
            window_s: arch.flink.window_s,
            watermark_out_of_orderness_ms: arch.flink.watermark_out_of_orderness_ms,
            allowed_lateness_ms: arch.flink.allowed_lateness_ms,
        },
        clickhouse: ClickHouse {
            version: Text::new(&arch.clickhouse.version),
            shards: arch.clickhouse.shards,
            replicas: arch.clickhouse.replicas,
            instance: Text::new(&arch.clickhouse.instance),
            tables: arch
                .clickhouse
                .tables
                .iter()
                .map(|t| Table {
                    name: Code::new(&t.name),
                    engine: Text::new(&t.engine),
                    written_by: Code::new(&t.written_by),
                })
                .collect(),
            keeper_nodes: arch.clickhouse.keeper_nodes,
        },
        keyed_topic: KeyedTopic {
            name: Code::new(&keyed.name),
            partitions: keyed.partitions,
            mean_events_per_s: profile.mean_events_per_s,
            peak_events_per_s: profile.peak_events_per_s,
            peak_to_mean: profile.peak_to_mean,
        },
        hottest_peak_busy_ratio: w.keyed.hottest_peak_busy_ratio,
        clickhouse_peak_rows_per_s_per_shard: w.clickhouse.peak_rows_per_s_per_shard,
        merge_safe_rows_per_s_per_shard: src.model.merge_safe.rows_per_s_per_shard,
        cost_per_month: src.model.cost_today.total,
    }
}

/// `workload.md`: today's workload as the metrics show it.
#[derive(Debug, Serialize)]
pub struct Workload {
    pub topics: Vec<TopicRow>,
    pub last_week_mean_events_per_s: f64,
    /// Day names with the keyed topic's level relative to its mean, Monday first.
    pub weekly_profile: Vec<DayLevel>,
    pub partition_skew: PartitionSkew,
    pub keyed: KeyedOperator,
    /// Above this share of the time Flink calls a subtask HIGH backpressured.
    pub high_backpressure_ratio: f64,
    /// The keyed operator's subtasks.
    pub subtasks: Vec<SubtaskRow>,
    pub clickhouse: ClickHouseLoad,
    pub customers: Customers,
}

#[derive(Debug, Serialize)]
pub struct TopicRow {
    pub topic: Code,
    pub mean_events_per_s: f64,
    pub peak_events_per_s: f64,
    pub peak_to_mean: f64,
    pub mean_mb_per_s: f64,
    pub event_bytes: f64,
    pub week_over_week_growth: f64,
}

#[derive(Debug, Serialize)]
pub struct DayLevel {
    pub day: &'static str,
    pub level: f64,
}

#[derive(Debug, Serialize)]
pub struct PartitionSkew {
    pub hottest_partition: u32,
    pub hottest_share: f64,
    pub fair_share: f64,
    pub hottest_over_fair: f64,
    pub cv: f64,
    pub hottest_peak_events_per_s: f64,
}

#[derive(Debug, Serialize)]
pub struct KeyedOperator {
    pub operator: Code,
    pub parallelism: u32,
    pub max_parallelism: u32,
    pub service_time_us: f64,
    pub subtask_capacity_per_s: f64,
    pub hottest_subtask: u32,
    pub hottest_share: f64,
    pub fair_share: f64,
    pub hottest_mean_busy_ratio: f64,
    pub hottest_peak_busy_ratio: f64,
    /// The vertex feeding the keyed one, if any.
    pub upstream: Option<Upstream>,
}

#[derive(Debug, Serialize)]
pub struct Upstream {
    pub name: Code,
    pub peak_backpressured_ratio: f64,
    pub high_backpressure_fraction: f64,
    /// Whether the keyed operator ever backpressures it HIGH.
    pub stalled: bool,
}

#[derive(Debug, Serialize)]
pub struct SubtaskRow {
    pub subtask: u32,
    pub share: f64,
    pub true_rate_per_s: f64,
    pub mean_busy_ratio: f64,
    pub peak_busy_ratio: f64,
    pub peak_backpressured_ratio: f64,
}

#[derive(Debug, Serialize)]
pub struct ClickHouseLoad {
    pub shards: u32,
    pub mean_rows_per_s: f64,
    pub peak_rows_per_s: f64,
    pub mean_insert_queries_per_s: f64,
    pub mean_active_parts: f64,
    pub peak_active_parts: f64,
    pub max_parts_in_partition: f64,
    /// Whether the most parts seen in one partition passed
    /// `parts_to_delay_insert` (inserts were being delayed then).
    pub parts_over_delay: bool,
    /// How many parts the most seen lies below or above that threshold.
    pub parts_margin: f64,
    pub parts_to_delay_insert: f64,
    pub merge_to_insert_ratio: f64,
    pub merge_to_insert_ratio_at_peak: f64,
}

/// Who sends the events.
#[derive(Debug, Serialize)]
pub struct Customers {
    pub hot: Vec<HotCustomer>,
    /// Whether any customer is listed as hot (a real pipeline may list none).
    pub any_hot: bool,
    pub hot_count: usize,
    pub hot_share: f64,
    pub tail_customers: u32,
    pub tail_zipf_exponent: f64,
}

#[derive(Debug, Serialize)]
pub struct HotCustomer {
    pub name: Text,
    pub customer_id: i64,
    pub share: f64,
}

pub fn workload(src: &Source<'_>) -> Workload {
    let w = &src.model.workload;
    let keys = &src.inputs.keys;
    let keyed_topic = src.inputs.architecture.keyed_topic();
    let k = &w.keyed;
    let s = &w.partition_skew;
    let c = &w.clickhouse;
    Workload {
        topics: w
            .topics
            .iter()
            .map(|t| TopicRow {
                topic: Code::new(&t.topic),
                mean_events_per_s: t.mean_events_per_s,
                peak_events_per_s: t.peak_events_per_s,
                peak_to_mean: t.peak_to_mean,
                mean_mb_per_s: t.mean_bytes_per_s / BYTES_PER_MB,
                event_bytes: t.event_bytes,
                week_over_week_growth: t.week_over_week_growth,
            })
            .collect(),
        last_week_mean_events_per_s: w.topic(&keyed_topic.name).last_week_mean_events_per_s,
        weekly_profile: words::WEEKDAYS
            .into_iter()
            .zip(w.topic(&keyed_topic.name).weekly.iter().copied())
            .map(|(day, level)| DayLevel { day, level })
            .collect(),
        partition_skew: PartitionSkew {
            hottest_partition: s.hottest_partition,
            hottest_share: s.hottest_share,
            fair_share: s.fair_share,
            hottest_over_fair: s.hottest_over_fair,
            cv: s.cv,
            hottest_peak_events_per_s: s.hottest_peak_events_per_s,
        },
        keyed: KeyedOperator {
            operator: Code::new(&k.operator),
            parallelism: k.parallelism,
            max_parallelism: k.max_parallelism,
            service_time_us: k.service_time_us,
            subtask_capacity_per_s: k.subtask_capacity_per_s,
            hottest_subtask: k.hottest_subtask,
            hottest_share: k.hottest_share,
            fair_share: k.fair_share,
            hottest_mean_busy_ratio: k.hottest_mean_busy_ratio,
            hottest_peak_busy_ratio: k.hottest_peak_busy_ratio,
            upstream: k.upstream.as_ref().map(|name| Upstream {
                name: Code::new(name),
                peak_backpressured_ratio: k.upstream_peak_backpressured_ratio,
                high_backpressure_fraction: k.upstream_high_backpressure_fraction,
                stalled: k.upstream_high_backpressure_fraction > 0.0,
            }),
        },
        high_backpressure_ratio: HIGH_BACKPRESSURE_MS / 1000.0,
        subtasks: w
            .operators
            .iter()
            .filter(|op| op.keyed)
            .flat_map(|op| &op.subtasks)
            .map(|s| SubtaskRow {
                subtask: s.subtask,
                share: s.share,
                true_rate_per_s: s.true_rate_per_s,
                mean_busy_ratio: s.mean_busy_ratio,
                peak_busy_ratio: s.peak_busy_ratio,
                peak_backpressured_ratio: s.peak_backpressured_ratio,
            })
            .collect(),
        clickhouse: ClickHouseLoad {
            shards: c.shards,
            mean_rows_per_s: c.mean_rows_per_s,
            peak_rows_per_s: c.peak_rows_per_s,
            mean_insert_queries_per_s: c.mean_insert_queries_per_s,
            mean_active_parts: c.mean_active_parts,
            peak_active_parts: c.peak_active_parts,
            max_parts_in_partition: c.max_parts_in_partition,
            parts_over_delay: c.parts_headroom < 0.0,
            parts_margin: c.parts_headroom.abs(),
            parts_to_delay_insert: c.parts_to_delay_insert,
            merge_to_insert_ratio: c.merge_to_insert_ratio,
            merge_to_insert_ratio_at_peak: c.merge_to_insert_ratio_at_peak,
        },
        customers: Customers {
            hot: keys
                .hot
                .iter()
                .map(|h| HotCustomer {
                    name: Text::new(&h.name),
                    customer_id: h.customer_id,
                    share: h.share,
                })
                .collect(),
            any_hot: !keys.hot.is_empty(),
            hot_count: keys.hot.len(),
            hot_share: keys.hot.iter().map(|h| h.share).sum(),
            tail_customers: keys.tail.customers,
            tail_zipf_exponent: keys.tail.zipf_exponent,
        },
    }
}
