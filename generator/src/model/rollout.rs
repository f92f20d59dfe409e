//! The plan by quarter: the capacity that must be in place when each quarter
//! starts (the most any of its months needs, base scenario), what the quarter
//! costs, and what doing nothing costs and whether today's footprint, keyed
//! by `customer_id` as it is, still carries it.
//!
//! Capacity is bought by the quarter: what a quarter needs at its busiest
//! month runs from its first day to its last, so a quarter costs its fleet's
//! monthly price times its months, not the sum of each month's need.
//! Cross-zone traffic is billed by use: a quarter pays each month's own.

use serde::Serialize;

use super::cost;
use super::growth::MonthLoad;
use super::index::{ByScenario, ByStrategy, Monthly};
use super::{MonthPlan, StrategyMonth};
use crate::inputs::architecture::Architecture;
use crate::inputs::assumptions::CostAssumptions;
use crate::inputs::forecast::CalendarMonth;

/// What today's footprint can run short of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    /// One customer alone is hotter than a partition or a subtask may be.
    HotKey,
    Partitions,
    Brokers,
    TaskManagers,
    ClickhouseShards,
}

/// A resource today's footprint is short of.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Shortfall {
    pub resource: Resource,
    pub today: u32,
    /// What the month needs; `None` when no count suffices (a key too hot).
    pub needed: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quarter {
    /// `YYYY-Qn`.
    pub label: String,
    pub first_month: String,
    pub last_month: String,
    /// Plan month numbers the quarter spans.
    pub from_month: u32,
    pub to_month: u32,
    pub brokers: u32,
    pub partitions: Option<u32>,
    pub keyed_subtasks: Option<u32>,
    pub max_parallelism: u32,
    pub task_managers: Option<u32>,
    pub shards: u32,
    pub clickhouse_nodes: u32,
    /// The quarter's fleet (the most any of its months needs, per
    /// component) for each of its months, per scenario; `None` when the plan
    /// does not carry one of its months in that scenario: a fleet that does
    /// not carry the load has no price to fund.
    pub cost_low: Option<f64>,
    pub cost: Option<f64>,
    pub cost_high: Option<f64>,
    /// Today's footprint for the same months.
    pub cost_doing_nothing: f64,
    /// Whether today's footprint carries every month of the quarter.
    pub today_carries: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Rollout {
    pub quarters: Vec<Quarter>,
    /// The first month (label) today's footprint no longer carries, and why.
    pub doing_nothing_fails: Option<String>,
    pub shortfalls: Vec<Shortfall>,
    /// The year's cost; `None` when a quarter has none.
    pub total_cost: Option<f64>,
    pub total_cost_doing_nothing: f64,
    /// What the plan costs over the year beyond today's run-rate (negative:
    /// it saves); `None` when the year has no price.
    pub increment_over_today: Option<f64>,
}

/// The most any month of a quarter needs in one scenario: what is bought
/// for the whole quarter.
#[derive(Debug, Clone, Copy)]
struct Fleet {
    brokers: u32,
    task_managers: Option<u32>,
    clickhouse_nodes: u32,
    /// The months' cross-zone traffic so far, summed: billed by use.
    cross_zone_usd: f64,
    /// Whether the plan carries every month so far.
    carried: bool,
}

impl Fleet {
    fn of(p: &MonthPlan) -> Fleet {
        Fleet {
            brokers: p.brokers.brokers,
            task_managers: p.flink.task_managers,
            clickhouse_nodes: p.clickhouse.nodes,
            cross_zone_usd: p.cost.cross_zone,
            carried: p.carried,
        }
    }

    fn and(self, p: &MonthPlan) -> Fleet {
        let next = Fleet::of(p);
        Fleet {
            brokers: self.brokers.max(next.brokers),
            task_managers: self
                .task_managers
                .zip(next.task_managers)
                .map(|(a, b)| a.max(b)),
            clickhouse_nodes: self.clickhouse_nodes.max(next.clickhouse_nodes),
            cross_zone_usd: self.cross_zone_usd + next.cross_zone_usd,
            carried: self.carried && next.carried,
        }
    }

    /// The fleet for `months` months and the months' traffic; `None` when a
    /// month is not carried.
    fn cost(&self, months: u32, arch: &Architecture, a: &CostAssumptions) -> Option<f64> {
        let per_month = cost::monthly(
            self.brokers,
            self.task_managers?,
            self.clickhouse_nodes,
            arch,
            a,
        );
        self.carried
            .then(|| f64::from(months) * per_month.total + self.cross_zone_usd)
    }
}

/// `YYYY-Qn` of a calendar month.
pub fn quarter_of(month: CalendarMonth) -> String {
    format!("{}-Q{}", month.year, month.quarter())
}

/// What keeping today's footprint and keys lacks in one month (empty: it carries).
pub fn shortfalls(
    plan: &MonthPlan,
    today_keys: &StrategyMonth,
    arch: &Architecture,
) -> Vec<Shortfall> {
    let keyed_topic = arch.keyed_topic();
    // Today's keys, today's counts: `None` needed means no count suffices, a
    // key too hot for any partition or subtask (reported once).
    let candidates = [
        (
            Resource::Partitions,
            keyed_topic.partitions,
            today_keys.partitions.partitions.ok(),
        ),
        (
            Resource::TaskManagers,
            arch.flink.task_managers,
            today_keys.flink.task_managers,
        ),
        (
            Resource::Brokers,
            arch.kafka.brokers,
            Some(plan.brokers.brokers),
        ),
        (
            Resource::ClickhouseShards,
            arch.clickhouse.shards,
            Some(plan.clickhouse.shards),
        ),
    ];
    let mut out: Vec<Shortfall> = Vec::new();
    for (resource, today, needed) in candidates {
        match needed {
            None if !out.iter().any(|s| s.resource == Resource::HotKey) => out.push(Shortfall {
                resource: Resource::HotKey,
                today,
                needed: None,
            }),
            Some(n) if n > today => out.push(Shortfall {
                resource,
                today,
                needed,
            }),
            _ => {}
        }
    }
    out
}

pub fn plan(
    plans: &Monthly<ByScenario<MonthPlan>>,
    strategies: &Monthly<ByScenario<ByStrategy<StrategyMonth>>>,
    growth: &Monthly<ByScenario<MonthLoad>>,
    arch: &Architecture,
    prices: &CostAssumptions,
    cost_today_per_month: f64,
) -> Rollout {
    let label_of = |m: u32| growth.get(m).base.label.clone();
    let months: Vec<u32> = plans.iter().map(|(m, _)| m).collect();

    let mut doing_nothing_fails = None;
    let mut first_shortfalls = Vec::new();
    let mut carries = Vec::new();
    for &m in &months {
        let today_keys = &strategies.get(m).base.customer_id;
        let short = shortfalls(&plans.get(m).base, today_keys, arch);
        if !short.is_empty() && doing_nothing_fails.is_none() {
            doing_nothing_fails = Some(label_of(m));
            first_shortfalls = short.clone();
        }
        carries.push((m, short.is_empty()));
    }

    let mut quarters: Vec<Quarter> = Vec::new();
    // Each quarter's fleet per scenario, beside `quarters`.
    let mut fleets: Vec<ByScenario<Fleet>> = Vec::new();
    for &m in &months {
        let label = label_of(m);
        let q = quarter_of(growth.get(m).base.calendar);
        let by = plans.get(m);
        let base = &by.base;
        let keyed = base.flink.vertices.iter().find(|v| v.keyed);
        let ok = carries.iter().any(|&(cm, c)| cm == m && c);
        let max_opt = |a: Option<u32>, b: Option<u32>| match (a, b) {
            (Some(x), Some(y)) => Some(x.max(y)),
            _ => None,
        };
        match quarters.last_mut().filter(|last| last.label == q) {
            Some(last) => {
                last.last_month = label;
                last.to_month = m;
                last.partitions = max_opt(last.partitions, Some(base.partitions_planned));
                last.keyed_subtasks =
                    max_opt(last.keyed_subtasks, keyed.and_then(|v| v.parallelism.ok()));
                last.shards = last.shards.max(base.clickhouse.shards);
                let fleet = fleets.last_mut().expect("one per quarter");
                *fleet = ByScenario::from_fn(|s| fleet.get(s).and(by.get(s)));
                last.cost_doing_nothing += cost_today_per_month;
                last.today_carries &= ok;
            }
            None => {
                fleets.push(ByScenario::from_fn(|s| Fleet::of(by.get(s))));
                quarters.push(Quarter {
                    label: q,
                    first_month: label.clone(),
                    last_month: label,
                    from_month: m,
                    to_month: m,
                    brokers: base.brokers.brokers,
                    partitions: Some(base.partitions_planned),
                    keyed_subtasks: keyed.and_then(|v| v.parallelism.ok()),
                    max_parallelism: keyed.map_or(0, |v| v.max_parallelism),
                    task_managers: base.flink.task_managers,
                    shards: base.clickhouse.shards,
                    clickhouse_nodes: base.clickhouse.nodes,
                    cost_low: None,
                    cost: None,
                    cost_high: None,
                    cost_doing_nothing: cost_today_per_month,
                    today_carries: ok,
                })
            }
        }
    }
    // The base fleet is the capacity each quarter puts in place.
    for (q, fleet) in quarters.iter_mut().zip(&fleets) {
        q.brokers = fleet.base.brokers;
        q.task_managers = fleet.base.task_managers;
        q.clickhouse_nodes = fleet.base.clickhouse_nodes;
        let months = q.to_month - q.from_month + 1;
        let price = |f: &Fleet| f.cost(months, arch, prices);
        q.cost_low = price(&fleet.low);
        q.cost = price(&fleet.base);
        q.cost_high = price(&fleet.high);
    }
    let total_cost = quarters.iter().map(|q| q.cost).sum::<Option<f64>>();
    let total_cost_doing_nothing = quarters.iter().map(|q| q.cost_doing_nothing).sum();
    Rollout {
        total_cost,
        total_cost_doing_nothing,
        increment_over_today: total_cost.map(|t| t - total_cost_doing_nothing),
        quarters,
        doing_nothing_fails,
        shortfalls: first_shortfalls,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::{Resource, quarter_of};
    use crate::inputs;
    use crate::inputs::forecast::CalendarMonth;
    use crate::model;

    #[test]
    fn quarters_fund_their_busiest_month_and_doing_nothing_fails_where_today_falls_short() {
        let mut inputs =
            inputs::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../data")).unwrap();
        let m = model::run(&inputs);
        let r = &m.rollout;
        let base: Vec<_> = m.plan.iter().map(|(_, p)| &p.base).collect();
        let months: u32 = r
            .quarters
            .iter()
            .map(|q| q.to_month - q.from_month + 1)
            .sum();
        assert_eq!(months as usize, base.len());
        // Capacity is bought by the quarter: 2027-Q1 funds 8 brokers,
        // 7 TaskManagers and 16 ClickHouse nodes (8 shards × 2 replicas) for
        // its three months, at data/'s prices:
        //   broker 368 + 12,000 GB × 0.08 = 1,328; node 561 + 8,000 × 0.08 = 1,201
        //   (8 × 1,328 + 7 × 140 + 16 × 1,201) × 3 = 30,820 × 3 = 92,460 USD
        //   (8 shards: March's 214,002 rows/s under the catch-up ceiling at
        //   the chosen insert batch).
        let q1 = &r.quarters[0];
        assert_eq!(
            (
                q1.label.as_str(),
                q1.brokers,
                q1.task_managers,
                q1.clickhouse_nodes
            ),
            ("2027-Q1", 8, Some(7), 16)
        );
        let prices = &inputs.assumptions.cost;
        assert_eq!(
            (
                prices.kafka_broker_per_month.value,
                prices.flink_task_manager_per_month.value,
                prices.clickhouse_replica_per_month.value,
                prices.storage_gb_per_month.value,
                inputs.architecture.kafka.disk_per_broker_gb,
                inputs.architecture.clickhouse.disk_per_replica_gb,
            ),
            (368.0, 140.0, 561.0, 0.08, 12_000.0, 8_000.0)
        );
        // Cross-zone traffic is billed by use: each month's own is added,
        // recomputed here from the months' average MB/s (both topics over 3
        // zones, RF 3, one consumer group; ClickHouse RF 2): 2/3 of produce,
        // consume, shuffle and sink cross, both Kafka followers and the
        // second ClickHouse replica's fetch; 730 h at 0.02 USD a GB crossed.
        let traffic: f64 = base
            .iter()
            .filter(|p| p.month <= 3)
            .map(|p| {
                let produced: f64 = p.topics.iter().map(|t| t.avg_mb_per_s).sum();
                let keyed = p.topics[0].avg_mb_per_s;
                let fetched = p.clickhouse.avg_rows_per_s * 40.0 / 1e6;
                let mb = produced * (2.0 / 3.0 + 2.0 + 2.0 / 3.0) + keyed * 4.0 / 3.0 + fetched;
                mb * 730.0 * 3600.0 / 1000.0 * 0.02
            })
            .sum();
        assert_eq!(
            inputs.assumptions.clickhouse.bytes_per_row_compressed.value,
            40.0
        );
        assert!((q1.cost.unwrap() - 92_460.0 - traffic).abs() < 1e-6 * traffic);
        // A quarter funds at least what its months need one by one, and the
        // year is its quarters.
        for q in &r.quarters {
            let needs: f64 = base
                .iter()
                .filter(|p| (q.from_month..=q.to_month).contains(&p.month))
                .map(|p| p.cost.total)
                .sum();
            assert!(q.cost.unwrap() >= needs - 1e-6, "{}", q.label);
        }
        let total = r
            .total_cost
            .expect("the committed plan carries every month");
        let by_quarter: f64 = r.quarters.iter().map(|q| q.cost.unwrap()).sum();
        assert!((total - by_quarter).abs() < 1e-6 * by_quarter);
        assert_eq!(
            r.increment_over_today,
            Some(total - r.total_cost_doing_nothing)
        );
        assert!((r.total_cost_doing_nothing - m.cost_today.total * base.len() as f64).abs() < 1e-6);
        // Every quarter holds the most any of its months needs.
        for q in &r.quarters {
            for p in base
                .iter()
                .filter(|p| (q.from_month..=q.to_month).contains(&p.month))
            {
                assert!(q.brokers >= p.brokers.brokers && q.shards >= p.clickhouse.shards);
            }
        }
        // The committed forecast outgrows today's footprint at once.
        assert!(r.doing_nothing_fails.is_some() && !r.shortfalls.is_empty());
        assert!(!r.quarters[0].today_carries);

        // A footprint large enough for everything, keyed by customer_id with
        // one modest customer, carries every quarter.
        inputs.architecture.kafka.brokers = 10_000;
        inputs.architecture.flink.task_managers = 10_000;
        inputs.architecture.clickhouse.shards = 10_000;
        for t in &mut inputs.architecture.kafka.topics {
            t.partitions = 30_000;
        }
        let big = model::run(&inputs).rollout;
        let hot_key = big
            .shortfalls
            .iter()
            .any(|s| s.resource == Resource::HotKey);
        // Only a key too hot for any partition count can still stop it.
        assert_eq!(big.doing_nothing_fails.is_some(), hot_key);
        assert!(
            big.shortfalls
                .iter()
                .all(|s| s.resource == Resource::HotKey)
        );
    }

    #[test]
    fn months_fall_into_calendar_quarters() {
        let q = |year, month| quarter_of(CalendarMonth { year, month });
        assert_eq!(q(2027, 1), "2027-Q1");
        assert_eq!(q(2027, 3), "2027-Q1");
        assert_eq!(q(2027, 4), "2027-Q2");
        assert_eq!(q(2027, 12), "2027-Q4");
    }
}
