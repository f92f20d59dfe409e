//! `data/metrics/`: four weeks of production metrics at 5-minute resolution.
//!
//! Each file holds time series keyed by topic, partition, subtask or shard.
//! Loading checks what an export from Prometheus, the Flink REST API or
//! ClickHouse's `system.*` tables can get wrong: gaps, duplicates, unsorted
//! rows, names the architecture does not have, impossible values.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::architecture::Architecture;
use crate::error::InputError;
use crate::table::{self, At, Row};

/// Seconds between samples.
pub const STEP_S: i64 = 300;
/// How far busy + backpressured + idle may stray from 1000 ms/s (Flink samples them separately).
pub const TIME_SPLIT_TOLERANCE_MS: f64 = 50.0;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TopicSample {
    pub ts: i64,
    pub topic: String,
    pub events_per_s: f64,
    pub bytes_per_s: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PartitionSample {
    pub ts: i64,
    pub topic: String,
    pub partition: u32,
    pub events_per_s: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SubtaskSample {
    pub ts: i64,
    pub operator: String,
    pub subtask: u32,
    pub busy_ms_per_s: f64,
    pub backpressured_ms_per_s: f64,
    pub idle_ms_per_s: f64,
    pub records_in_per_s: f64,
    pub records_out_per_s: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ShardSample {
    pub ts: i64,
    pub shard: u32,
    pub insert_queries_per_s: f64,
    pub rows_per_s: f64,
    pub active_parts: f64,
    pub max_parts_in_partition: f64,
    pub merges_running: f64,
    pub merged_rows_per_s: f64,
}

#[derive(Debug, Clone)]
pub struct Metrics {
    /// Every sample time, ascending, `STEP_S` apart; all series cover exactly these.
    pub timestamps: Vec<i64>,
    pub topics: Vec<TopicSample>,
    pub partitions: Vec<PartitionSample>,
    pub subtasks: Vec<SubtaskSample>,
    pub shards: Vec<ShardSample>,
}

/// One operator's records in and busy time, pooled over its subtasks and
/// every sample: the figure Flink's autoscaler calls the true processing rate.
///
/// Pooling (a ratio of sums, not a mean of per-sample ratios) weights each
/// sample by its traffic, so idle night-time samples with a handful of records
/// do not dominate. This is the one place the per-record service time is
/// computed: the model calibrates on it and the prototype pays it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PooledRate {
    /// Samples of the operator (subtasks × timestamps).
    pub samples: usize,
    /// Sum over samples of `records_in_per_s`.
    pub records_in: f64,
    /// Sum over samples of `busy_ms_per_s / 1000`.
    pub busy_s: f64,
}

impl PooledRate {
    /// Records one subtask processes per second when 100% busy; 0 when never busy.
    pub fn capacity_per_s(&self) -> f64 {
        if self.busy_s > 0.0 {
            self.records_in / self.busy_s
        } else {
            0.0
        }
    }

    /// Busy microseconds per record: `1e6 / capacity`.
    pub fn service_time_us(&self) -> f64 {
        1e6 / self.capacity_per_s()
    }
}

impl Metrics {
    /// The pooled rate of `operator` with `parallelism` subtasks. Sums run per
    /// subtask in time order, then over subtasks, so every caller gets the
    /// same bits.
    pub fn pooled_rate(&self, operator: &str, parallelism: u32) -> PooledRate {
        let mut records = vec![0.0f64; parallelism as usize];
        let mut busy_ms = vec![0.0f64; parallelism as usize];
        let mut samples = 0;
        for s in self.subtasks.iter().filter(|s| s.operator == operator) {
            // The loader rejects subtasks beyond the operator's parallelism.
            records[s.subtask as usize] += s.records_in_per_s;
            busy_ms[s.subtask as usize] += s.busy_ms_per_s;
            samples += 1;
        }
        PooledRate {
            samples,
            records_in: records.iter().sum(),
            busy_s: busy_ms.iter().map(|b| b / 1000.0).sum(),
        }
    }
}

pub const TOPIC_COLUMNS: &[&str] = &["ts", "topic", "events_per_s", "bytes_per_s"];
pub const PARTITION_COLUMNS: &[&str] = &["ts", "topic", "partition", "events_per_s"];
pub const SUBTASK_COLUMNS: &[&str] = &[
    "ts",
    "operator",
    "subtask",
    "busy_ms_per_s",
    "backpressured_ms_per_s",
    "idle_ms_per_s",
    "records_in_per_s",
    "records_out_per_s",
];
pub const SHARD_COLUMNS: &[&str] = &[
    "ts",
    "shard",
    "insert_queries_per_s",
    "rows_per_s",
    "active_parts",
    "max_parts_in_partition",
    "merges_running",
    "merged_rows_per_s",
];

pub fn load(dir: &Path, arch: &Architecture) -> Result<Metrics, InputError> {
    let topics_path = dir.join("topics.csv");
    let partitions_path = dir.join("partitions.csv");
    let subtasks_path = dir.join("flink_subtasks.csv");
    let shards_path = dir.join("clickhouse_shards.csv");
    // The four files parsed side by side (the subtasks' is most of the
    // bytes), then checked in order: the first error named is the same.
    let (topics, partitions, subtasks, shards) = std::thread::scope(|s| {
        let partitions =
            s.spawn(|| table::read::<PartitionSample>(&partitions_path, PARTITION_COLUMNS));
        let shards = s.spawn(|| table::read::<ShardSample>(&shards_path, SHARD_COLUMNS));
        let topics = s.spawn(|| table::read::<TopicSample>(&topics_path, TOPIC_COLUMNS));
        let subtasks = table::read::<SubtaskSample>(&subtasks_path, SUBTASK_COLUMNS);
        let joined = "a reader that does not panic";
        (
            topics.join().expect(joined),
            partitions.join().expect(joined),
            subtasks,
            shards.join().expect(joined),
        )
    });
    let topics = topics?;
    let mut series = Series::new(&topics_path);
    for row in &topics {
        let at = At {
            file: &topics_path,
            line: row.line,
        };
        let s = &row.value;
        if arch.topic(&s.topic).is_none() {
            return Err(at.error(
                "topic",
                format!("topic `{}` is not in architecture.toml", s.topic),
            ));
        }
        at.non_negative("events_per_s", s.events_per_s)?;
        at.non_negative("bytes_per_s", s.bytes_per_s)?;
        series.push(&at, s.topic.clone(), s.ts)?;
    }
    let expected: Vec<String> = arch.kafka.topics.iter().map(|t| t.name.clone()).collect();
    let timestamps = series.finish(&expected, None)?;

    let partitions = partitions?;
    let mut series = Series::new(&partitions_path);
    for row in &partitions {
        let at = At {
            file: &partitions_path,
            line: row.line,
        };
        let s = &row.value;
        let Some(topic) = arch.topic(&s.topic) else {
            return Err(at.error(
                "topic",
                format!("topic `{}` is not in architecture.toml", s.topic),
            ));
        };
        if s.partition >= topic.partitions {
            return Err(at.error(
                "partition",
                format!(
                    "topic `{}` has partitions 0 to {}, found {}",
                    s.topic,
                    topic.partitions - 1,
                    s.partition
                ),
            ));
        }
        at.non_negative("events_per_s", s.events_per_s)?;
        series.push(&at, format!("{}/{}", s.topic, s.partition), s.ts)?;
    }
    let keyed = arch.keyed_topic();
    let expected: Vec<String> = (0..keyed.partitions)
        .map(|p| format!("{}/{p}", keyed.name))
        .collect();
    series.finish(&expected, Some(&timestamps))?;

    let subtasks = subtasks?;
    let mut series = Series::new(&subtasks_path);
    for row in &subtasks {
        let at = At {
            file: &subtasks_path,
            line: row.line,
        };
        let s = &row.value;
        let Some(op) = arch.operator(&s.operator) else {
            return Err(at.error(
                "operator",
                format!("operator `{}` is not in architecture.toml", s.operator),
            ));
        };
        if s.subtask >= op.parallelism {
            return Err(at.error(
                "subtask",
                format!(
                    "operator `{}` has subtasks 0 to {}, found {}",
                    s.operator,
                    op.parallelism - 1,
                    s.subtask
                ),
            ));
        }
        for (field, v) in [
            ("busy_ms_per_s", s.busy_ms_per_s),
            ("backpressured_ms_per_s", s.backpressured_ms_per_s),
            ("idle_ms_per_s", s.idle_ms_per_s),
            ("records_in_per_s", s.records_in_per_s),
            ("records_out_per_s", s.records_out_per_s),
        ] {
            at.non_negative(field, v)?;
        }
        let total = s.busy_ms_per_s + s.backpressured_ms_per_s + s.idle_ms_per_s;
        if (total - 1000.0).abs() > TIME_SPLIT_TOLERANCE_MS {
            return Err(at.error(
                "busy_ms_per_s",
                format!(
                    "busy + backpressured + idle = {total} ms/s, expected 1000 ± {TIME_SPLIT_TOLERANCE_MS}"
                ),
            ));
        }
        series.push(&at, format!("{}/{}", s.operator, s.subtask), s.ts)?;
    }
    let expected: Vec<String> = arch
        .flink
        .operators
        .iter()
        .flat_map(|o| (0..o.parallelism).map(move |i| format!("{}/{i}", o.name)))
        .collect();
    series.finish(&expected, Some(&timestamps))?;

    let shards = shards?;
    let mut series = Series::new(&shards_path);
    for row in &shards {
        let at = At {
            file: &shards_path,
            line: row.line,
        };
        let s = &row.value;
        if s.shard >= arch.clickhouse.shards {
            return Err(at.error(
                "shard",
                format!(
                    "the cluster has shards 0 to {}, found {}",
                    arch.clickhouse.shards - 1,
                    s.shard
                ),
            ));
        }
        for (field, v) in [
            ("insert_queries_per_s", s.insert_queries_per_s),
            ("rows_per_s", s.rows_per_s),
            ("active_parts", s.active_parts),
            ("max_parts_in_partition", s.max_parts_in_partition),
            ("merges_running", s.merges_running),
            ("merged_rows_per_s", s.merged_rows_per_s),
        ] {
            at.non_negative(field, v)?;
        }
        series.push(&at, s.shard.to_string(), s.ts)?;
    }
    let expected: Vec<String> = (0..arch.clickhouse.shards).map(|s| s.to_string()).collect();
    series.finish(&expected, Some(&timestamps))?;

    Ok(Metrics {
        timestamps,
        topics: values(topics),
        partitions: values(partitions),
        subtasks: values(subtasks),
        shards: values(shards),
    })
}

fn values<T>(rows: Vec<Row<T>>) -> Vec<T> {
    rows.into_iter().map(|r| r.value).collect()
}

/// Checks the time series of one file as its rows stream by: rows sorted by
/// time, each series `STEP_S` apart with no gap and no duplicate, and every
/// series covering the same span.
struct Series<'a> {
    file: &'a Path,
    last_ts: Option<i64>,
    /// series key → (first ts, last ts, first line)
    spans: BTreeMap<String, (i64, i64, u64)>,
}

impl<'a> Series<'a> {
    fn new(file: &'a Path) -> Self {
        Series {
            file,
            last_ts: None,
            spans: BTreeMap::new(),
        }
    }

    fn push(&mut self, at: &At<'_>, key: String, ts: i64) -> Result<(), InputError> {
        if let Some(prev) = self.last_ts
            && ts < prev
        {
            return Err(at.error(
                "ts",
                format!("rows must be sorted by time: {ts} comes after {prev}"),
            ));
        }
        self.last_ts = Some(ts);
        match self.spans.get_mut(&key) {
            None => {
                self.spans.insert(key, (ts, ts, at.line));
            }
            Some((_, last, _)) => {
                if ts == *last {
                    return Err(at.error("ts", format!("duplicate sample for `{key}` at {ts}")));
                }
                if ts != *last + STEP_S {
                    return Err(at.error(
                        "ts",
                        format!(
                            "gap in `{key}`: expected {} ({STEP_S} s after {last}), found {ts}",
                            *last + STEP_S
                        ),
                    ));
                }
                *last = ts;
            }
        }
        Ok(())
    }

    /// Every `expected` series must be present and span the same times as
    /// `reference` (or as each other when there is none). Returns the times.
    fn finish(
        self,
        expected: &[String],
        reference: Option<&[i64]>,
    ) -> Result<Vec<i64>, InputError> {
        for key in expected {
            if !self.spans.contains_key(key) {
                return Err(InputError::new(
                    self.file,
                    format!("no samples for `{key}`"),
                ));
            }
        }
        let (first, last) = match reference {
            Some(ts) => (ts[0], ts[ts.len() - 1]),
            None => {
                let (f, l, _) = self.spans.values().next().expect("at least one row");
                (*f, *l)
            }
        };
        for (key, (f, l, line)) in &self.spans {
            if (*f, *l) != (first, last) {
                return Err(InputError::new(
                    self.file,
                    format!(
                        "`{key}` spans {f} to {l}, expected {first} to {last} like the other series"
                    ),
                )
                .at_line(*line)
                .in_field("ts"));
            }
        }
        Ok((0..=(last - first) / STEP_S)
            .map(|i| first + i * STEP_S)
            .collect())
    }
}

/// Samples per bin below which a bin says too little to judge.
pub const MIN_SAMPLES_PER_BIN: usize = 10;
/// Bins of the rows/s-per-shard axis when reading the merge-safe rate off the metrics.
pub const RATE_BINS: usize = 24;

/// The highest rows/s per shard at which production kept its parts in check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MergeSafeRate {
    pub rows_per_s_per_shard: f64,
    /// Whether the metrics crossed the parts limit: if not, the rate is only the
    /// highest one seen, a lower bound on what a shard can take.
    pub limit_observed: bool,
    pub max_parts: f64,
    /// The p99 of `max_parts_in_partition` in the lowest insert-rate bin with
    /// enough samples: a level at or below it leaves no rate merge-safe.
    pub parts_at_lowest_rate: f64,
}

