//! The workload today, characterized from the production metrics: rates and
//! peaks per topic, partition skew, the keyed operator's true processing
//! rate per subtask (records-in ÷ busy time, as Flink's autoscaler computes
//! it), where it backpressures, and ClickHouse's parts headroom.

use serde::Serialize;

use crate::inputs::Inputs;
use crate::inputs::metrics::{PooledRate, STEP_S, quantile};

/// Flink's web UI calls a subtask HIGH backpressured above 50% of the time.
pub const HIGH_BACKPRESSURE_MS: f64 = 500.0;
/// The peak of a series: its 99th percentile of 5-minute values (a single spike is not the peak).
pub const PEAK_QUANTILE: f64 = 0.99;

#[derive(Debug, Clone, Serialize)]
pub struct Workload {
    pub first_ts: i64,
    pub last_ts: i64,
    pub days: f64,
    pub samples: usize,
    pub topics: Vec<TopicProfile>,
    pub partition_skew: PartitionSkew,
    pub operators: Vec<OperatorProfile>,
    pub keyed: KeyedProfile,
    pub clickhouse: ClickHouseProfile,
}

#[derive(Debug, Clone, Serialize)]
pub struct TopicProfile {
    pub topic: String,
    pub mean_events_per_s: f64,
    pub peak_events_per_s: f64,
    pub peak_to_mean: f64,
    pub mean_bytes_per_s: f64,
    pub peak_bytes_per_s: f64,
    /// Mean bytes per event, measured.
    pub event_bytes: f64,
    /// Mean by hour of day (UTC), relative to the overall mean.
    pub diurnal: Vec<f64>,
    /// Mean by day of week (Monday first), relative to the overall mean.
    pub weekly: Vec<f64>,
    /// Mean events/s of each full week.
    pub week_means: Vec<f64>,
    /// Geometric mean of the week-over-week ratios, minus one.
    pub week_over_week_growth: f64,
    /// Mean events/s over the last week: "today" for the forecast.
    pub last_week_mean_events_per_s: f64,
    /// Hourly means over the whole span, for the throughput chart.
    pub hourly_events_per_s: Vec<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PartitionSkew {
    pub topic: String,
    pub partitions: u32,
    /// Each partition's share of the topic's events over the span.
    pub shares: Vec<f64>,
    pub hottest_partition: u32,
    pub hottest_share: f64,
    pub fair_share: f64,
    /// Hottest share ÷ fair share.
    pub hottest_over_fair: f64,
    /// Coefficient of variation of the partition shares.
    pub cv: f64,
    /// The hottest partition's peak (p99) rate.
    pub hottest_peak_events_per_s: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SubtaskProfile {
    pub subtask: u32,
    /// Share of the operator's records in.
    pub share: f64,
    /// Records in ÷ busy time: what the subtask processes per second of work.
    pub true_rate_per_s: f64,
    pub mean_busy_ratio: f64,
    pub peak_busy_ratio: f64,
    pub mean_backpressured_ratio: f64,
    pub peak_backpressured_ratio: f64,
    /// Fraction of samples in which the subtask was HIGH backpressured.
    pub high_backpressure_fraction: f64,
    /// Mean busy and backpressured ratio by hour of day, for the heat map.
    pub busy_by_hour: Vec<f64>,
    pub backpressured_by_hour: Vec<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OperatorProfile {
    pub name: String,
    pub parallelism: u32,
    pub keyed: bool,
    pub subtasks: Vec<SubtaskProfile>,
    pub mean_records_in_per_s: f64,
    /// Pooled over subtasks and samples: total records in ÷ total busy seconds.
    /// What one subtask processes when 100% busy (the autoscaler's true rate).
    pub capacity_per_s: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct KeyedProfile {
    pub operator: String,
    pub parallelism: u32,
    pub max_parallelism: u32,
    /// Pooled over subtasks: total busy time ÷ total records, in µs per record.
    pub service_time_us: f64,
    /// 1e6 ÷ service time: what one subtask processes when 100% busy.
    pub subtask_capacity_per_s: f64,
    pub hottest_subtask: u32,
    pub hottest_share: f64,
    pub fair_share: f64,
    pub hottest_peak_busy_ratio: f64,
    pub hottest_mean_busy_ratio: f64,
    /// The upstream operator it stalls, and how: HIGH backpressure fraction and peak ratio.
    pub upstream: Option<String>,
    pub upstream_peak_backpressured_ratio: f64,
    pub upstream_high_backpressure_fraction: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClickHouseProfile {
    pub shards: u32,
    pub mean_rows_per_s: f64,
    pub peak_rows_per_s: f64,
    /// The peak spread over today's shards.
    pub peak_rows_per_s_per_shard: f64,
    pub mean_insert_queries_per_s: f64,
    /// Highest `max_parts_in_partition` seen on any shard.
    pub max_parts_in_partition: f64,
    pub mean_active_parts: f64,
    pub peak_active_parts: f64,
    pub parts_to_delay_insert: f64,
    /// `parts_to_delay_insert` − the highest parts count seen.
    pub parts_headroom: f64,
    /// Rows merged per row inserted, on average and at the insert peak.
    pub merge_to_insert_ratio: f64,
    pub merge_to_insert_ratio_at_peak: f64,
    /// Max active parts across shards, hourly, for the chart.
    pub hourly_max_active_parts: Vec<f64>,
}

pub fn characterize(inputs: &Inputs) -> Workload {
    let m = &inputs.metrics;
    let arch = &inputs.architecture;
    let first_ts = m.timestamps[0];
    let last_ts = *m.timestamps.last().expect("validated: samples");
    let n = m.timestamps.len();
    let index = |ts: i64| ((ts - first_ts) / STEP_S) as usize;

    let topics = arch
        .kafka
        .topics
        .iter()
        .map(|t| {
            let mut events = vec![0.0; n];
            let mut bytes = vec![0.0; n];
            for s in m.topics.iter().filter(|s| s.topic == t.name) {
                events[index(s.ts)] = s.events_per_s;
                bytes[index(s.ts)] = s.bytes_per_s;
            }
            topic_profile(&t.name, &m.timestamps, &events, &bytes)
        })
        .collect();

    let keyed_topic = arch.keyed_topic();
    let mut per_partition = vec![vec![0.0; n]; keyed_topic.partitions as usize];
    for s in m.partitions.iter().filter(|s| s.topic == keyed_topic.name) {
        per_partition[s.partition as usize][index(s.ts)] = s.events_per_s;
    }
    let partition_skew = partition_skew(&keyed_topic.name, &per_partition);

    let operators: Vec<OperatorProfile> = arch
        .flink
        .operators
        .iter()
        .map(|op| {
            let mut series: Vec<SubtaskSeries> =
                (0..op.parallelism).map(|_| SubtaskSeries::new(n)).collect();
            for s in m.subtasks.iter().filter(|s| s.operator == op.name) {
                let i = index(s.ts);
                let x = &mut series[s.subtask as usize];
                x.busy[i] = s.busy_ms_per_s;
                x.backpressured[i] = s.backpressured_ms_per_s;
                x.records_in[i] = s.records_in_per_s;
            }
            let pooled = m.pooled_rate(&op.name, op.parallelism);
            operator_profile(
                &op.name,
                op.parallelism,
                op.keyed,
                &series,
                &m.timestamps,
                pooled,
            )
        })
        .collect();

    let keyed_op = arch.keyed_operator();
    let keyed_index = arch
        .flink
        .operators
        .iter()
        .position(|o| o.keyed)
        .expect("validated");
    let kp = &operators[keyed_index];
    // The operator profile already pools records in over busy time.
    let service_time_us = 1e6 / kp.capacity_per_s;
    let hottest = kp
        .subtasks
        .iter()
        .max_by(|a, b| a.share.total_cmp(&b.share))
        .expect("validated: parallelism >= 1");
    let upstream = keyed_index.checked_sub(1).map(|i| &operators[i]);
    let keyed = KeyedProfile {
        operator: keyed_op.name.clone(),
        parallelism: keyed_op.parallelism,
        max_parallelism: keyed_op.max_parallelism,
        service_time_us,
        subtask_capacity_per_s: kp.capacity_per_s,
        hottest_subtask: hottest.subtask,
        hottest_share: hottest.share,
        fair_share: 1.0 / f64::from(keyed_op.parallelism),
        hottest_peak_busy_ratio: hottest.peak_busy_ratio,
        hottest_mean_busy_ratio: hottest.mean_busy_ratio,
        upstream: upstream.map(|u| u.name.clone()),
        upstream_peak_backpressured_ratio: upstream
            .map(|u| {
                mean(
                    &u.subtasks
                        .iter()
                        .map(|s| s.peak_backpressured_ratio)
                        .collect::<Vec<_>>(),
                )
            })
            .unwrap_or(0.0),
        upstream_high_backpressure_fraction: upstream
            .map(|u| {
                mean(
                    &u.subtasks
                        .iter()
                        .map(|s| s.high_backpressure_fraction)
                        .collect::<Vec<_>>(),
                )
            })
            .unwrap_or(0.0),
    };

    let clickhouse = clickhouse_profile(inputs, n, &index);
    Workload {
        first_ts,
        last_ts,
        days: (last_ts - first_ts + STEP_S) as f64 / 86_400.0,
        samples: n,
        topics,
        partition_skew,
        operators,
        keyed,
        clickhouse,
    }
}

impl Workload {
    pub fn topic(&self, name: &str) -> &TopicProfile {
        self.topics
            .iter()
            .find(|t| t.topic == name)
            .expect("every architecture topic is profiled")
    }
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

fn hour_of_day(ts: i64) -> usize {
    (ts.rem_euclid(86_400) / 3600) as usize
}

/// Monday = 0 (1970-01-01 was a Thursday).
fn day_of_week(ts: i64) -> usize {
    ((ts.div_euclid(86_400) + 3) % 7) as usize
}

fn by_bucket(ts: &[i64], v: &[f64], buckets: usize, bucket: impl Fn(i64) -> usize) -> Vec<f64> {
    let mut sum = vec![0.0; buckets];
    let mut count = vec![0usize; buckets];
    for (t, x) in ts.iter().zip(v) {
        sum[bucket(*t)] += x;
        count[bucket(*t)] += 1;
    }
    sum.iter()
        .zip(&count)
        .map(|(s, c)| if *c == 0 { 0.0 } else { s / *c as f64 })
        .collect()
}

fn topic_profile(topic: &str, ts: &[i64], events: &[f64], bytes: &[f64]) -> TopicProfile {
    let mean_events = mean(events);
    let rel = |v: Vec<f64>| {
        v.into_iter()
            .map(|x| {
                if mean_events > 0.0 {
                    x / mean_events
                } else {
                    0.0
                }
            })
            .collect()
    };
    let per_week = (7 * 86_400 / STEP_S) as usize;
    let week_means: Vec<f64> = events.chunks_exact(per_week).map(mean).collect();
    let growth = if week_means.len() >= 2 && week_means[0] > 0.0 {
        (week_means[week_means.len() - 1] / week_means[0]).powf(1.0 / (week_means.len() - 1) as f64)
            - 1.0
    } else {
        0.0
    };
    let per_hour = (3600 / STEP_S) as usize;
    let peak = quantile(events, PEAK_QUANTILE);
    TopicProfile {
        topic: topic.to_owned(),
        mean_events_per_s: mean_events,
        peak_events_per_s: peak,
        peak_to_mean: if mean_events > 0.0 {
            peak / mean_events
        } else {
            0.0
        },
        mean_bytes_per_s: mean(bytes),
        peak_bytes_per_s: quantile(bytes, PEAK_QUANTILE),
        event_bytes: if mean_events > 0.0 {
            mean(bytes) / mean_events
        } else {
            0.0
        },
        diurnal: rel(by_bucket(ts, events, 24, hour_of_day)),
        weekly: rel(by_bucket(ts, events, 7, day_of_week)),
        last_week_mean_events_per_s: week_means.last().copied().unwrap_or(mean_events),
        week_means,
        week_over_week_growth: growth,
        hourly_events_per_s: events.chunks(per_hour).map(mean).collect(),
    }
}

fn partition_skew(topic: &str, per_partition: &[Vec<f64>]) -> PartitionSkew {
    let totals: Vec<f64> = per_partition.iter().map(|s| s.iter().sum()).collect();
    let all: f64 = totals.iter().sum();
    let shares: Vec<f64> = totals
        .iter()
        .map(|t| if all > 0.0 { t / all } else { 0.0 })
        .collect();
    let (hottest, hottest_share) = shares
        .iter()
        .copied()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .expect("validated: partitions >= 1");
    let fair = 1.0 / shares.len() as f64;
    let sd = (shares.iter().map(|s| (s - fair).powi(2)).sum::<f64>() / shares.len() as f64).sqrt();
    PartitionSkew {
        topic: topic.to_owned(),
        partitions: shares.len() as u32,
        hottest_partition: hottest as u32,
        hottest_share,
        fair_share: fair,
        hottest_over_fair: hottest_share / fair,
        cv: sd / fair,
        hottest_peak_events_per_s: quantile(&per_partition[hottest], PEAK_QUANTILE),
        shares,
    }
}

struct SubtaskSeries {
    busy: Vec<f64>,
    backpressured: Vec<f64>,
    records_in: Vec<f64>,
}

impl SubtaskSeries {
    fn new(n: usize) -> Self {
        SubtaskSeries {
            busy: vec![0.0; n],
            backpressured: vec![0.0; n],
            records_in: vec![0.0; n],
        }
    }
}

fn operator_profile(
    name: &str,
    parallelism: u32,
    keyed: bool,
    series: &[SubtaskSeries],
    ts: &[i64],
    pooled: PooledRate,
) -> OperatorProfile {
    let total_in: f64 = series
        .iter()
        .map(|s| s.records_in.iter().sum::<f64>())
        .sum();
    let ratio = |v: &[f64]| v.iter().map(|x| x / 1000.0).collect::<Vec<_>>();
    let subtasks = series
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let busy = ratio(&s.busy);
            let bp = ratio(&s.backpressured);
            let records: f64 = s.records_in.iter().sum();
            let busy_s: f64 = busy.iter().sum();
            SubtaskProfile {
                subtask: i as u32,
                share: if total_in > 0.0 {
                    records / total_in
                } else {
                    0.0
                },
                true_rate_per_s: if busy_s > 0.0 { records / busy_s } else { 0.0 },
                mean_busy_ratio: mean(&busy),
                peak_busy_ratio: quantile(&busy, PEAK_QUANTILE),
                mean_backpressured_ratio: mean(&bp),
                peak_backpressured_ratio: quantile(&bp, PEAK_QUANTILE),
                high_backpressure_fraction: s
                    .backpressured
                    .iter()
                    .filter(|b| **b > HIGH_BACKPRESSURE_MS)
                    .count() as f64
                    / s.backpressured.len().max(1) as f64,
                busy_by_hour: by_bucket(ts, &busy, 24, hour_of_day),
                backpressured_by_hour: by_bucket(ts, &bp, 24, hour_of_day),
            }
        })
        .collect();
    OperatorProfile {
        name: name.to_owned(),
        parallelism,
        keyed,
        subtasks,
        mean_records_in_per_s: total_in / ts.len().max(1) as f64,
        capacity_per_s: pooled.capacity_per_s(),
    }
}

fn clickhouse_profile(
    inputs: &Inputs,
    n: usize,
    index: &dyn Fn(i64) -> usize,
) -> ClickHouseProfile {
    let m = &inputs.metrics;
    let mut rows = vec![0.0; n];
    let mut merged = vec![0.0; n];
    let mut inserts = vec![0.0; n];
    let mut max_active = vec![0.0_f64; n];
    let mut active = Vec::with_capacity(m.shards.len());
    let mut max_parts = 0.0_f64;
    for s in &m.shards {
        let i = index(s.ts);
        rows[i] += s.rows_per_s;
        merged[i] += s.merged_rows_per_s;
        inserts[i] += s.insert_queries_per_s;
        max_active[i] = max_active[i].max(s.active_parts);
        active.push(s.active_parts);
        max_parts = max_parts.max(s.max_parts_in_partition);
    }
    let peak_rows = quantile(&rows, PEAK_QUANTILE);
    // Merge work at the insert peak: the samples at or above the peak quantile.
    let at_peak: Vec<f64> = rows
        .iter()
        .zip(&merged)
        .filter(|(r, _)| **r >= peak_rows)
        .map(|(r, m)| m / r)
        .collect();
    let delay = inputs.assumptions.clickhouse.parts_to_delay_insert.value;
    let per_hour = (3600 / STEP_S) as usize;
    ClickHouseProfile {
        shards: inputs.architecture.clickhouse.shards,
        mean_rows_per_s: mean(&rows),
        peak_rows_per_s: peak_rows,
        peak_rows_per_s_per_shard: peak_rows / f64::from(inputs.architecture.clickhouse.shards),
        mean_insert_queries_per_s: mean(&inserts),
        max_parts_in_partition: max_parts,
        mean_active_parts: mean(&active),
        peak_active_parts: quantile(&active, PEAK_QUANTILE),
        parts_to_delay_insert: delay,
        parts_headroom: delay - max_parts,
        merge_to_insert_ratio: mean(&merged) / mean(&rows).max(f64::MIN_POSITIVE),
        merge_to_insert_ratio_at_peak: mean(&at_peak),
        hourly_max_active_parts: max_active
            .chunks(per_hour)
            .map(|c| c.iter().copied().fold(0.0, f64::max))
            .collect(),
    }
}
