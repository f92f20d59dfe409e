//! `specgen synth --seed N`: writes the sample inputs (metrics, key
//! distribution, forecast) from the story in [`story`], for the topology in
//! `data/architecture.toml`, and `provenance.toml` marking them synthetic.
//! The story is code so that it can be reviewed; the same seed gives the
//! same bytes. The metrics are not routed from the key list they publish:
//! production's traffic departs from its exports (a mislisted id, a tail
//! that scatters, customers with rhythms of their own, restarts), so the
//! model's check of today's skew has a real error to report.

pub mod story;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::rng::Rng;
use story::*;

use crate::error::{Error, Result};
use crate::inputs::architecture::{self, Architecture};
use crate::inputs::keys::{HotCustomer, KeyDistribution, Tail};
use crate::inputs::metrics::STEP_S;
use crate::model::routing;
use partitioners::{flink_subtask, kafka_partition, long_hash_code, long_key_bytes};

/// Writes the sample under `data_dir`; returns the files written.
pub fn write(data_dir: &Path, seed: u64) -> Result<Vec<PathBuf>> {
    let arch = architecture::load(&data_dir.join("architecture.toml"))?;
    let files = generate(&arch, seed);
    let mut written = Vec::new();
    for (rel, text) in files {
        let path = data_dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        std::fs::write(&path, text).map_err(|e| Error::io(&path, e))?;
        written.push(path);
    }
    Ok(written)
}

/// The sample's files, path relative to `data/` → content.
pub fn generate(arch: &Architecture, seed: u64) -> BTreeMap<String, String> {
    let mut rng = Rng::new(seed);
    let keys = key_distribution();
    let mut files = BTreeMap::new();
    files.insert("keys/hot_customers.csv".into(), hot_customers_csv(&keys));
    files.insert("keys/tail.toml".into(), tail_toml(&keys.tail));
    files.insert("keys/event_types.csv".into(), event_types_csv());
    files.insert("forecast.csv".into(), forecast_csv());
    files.insert("onboardings.csv".into(), onboardings_csv());
    files.insert("provenance.toml".into(), provenance_toml(seed));
    let metrics = simulate(arch, &keys, &mut rng);
    files.extend(metrics);
    files
}

fn key_distribution() -> KeyDistribution {
    let hot: Vec<HotCustomer> = HOT_CUSTOMERS
        .iter()
        .map(|&(id, name, share)| HotCustomer {
            customer_id: id,
            name: name.into(),
            share,
        })
        .collect();
    let hot_total: f64 = hot.iter().map(|h| h.share).sum();
    KeyDistribution {
        hot,
        tail: Tail {
            customers: TAIL_CUSTOMERS,
            first_customer_id: TAIL_FIRST_ID,
            zipf_exponent: TAIL_ZIPF_EXPONENT,
            share: round(1.0 - hot_total, 6),
        },
        event_types: Vec::new(),
    }
}

fn round(v: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (v * f).round() / f
}

fn hot_customers_csv(keys: &KeyDistribution) -> String {
    let mut s = String::from("customer_id,name,share\n");
    for h in &keys.hot {
        let _ = writeln!(s, "{},{},{}", h.customer_id, h.name, h.share);
    }
    s
}

fn tail_toml(tail: &Tail) -> String {
    format!(
        "# The customers not listed in hot_customers.csv: consecutive ids, a Zipf law of rank.\n\
         [tail]\ncustomers = {}\nfirst_customer_id = {}\nzipf_exponent = {}\nshare = {}\n",
        tail.customers, tail.first_customer_id, tail.zipf_exponent, tail.share
    )
}

fn event_types_csv() -> String {
    let mut s = String::from("event_type,share\n");
    for (name, share) in EVENT_TYPES {
        let _ = writeln!(s, "{name},{share}");
    }
    s
}

fn forecast_csv() -> String {
    let mut s = String::from("month,label,scenario,customers,events_per_customer_per_s\n");
    for m in 1..=12u32 {
        let (year, first) = FIRST_MONTH;
        let idx = first - 1 + m - 1;
        let label = format!("{}-{:02}", year + (idx / 12) as i32, idx % 12 + 1);
        for &(scenario, customers_12, epc_12) in FORECAST_MONTH_12 {
            // Geometric growth from today to month 12.
            let f = f64::from(m) / 12.0;
            let customers = (CUSTOMERS_TODAY * (customers_12 / CUSTOMERS_TODAY).powf(f)).round();
            let epc = round(
                EVENTS_PER_CUSTOMER_TODAY * (epc_12 / EVENTS_PER_CUSTOMER_TODAY).powf(f),
                2,
            );
            let _ = writeln!(s, "{m},{label},{scenario},{customers},{epc}");
        }
    }
    s
}