impl Metrics {
    /// Bins the per-shard samples by insert rate and walks up the bins while
    /// the p99 of `max_parts_in_partition` stays at or below `max_parts`.
    pub fn merge_safe_rate(&self, max_parts: f64) -> MergeSafeRate {
        let samples = &self.shards;
        let top = samples.iter().map(|s| s.rows_per_s).fold(0.0, f64::max);
        let width = (top / RATE_BINS as f64).max(f64::MIN_POSITIVE);
        let mut bins: Vec<Vec<f64>> = vec![Vec::new(); RATE_BINS + 1];
        for s in samples {
            bins[((s.rows_per_s / width) as usize).min(RATE_BINS)].push(s.max_parts_in_partition);
        }
        let judged = || {
            bins.iter()
                .enumerate()
                .filter(|(_, parts)| parts.len() >= MIN_SAMPLES_PER_BIN)
        };
        let parts_at_lowest_rate = judged().next().map_or(0.0, |(_, p)| quantile(p, 0.99));
        let mut safe = 0.0;
        for (i, parts) in judged() {
            if quantile(parts, 0.99) > max_parts {
                return MergeSafeRate {
                    rows_per_s_per_shard: safe,
                    limit_observed: true,
                    max_parts,
                    parts_at_lowest_rate,
                };
            }
            safe = width * (i + 1) as f64;
        }
        MergeSafeRate {
            rows_per_s_per_shard: safe.min(top),
            limit_observed: false,
            max_parts,
            parts_at_lowest_rate,
        }
    }
}

/// The `q` quantile by the nearest-rank method (0 for no values).
pub fn quantile(v: &[f64], q: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let rank = ((q * s.len() as f64).ceil() as usize).clamp(1, s.len());
    s[rank - 1]
}
