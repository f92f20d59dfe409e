//! The capacity model: plain functions over the typed inputs.
//!
//! Nothing here reads files or formats text. Every figure a document prints is
//! computed once here and carried to the renderers in [`Model`].
//!
//! The order: characterize today's workload → grow it by month → size every
//! stage under each partitioning strategy → pick a strategy by the stated rule
//! → the plan is the sizing under that strategy.

pub mod clickhouse;
pub mod cost;
pub mod decision;
pub mod fault;
pub mod flink;
pub mod growth;
pub mod kafka;
pub mod latency;
pub mod rollout;
pub mod routing;
pub mod sensitivity;
pub mod slo;
pub mod strategy;
pub mod validation;
pub mod workload;

#[cfg(test)]
mod properties;

use serde::Serialize;

use crate::inputs::{Inputs, Scenario};
use clickhouse::{ClickHouseSizing, MergeSafeRate};
use flink::{FlinkPlan, FlinkSizing, VertexCalibration};
use kafka::{BrokerSizing, PartitionFit, TopicLoad};
use strategy::{KeySet, Strategy};

/// Why no count of partitions or subtasks can carry a month's load.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Infeasible {
    /// One key alone is over the limit: it lands on one partition or subtask
    /// whatever the count, and only splitting the key helps.
    KeyTooHot { key_share: f64 },
    /// Every key fits, but the hash piles too many onto one partition or key
    /// group at every count searched.
    HashCollisions,
}

/// Ceiling to a whole count (saturating: an unbounded need reads as `u32::MAX`).
pub fn ceil_u32(x: f64) -> u32 {
    x.ceil() as u32
}

/// A hot customer's sub-key count in one month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubKeyCount {
    pub customer_id: i64,
    pub sub_keys: u32,
}

/// One strategy in one month and scenario: what it takes of Kafka and of the keyed vertex.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StrategyMonth {
    pub month: u32,
    pub scenario: Scenario,
    pub strategy: Strategy,
    pub sub_keys: Vec<SubKeyCount>,
    /// Events/s one key (or sub-key) may carry before it is split.
    pub sub_key_limit_per_s: f64,
    pub partitions: PartitionFit,
    pub flink: FlinkSizing,
    pub feasible: bool,
}

impl StrategyMonth {
    pub fn keyed(&self) -> &flink::VertexSizing {
        self.flink
            .vertices
            .iter()
            .find(|v| v.keyed)
            .expect("one keyed vertex")
    }
}

/// Today's skew as the real partitioners predict it from the key distribution
/// (keys by `customer_id`, today's partition count and parallelism).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TodayCheck {
    pub predicted_hottest_partition_share: f64,
    pub predicted_hottest_subtask: u32,
    pub predicted_hottest_subtask_share: f64,
}

/// The plan for one month and scenario, under the chosen strategy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthPlan {
    pub month: u32,
    pub scenario: Scenario,
    pub topics: Vec<TopicLoad>,
    pub partitions: PartitionFit,
    pub brokers: BrokerSizing,
    pub flink: FlinkSizing,
    pub clickhouse: ClickHouseSizing,
    pub sub_keys: Vec<SubKeyCount>,
    /// Events/s one key (or sub-key) may carry before it is split.
    pub sub_key_limit_per_s: f64,
    pub latency: latency::LatencyBudget,
    pub cost: cost::Cost,
}

/// Restricts a run to one month, scenario and strategy (the sensitivity analysis).
#[derive(Debug, Clone, Copy)]
pub struct Only {
    pub month: u32,
    pub scenario: Scenario,
    pub strategy: Strategy,
}

#[derive(Debug, Clone, Serialize)]
pub struct Model {
    /// Today's workload, from the production metrics.
    pub workload: workload::Workload,
    /// Events/s by month and scenario.
    pub growth: Vec<growth::MonthLoad>,
    /// The vertices as calibrated on production.
    pub vertices: Vec<VertexCalibration>,
    /// ClickHouse rows per event of the keyed topic, measured.
    pub clickhouse_rows_per_event: f64,
    pub merge_safe: MergeSafeRate,
    /// Every strategy, month and scenario.
    pub strategies: Vec<StrategyMonth>,
    pub decision: decision::Decision,
    /// The sizing under the chosen strategy.
    pub plan: Vec<MonthPlan>,
    /// The partitioners' prediction for today's topology, beside what production measured.
    pub today: TodayCheck,
    /// First month of the base plan that needs more partitions than the keyed topic has today.
    pub kafka_partitions_exhausted_month: Option<u32>,
    /// The four SLOs, against the base plan's last month.
    pub slos: Vec<slo::Slo>,
    /// Today's footprint per month: the cost of doing nothing.
    pub cost_today: cost::Cost,
    /// Predicted vs measured on the prototype, when benchmark results are committed.
    pub validation: Option<validation::Validation>,
    /// The last month of the base plan under each uncertain assumption's range.
    pub sensitivity: Option<sensitivity::Sensitivity>,
    /// Failure modes of the base plan's last month.
    pub fault: fault::FaultTolerance,
    /// The base plan by quarter, against doing nothing.
    pub rollout: rollout::Rollout,
}