fn provenance_toml(seed: u64) -> String {
    format!(
        "# Where data/ comes from. `specgen synth` wrote this sample: every document built from it\n\
         # says so. Delete this file (or set synthetic = false) once data/ holds your own exports.\n\
         synthetic = true\nwritten_by = \"specgen synth --seed {seed}\"\n"
    )
}

fn onboardings_csv() -> String {
    let mut s = String::from("customer,first_month,events_per_s,scenarios\n");
    for (name, month, rate, scenarios) in ONBOARDINGS {
        let _ = writeln!(s, "{name},{month},{rate},{scenarios}");
    }
    s
}

/// The offered rate at time `ts` before noise: diurnal × weekly × trend.
fn shape(ts: i64) -> f64 {
    let t = ts - START_TS;
    let hour = (t % 86_400) as f64 / 3600.0;
    let day = (t / 86_400) as usize;
    let phase = std::f64::consts::TAU * (hour - DIURNAL_PEAK_HOUR_UTC) / 24.0;
    let diurnal = 1.0 + DIURNAL_A1 * phase.cos() + DIURNAL_A2 * (2.0 * phase).cos();
    let weeks = t as f64 / (7.0 * 86_400.0);
    // Centred so that the four-week mean stays at MEAN_EVENTS_PER_S.
    let trend = (1.0 + WEEKLY_GROWTH).powf(weeks - DAYS as f64 / 14.0);
    let weekly = WEEKLY[day % 7] / (WEEKLY.iter().sum::<f64>() / 7.0);
    diurnal * weekly * trend
}

fn hour_of_day(ts: i64) -> f64 {
    ((ts - START_TS) % 86_400) as f64 / 3600.0
}

/// Whether the job is restarting at `ts` ([`RESTARTS`]): nothing is consumed.
fn restarting(ts: i64) -> bool {
    RESTARTS.iter().any(|&(day, hour, samples)| {
        let start = START_TS + day * 86_400 + (hour * 3600.0) as i64;
        (start..start + samples * STEP_S).contains(&ts)
    })
}

/// Production's keys as its traffic carries them: the exported list's, with
/// the deviations of the story (a mislisted id, a scattered tail, hot
/// customers with rhythms of their own), routed by the real partitioners.
struct Traffic {
    /// Customers without a rhythm, by partition and by keyed subtask.
    steady_partitions: Vec<f64>,
    steady_subtasks: Vec<f64>,
    /// Customers with a rhythm: partition, subtask, share, amplitude, peak hour.
    rhythmic: Vec<(usize, usize, f64, f64, f64)>,
}

impl Traffic {
    fn new(
        keys: &KeyDistribution,
        partitions: u32,
        keyed: &architecture::Operator,
        rng: &mut Rng,
    ) -> Traffic {
        let listed = keys.customers();
        let (hot, tail) = listed.split_at(keys.hot.len());
        let scattered: Vec<f64> = tail
            .iter()
            .map(|&(_, share)| share * (TAIL_SCATTER_SIGMA * rng.normal()).exp())
            .collect();
        let scale = keys.tail.share / scattered.iter().sum::<f64>();
        let carried = hot
            .iter()
            .map(|&(id, share)| {
                let id = if id == MISLISTED_CUSTOMER.0 {
                    MISLISTED_CUSTOMER.1
                } else {
                    id
                };
                (id, share)
            })
            .chain(
                tail.iter()
                    .zip(&scattered)
                    .map(|(&(id, _), &share)| (id, share * scale)),
            );
        let mut t = Traffic {
            steady_partitions: vec![0.0; partitions as usize],
            steady_subtasks: vec![0.0; keyed.parallelism as usize],
            rhythmic: Vec::new(),
        };
        for (id, share) in carried {
            let p = kafka_partition(&long_key_bytes(id), partitions) as usize;
            let s = flink_subtask(long_hash_code(id), keyed.max_parallelism, keyed.parallelism)
                as usize;
            match HOT_CUSTOMER_RHYTHMS.iter().find(|r| r.0 == id) {
                Some(&(_, amplitude, peak)) => t.rhythmic.push((p, s, share, amplitude, peak)),
                None => {
                    t.steady_partitions[p] += share;
                    t.steady_subtasks[s] += share;
                }
            }
        }
        t
    }