pub fn run(inputs: &Inputs) -> Model {
    let workload = workload::characterize(inputs);
    let mut model = run_with(inputs, workload, None);
    let last = model
        .plan
        .iter()
        .filter(|p| p.scenario == Scenario::Base)
        .max_by_key(|p| p.month)
        .expect("12 months")
        .clone();
    model.sensitivity = Some(sensitivity::analyse(
        inputs,
        &model.workload,
        &last,
        model.decision.chosen,
    ));
    model
}

/// The model over a characterized workload, for every month or only one.
pub fn run_with(inputs: &Inputs, workload: workload::Workload, only: Option<Only>) -> Model {
    let arch = &inputs.architecture;
    let a = &inputs.assumptions;
    let topic = arch.keyed_topic();
    let keyed_profile = workload.topic(&topic.name);
    // Peaks grow with the mean: the forecast keeps today's measured peak-to-mean ratio.
    let growth = growth::monthly_load(&inputs.forecast, keyed_profile.peak_to_mean);
    let today = keyed_profile.mean_events_per_s;

    let vertices: Vec<VertexCalibration> = arch
        .flink
        .operators
        .iter()
        .zip(&workload.operators)
        .map(|(op, profile)| VertexCalibration {
            name: op.name.clone(),
            keyed: op.keyed,
            records_per_event: profile.mean_records_in_per_s / today,
            capacity_per_s: profile.capacity_per_s,
            parallelism_today: op.parallelism,
            max_parallelism_today: op.max_parallelism,
        })
        .collect();
    let clickhouse_rows_per_event = workload.clickhouse.mean_rows_per_s / today;
    let merge_safe = clickhouse::merge_safe_rate(
        &inputs.metrics.shards,
        a.clickhouse.merge_safe_max_parts.value,
    );

    let customers = inputs.keys.customers();
    let customer_keys = KeySet::customer_id(&customers);
    let composite_keys = KeySet::composite(&customers, &inputs.keys.event_types);
    let keyed = vertices.iter().find(|v| v.keyed).expect("validated");
    let today_subtasks = strategy::subtask_shares(
        &customer_keys.key_group_shares(keyed.max_parallelism_today),
        keyed.parallelism_today,
    );
    let (hottest_subtask, hottest_subtask_share) =
        today_subtasks
            .iter()
            .copied()
            .enumerate()
            .fold(
                (0, 0.0),
                |best, (i, s)| if s > best.1 { (i, s) } else { best },
            );
    let today_check = TodayCheck {
        predicted_hottest_partition_share: customer_keys.hottest_partition_share(topic.partitions),
        predicted_hottest_subtask: hottest_subtask as u32,
        predicted_hottest_subtask_share: hottest_subtask_share,
    };
    let source = &vertices[0];
    let plan_inputs = FlinkPlan {
        vertices: &vertices,
        slots_per_task_manager: arch.flink.slots_per_task_manager,
        window_s: arch.flink.window_s,
        lateness_s: (arch.flink.watermark_out_of_orderness_ms + arch.flink.allowed_lateness_ms)
            / 1000.0,
        event_bytes: topic.avg_event_bytes,
        max_parallelism: flink::plan_max_parallelism(
            keyed.max_parallelism_today,
            growth
                .iter()
                .map(|g| {
                    ceil_u32(
                        g.peak_events_per_s * keyed.records_per_event
                            / (a.flink.target_utilization.value * keyed.capacity_per_s),
                    )
                })
                .max()
                .unwrap_or(1),
        ),
        a: &a.flink,
    };

    let in_scope = |month: u32, scenario: Scenario| {
        only.is_none_or(|o| (o.month, o.scenario) == (month, scenario))
    };
    let mut strategies = Vec::new();
    for load in growth.iter().filter(|g| in_scope(g.month, g.scenario)) {
        let limits = kafka::limits(
            load.peak_events_per_s,
            topic.avg_event_bytes,
            source.capacity_per_s,
            &a.kafka,
        );
        // One sub-key may carry `fraction` of what a subtask or a partition may take.
        let f = a.flink.sub_key_max_subtask_fraction.value;
        let per_key_limit = f
            * (a.flink.target_utilization.value * keyed.capacity_per_s / keyed.records_per_event)
                .min(limits.consumer_events_per_s)
                .min(limits.partition_mb_per_s * kafka::BYTES_PER_MB / topic.avg_event_bytes);
        // The sub-keys a month needs; only the sub-key strategy uses them.
        let sub = flink::sub_keys(&customers, load.peak_events_per_s, per_key_limit);
        for s in Strategy::ALL {
            if only.is_some_and(|o| o.strategy != s) {
                continue;
            }
            let owned;
            let keys = match s {
                Strategy::CustomerId => &customer_keys,
                Strategy::Composite => &composite_keys,
                Strategy::SubKeys => {
                    owned = KeySet::sub_keys(&customers, &sub);
                    &owned
                }
            };
            let partitions = kafka::fit_partitions(keys, &limits);
            let flink = flink::size(
                &plan_inputs,
                s,
                keys,
                customers.len() as f64,
                load.peak_events_per_s,
            );
            let feasible = partitions.partitions.is_ok() && flink.task_managers.is_some();
            strategies.push(StrategyMonth {
                month: load.month,
                scenario: load.scenario,
                strategy: s,
                sub_keys: if s == Strategy::SubKeys {
                    sub.iter()
                        .map(|(&customer_id, &sub_keys)| SubKeyCount {
                            customer_id,
                            sub_keys,
                        })
                        .collect()
                } else {
                    Vec::new()
                },
                sub_key_limit_per_s: per_key_limit,
                partitions,
                flink,
                feasible,
            });
        }
    }

    let mut decision = decision::decide(
        &strategies,
        a.decision.max_parallelism_penalty.value,
        a.latency.buffer_timeout_ms.value,
    );
    if let Some(o) = only {
        decision.chosen = o.strategy;
    }
    let plan: Vec<MonthPlan> = growth
        .iter()
        .filter(|g| in_scope(g.month, g.scenario))
        .map(|load| {
            let chosen = strategies
                .iter()
                .find(|s| {
                    (s.month, s.scenario, s.strategy)
                        == (load.month, load.scenario, decision.chosen)
                })
                .expect("every strategy is sized for every month");
            let topics: Vec<TopicLoad> = arch
                .kafka
                .topics
                .iter()
                .map(|t| {
                    let profile = workload.topic(&t.name);
                    // Other topics grow in step with the keyed one.
                    let ratio = profile.mean_events_per_s / today;
                    let avg = load.avg_events_per_s * ratio;
                    let peak = avg * profile.peak_to_mean;
                    let partitions = if t.name == topic.name {
                        chosen.partitions.partitions.unwrap_or(t.partitions)
                    } else {
                        t.partitions
                    };
                    TopicLoad {
                        topic: t.name.clone(),
                        avg_events_per_s: avg,
                        peak_events_per_s: peak,
                        avg_mb_per_s: avg * t.avg_event_bytes / kafka::BYTES_PER_MB,
                        peak_mb_per_s: peak * t.avg_event_bytes / kafka::BYTES_PER_MB,
                        partitions,
                        replication_factor: t.replication_factor,
                        retention_hours: t.retention_hours,
                    }
                })
                .collect();
            let brokers = kafka::brokers(&topics, &arch.kafka, &a.kafka);
            let clickhouse = clickhouse::size(
                load.avg_events_per_s * clickhouse_rows_per_event,
                load.peak_events_per_s * clickhouse_rows_per_event,
                &merge_safe,
                &arch.clickhouse,
                &a.clickhouse,
            );
            let latency = latency::budget(
                &chosen.flink,
                chosen.strategy.needs_merge_stage(),
                &clickhouse,
                &arch.flink,
                &a.latency,
            );
            let cost = cost::monthly(
                brokers.brokers,
                chosen.flink.task_managers,
                &clickhouse,
                arch,
                &a.cost,
            );
            MonthPlan {
                month: load.month,
                scenario: load.scenario,
                topics,
                partitions: chosen.partitions.clone(),
                brokers,
                flink: chosen.flink.clone(),
                clickhouse,
                sub_keys: chosen.sub_keys.clone(),
                sub_key_limit_per_s: chosen.sub_key_limit_per_s,
                latency,
                cost,
            }
        })
        .collect();
    let kafka_partitions_exhausted_month = plan
        .iter()
        .filter(|p| p.scenario == Scenario::Base)
        .filter(|p| {
            p.partitions
                .partitions
                .map_or(true, |n| n > topic.partitions)
        })
        .map(|p| p.month)
        .min();
    let last = plan
        .iter()
        .filter(|p| p.scenario == Scenario::Base)
        .max_by_key(|p| p.month)
        .expect("the base scenario is planned");
    let slos = slo::slos(
        &a.slo,
        last.latency.ingest_p99_ms,
        last.latency.processing_p99_ms,
        a.latency.query_p99_ms.value,
    );
    let fault = fault::analyse(last, arch, &merge_safe, &a.fault);
    let cost_today = cost::today(arch, &a.cost);
    let labels: Vec<(u32, String)> = growth
        .iter()
        .filter(|g| g.scenario == Scenario::Base)
        .map(|g| (g.month, g.label.clone()))
        .collect();
    // A restricted run (the sensitivity analysis) has neither the other months
    // nor today's keying to compare with: it has no rollout.
    let rollout = if only.is_none() {
        rollout::plan(&plan, &strategies, &labels, arch, cost_today.total)
    } else {
        rollout::Rollout::default()
    };
    let validation = inputs.bench.as_ref().map(|b| {
        validation::validate(
            b,
            &inputs.keys,
            keyed.capacity_per_s,
            a.flink.target_utilization.value,
        )
    });
    Model {
        validation,
        slos,
        cost_today,
        sensitivity: None,
        fault,
        rollout,
        workload,
        growth,
        vertices,
        clickhouse_rows_per_event,
        merge_safe,
        strategies,
        decision,
        plan,
        today: today_check,
        kafka_partitions_exhausted_month,
    }
}