    /// Shares by partition and by keyed subtask at `hour` of the day, each summing to 1.
    fn at(&self, hour: f64) -> (Vec<f64>, Vec<f64>) {
        let mut partitions = self.steady_partitions.clone();
        let mut subtasks = self.steady_subtasks.clone();
        for &(p, s, share, amplitude, peak) in &self.rhythmic {
            let w =
                share * (1.0 + amplitude * (std::f64::consts::TAU * (hour - peak) / 24.0).cos());
            partitions[p] += w;
            subtasks[s] += w;
        }
        let total: f64 = partitions.iter().sum();
        for x in partitions.iter_mut().chain(subtasks.iter_mut()) {
            *x /= total;
        }
        (partitions, subtasks)
    }
}

struct Writers {
    topics: String,
    partitions: String,
    subtasks: String,
    shards: String,
}

fn simulate(
    arch: &Architecture,
    keys: &KeyDistribution,
    rng: &mut Rng,
) -> BTreeMap<String, String> {
    let raw = arch.keyed_topic();
    let dlq = arch.kafka.topics.iter().find(|t| t.key == "none");
    let keyed = arch.keyed_operator();
    let traffic = Traffic::new(keys, raw.partitions, keyed, rng);
    let source = &arch.flink.operators[0];
    let sink = arch.flink.operators.last().expect("validated: operators");
    let reader_of: Vec<usize> = (0..raw.partitions)
        .map(|p| routing::source_subtask_of_partition(&raw.name, p, source.parallelism) as usize)
        .collect();
    // The keyed operator passes at most what its hottest subtask can take:
    // credit-based flow control stalls every upstream channel behind it.
    let keyed_capacity = 1e6 / WINDOW_AGGREGATE_US * MAX_BUSY_RATIO;

    let mut w = Writers {
        topics: String::from("ts,topic,events_per_s,bytes_per_s\n"),
        partitions: String::from("ts,topic,partition,events_per_s\n"),
        subtasks: String::from(
            "ts,operator,subtask,busy_ms_per_s,backpressured_ms_per_s,idle_ms_per_s,records_in_per_s,records_out_per_s\n",
        ),
        shards: String::from(
            "ts,shard,insert_queries_per_s,rows_per_s,active_parts,max_parts_in_partition,merges_running,merged_rows_per_s\n",
        ),
    };
    let mut backlog = 0.0_f64;
    let shards = arch.clickhouse.shards as usize;
    let mut parts = vec![BASE_PARTS; shards];
    let steps = DAYS * 86_400 / STEP_S;
    for step in 0..steps {
        let ts = START_TS + step * STEP_S;
        let (partition_shares, subtask_shares) = traffic.at(hour_of_day(ts));
        let mut source_shares = vec![0.0; source.parallelism as usize];
        for (p, share) in partition_shares.iter().enumerate() {
            source_shares[reader_of[p]] += share;
        }
        let hottest = subtask_shares.iter().copied().fold(0.0, f64::max);
        let down = restarting(ts);
        let max_throughput = if down {
            0.0
        } else {
            keyed_capacity / (hottest * (1.0 - DLQ_FRACTION))
        };
        let produced = MEAN_EVENTS_PER_S * shape(ts) * rng.jitter(NOISE);
        // Flink reads what is produced plus what it owes from earlier stalls
        // and restarts.
        let offered = produced + backlog / STEP_S as f64;
        let consumed = offered.min(max_throughput);
        backlog = ((offered - consumed) * STEP_S as f64).max(0.0);
        let throttled = consumed < offered;

        let _ = writeln!(
            w.topics,
            "{ts},{},{:.1},{:.0}",
            raw.name,
            produced,
            produced * raw.avg_event_bytes * rng.jitter(0.01)
        );
        if let Some(dlq) = dlq {
            let e = produced * DLQ_FRACTION;
            let _ = writeln!(
                w.topics,
                "{ts},{},{:.1},{:.0}",
                dlq.name,
                e,
                e * dlq.avg_event_bytes * rng.jitter(0.01)
            );
        }
        for (p, share) in partition_shares.iter().enumerate() {
            let _ = writeln!(
                w.partitions,
                "{ts},{},{p},{:.1}",
                raw.name,
                produced * share * rng.jitter(0.02)
            );
        }

        for (j, share) in source_shares.iter().enumerate() {
            let records_in = consumed * share;
            let busy = (records_in * SOURCE_ENRICH_US / 1000.0 * rng.jitter(0.03)).min(990.0);
            // Stalled behind the hot keyed subtask, a source subtask waits for credit
            // instead of idling: the lag is there to read.
            let (bp, idle) = if down {
                // Restarting: nothing read, nothing to wait for.
                (0.0, 1000.0 - busy)
            } else if throttled {
                let idle = 5.0 * rng.uniform();
                (1000.0 - busy - idle, idle)
            } else {
                let bp = 4.0 * rng.uniform();
                (bp, 1000.0 - busy - bp)
            };
            subtask_row(
                &mut w.subtasks,
                ts,
                &source.name,
                j,
                busy,
                bp,
                idle,
                records_in,
                records_in * (1.0 - DLQ_FRACTION),
            );
        }
        let mut window_out = 0.0;
        for (i, share) in subtask_shares.iter().enumerate() {
            let records_in = consumed * (1.0 - DLQ_FRACTION) * share;
            let busy = (records_in * WINDOW_AGGREGATE_US / 1000.0 * rng.jitter(0.02))
                .min(1000.0 * MAX_BUSY_RATIO);
            let bp = if down { 0.0 } else { 2.0 * rng.uniform() };
            let out = records_in * WINDOW_OUTPUT_RATIO;
            window_out += out;
            subtask_row(
                &mut w.subtasks,
                ts,
                &keyed.name,
                i,
                busy,
                bp,
                1000.0 - busy - bp,
                records_in,
                out,
            );
        }
        for k in 0..sink.parallelism as usize {
            let records_in = window_out / f64::from(sink.parallelism) * rng.jitter(0.02);
            let busy = records_in * AGG_SINK_US / 1000.0 * rng.jitter(0.03);
            subtask_row(
                &mut w.subtasks,
                ts,
                &sink.name,
                k,
                busy,
                0.0,
                1000.0 - busy,
                records_in,
                records_in,
            );
        }

        // Raw events are inserted by every source subtask and window results by
        // every sink subtask, once per flush interval; the Distributed table
        // splits each insert across all shards.
        let inserts = f64::from(source.parallelism + sink.parallelism);
        for (s, part) in parts.iter_mut().enumerate() {
            let rows =
                (consumed * (1.0 - DLQ_FRACTION) + window_out) / shards as f64 * rng.jitter(0.02);
            let u = (rows / MERGE_CAPACITY_ROWS_PER_S).min(0.999);
            // Parts settle towards a level that climbs steeply as the merge pool fills.
            let target = BASE_PARTS + PARTS_AT_SATURATION * u.powi(3) / (1.0 - u).max(0.05);
            *part += 0.5 * (target - *part);
            let active = (*part * rng.jitter(0.04)).round();
            let _ = writeln!(
                w.shards,
                "{ts},{s},{:.1},{:.1},{},{},{:.0},{:.1}",
                inserts * rng.jitter(0.02),
                rows,
                active,
                (active * 0.82).round(),
                (2.0 + 12.0 * u * rng.jitter(0.1)).round(),
                rows * MERGE_AMPLIFICATION * rng.jitter(0.05),
            );
        }
    }
    BTreeMap::from([
        ("metrics/topics.csv".to_owned(), w.topics),
        ("metrics/partitions.csv".to_owned(), w.partitions),
        ("metrics/flink_subtasks.csv".to_owned(), w.subtasks),
        ("metrics/clickhouse_shards.csv".to_owned(), w.shards),
    ])
}

#[allow(clippy::too_many_arguments)]
fn subtask_row(
    out: &mut String,
    ts: i64,
    op: &str,
    i: usize,
    busy: f64,
    bp: f64,
    idle: f64,
    rin: f64,
    rout: f64,
) {
    let _ = writeln!(
        out,
        "{ts},{op},{i},{busy:.1},{bp:.1},{idle:.1},{rin:.1},{rout:.1}"
    );
}
