//! The capacity model: plain functions over the typed inputs.
//!
//! Nothing here reads files or formats text. Every figure a document prints is
//! computed once here and carried to the renderers in [`Model`].
//!
//! The order ([`run`]): characterize today's workload → grow it by month →
//! size every stage under each partitioning strategy ([`sizing`]) → pick a
//! strategy by the stated rule ([`decision`]) → the plan is the sizing under
//! that strategy → what the plan means: SLOs, failures, the rollout by
//! quarter, sensitivity, and the check against the benchmark. Results are
//! indexed by month, scenario and strategy ([`index`]), never searched.

pub mod bench_plan;
pub mod bound;
pub mod clickhouse;
pub mod cost;
pub mod cross_zone;
pub mod decision;
pub mod engine_validation;
pub mod error_budget;
pub mod fault;
pub mod flink;
pub mod growth;
pub mod headroom;
pub mod index;
pub mod kafka;
mod known_keys;
pub mod latency;
pub mod operations;
pub mod people;
pub mod relabel;
pub mod rollout;
pub mod routing;
pub mod sensitivity;
pub mod shard_growth;
pub mod sizing;
pub mod slo;
pub mod storage_levers;
pub mod strategy;
pub mod task_managers;
pub mod validation;
pub mod workload;

#[cfg(test)]
mod properties;

use serde::Serialize;

use crate::inputs::{Inputs, Scenario};
use clickhouse::{ClickHouseSizing, MergeSafeRate};
use flink::{FlinkSizing, VertexCalibration};
pub use index::{ByScenario, ByStrategy, Monthly};
use kafka::{BrokerSizing, PartitionFit, TopicLoad};
use strategy::Strategy;

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
    /// Even an evenly spread load needs more than the search goes to
    /// (`limit`): a redesign, not a sizing.
    BeyondSearch { needed: u32, limit: u32 },
    /// The hottest partition alone is more than one source subtask reads.
    PartitionTooHot { partition_share: f64 },
}

/// Ceiling to a whole count (saturating: an unbounded need reads as `u32::MAX`).
pub fn ceil_u32(x: f64) -> u32 {
    x.ceil() as u32
}

/// A customer's share of a month's events.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerShare {
    pub customer: strategy::CustomerRef,
    pub share: f64,
}

/// A hot customer's sub-key count in one month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubKeyCount {
    pub customer: strategy::CustomerRef,
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

/// What stops a strategy fitting a month, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Misfit {
    /// `partitions`, or the job vertex whose parallelism has no fit.
    pub what: String,
    pub why: Infeasible,
    /// The records/s the part must carry at the month's peak, and what one
    /// partition or subtask may take (its limit at the target utilization).
    pub load_per_s: f64,
    pub limit_per_s: f64,
}

impl StrategyMonth {
    /// Why the month does not fit (`None`: it fits), the first part in the
    /// pipeline's order that has no count.
    pub fn misfit(&self) -> Option<Misfit> {
        if let Err(why) = self.partitions.partitions {
            let l = &self.partitions.limits;
            return Some(Misfit {
                what: "partitions".to_owned(),
                why,
                load_per_s: l.peak_events_per_s,
                // A partition's limit in events/s: the consumer's, or the
                // producer's MB/s at the month's bytes per event.
                limit_per_s: l.consumer_events_per_s.min(
                    l.partition_mb_per_s / l.peak_mb_per_s.max(f64::MIN_POSITIVE)
                        * l.peak_events_per_s,
                ),
            });
        }
        self.flink.vertices.iter().find_map(|v| {
            v.parallelism.as_ref().err().map(|&why| Misfit {
                what: v.name.clone(),
                why,
                load_per_s: v.records_in_per_s,
                limit_per_s: v.limit_per_s,
            })
        })
    }

    pub fn keyed(&self) -> &flink::VertexSizing {
        self.flink
            .vertices
            .iter()
            .find(|v| v.keyed)
            .expect("one keyed vertex")
    }
}

/// Today's skew as the real partitioners predict it from the key distribution
/// (keys by `customer_id`, today's partition count and parallelism), and how
/// far production's measurement is from it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TodayCheck {
    pub predicted_hottest_partition_share: f64,
    pub predicted_hottest_subtask: u32,
    pub predicted_hottest_subtask_share: f64,
    /// What production measured against that, as (measured − predicted) ÷
    /// predicted for the hottest partition and the hottest subtask.
    pub partition_error: f64,
    pub subtask_error: f64,
    /// The largest |measured − predicted| share of any partition, of any subtask.
    pub largest_partition_gap: f64,
    pub largest_subtask_gap: f64,
    /// Whether the keyed target utilization still stays under 100% busy
    /// when the hottest subtask carries that much more than predicted.
    pub headroom_covers_error: bool,
}

/// The plan for one month and scenario, under the chosen strategy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthPlan {
    pub month: u32,
    pub scenario: Scenario,
    pub topics: Vec<TopicLoad>,
    /// What the month needs of the keyed topic.
    pub partitions: PartitionFit,
    /// What the keyed topic has that month under the partition schedule.
    pub partitions_planned: u32,
    pub brokers: BrokerSizing,
    pub flink: FlinkSizing,
    pub clickhouse: ClickHouseSizing,
    pub sub_keys: Vec<SubKeyCount>,
    /// Events/s one key (or sub-key) may carry before it is split.
    pub sub_key_limit_per_s: f64,
    /// The month's heaviest customers, known and onboarded, heaviest first.
    pub heaviest_customers: Vec<CustomerShare>,
    pub latency: latency::LatencyBudget,
    /// The month's traffic between zones, flow by flow, under today's clients.
    pub cross_zone: cross_zone::CrossZone,
    /// What the month's fleet costs; a plan that does not carry the month
    /// (see `carried`) has no price, whatever these sum to.
    pub cost: cost::Cost,
    /// Whether the chosen strategy fits this month and scenario: when not,
    /// the figures are the last the search reached, not a plan to fund.
    pub carried: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Model {
    /// Today's workload, from the production metrics.
    pub workload: workload::Workload,
    /// Events/s by month and scenario.
    pub growth: Monthly<ByScenario<growth::MonthLoad>>,
    /// The vertices as calibrated on production.
    pub vertices: Vec<VertexCalibration>,
    /// ClickHouse rows per event of the keyed topic, measured.
    pub clickhouse_rows_per_event: f64,
    pub merge_safe: MergeSafeRate,
    /// The insert batch model, the sharding key, data already written as
    /// shards are added, and the batch lever.
    pub shard_growth: shard_growth::ShardGrowth,
    /// What the plan's operations take: cut-overs, failovers, a backfill, a zone.
    pub operations: operations::Operations,
    /// The plan in people: each quarter's changes and their engineer-weeks, and its gate.
    pub people: people::People,
    /// Reserved instances on the last month carried, as a lever.
    pub reserved_pricing: cost::ReservedPricing,
    /// How many relabellings of unknown customer ids a fit is checked in.
    pub relabelling: relabel::Relabelling,
    /// Every strategy, month and scenario.
    pub strategies: Monthly<ByScenario<ByStrategy<StrategyMonth>>>,
    pub decision: decision::Decision,
    /// The sizing under the chosen strategy.
    pub plan: Monthly<ByScenario<MonthPlan>>,
    /// The keyed topic's partitions by month under the plan's policy
    /// ([`kafka::PartitionPolicy::Once`]), per scenario.
    pub partition_schedule: ByScenario<kafka::PartitionSchedule>,
    /// The base scenario grown in steps instead: the alternative the plan weighs.
    pub partition_steps: kafka::PartitionSchedule,
    /// The partitioners' prediction for today's topology, beside what production measured.
    pub today: TodayCheck,
    /// First month of the base plan that needs more partitions than the keyed topic has today.
    pub kafka_partitions_exhausted_month: Option<u32>,
    /// The four SLOs, against the base plan's last month.
    pub slos: Vec<slo::Slo>,
    /// What the base plan's fleet carries, month by month (months it carries).
    pub headroom: Vec<headroom::MonthHeadroom>,
    /// Today's footprint per month: the cost of doing nothing.
    pub cost_today: cost::Cost,
    /// Today's cross-zone traffic, at the means production measured.
    pub cross_zone_today: cross_zone::CrossZone,
    /// Today's job on today's TaskManagers at today's peak: the vCPUs it
    /// keeps busy and what the plan's rules would give it.
    pub fleet_today: task_managers::TaskManagerFleet,
    /// The month of the plan the prototype replays (`data/bench/plan.tsv`).
    pub bench_plan: Option<crate::inputs::bench_plan::BenchPlan>,
    /// Predicted vs measured on the prototype, when benchmark results are committed.
    pub validation: Option<validation::Validation>,
    /// Predicted vs measured on the real Flink 1.18 job, when its results are committed.
    pub flink_validation: Option<engine_validation::FlinkValidation>,
    /// The ClickHouse experiment against the model, when its results are committed.
    pub clickhouse_validation: Option<engine_validation::ClickHouseValidation>,
    /// The last month of the base plan under each uncertain assumption's range.
    pub sensitivity: sensitivity::Sensitivity,
    /// The last month of the base plan the chosen strategy carries (the
    /// plan's last month when it carries them all). Past it the plan's
    /// figures describe a pipeline that does not keep up: the failure modes
    /// and the headline figures of the reasons are taken here.
    pub last_carried_month: u32,
    /// Failure modes of the base plan in `last_carried_month`.
    pub fault: fault::FaultTolerance,
    /// The lag SLOs' error budget against failures, deploys, rescales and
    /// partition increases, in `last_carried_month`.
    pub error_budget: error_budget::ErrorBudget,
    /// The base plan by quarter, against doing nothing.
    pub rollout: rollout::Rollout,
    /// The Kafka storage levers weighed on the last month the plan carries.
    pub storage_levers: storage_levers::StorageLevers,
    /// Cross-zone traffic on the last month the plan carries, with the
    /// client levers that keep it in its zone.
    pub cross_zone: cross_zone::CrossZonePlan,
}

pub fn run(inputs: &Inputs) -> Model {
    let workload = workload::characterize(inputs);
    let arch = &inputs.architecture;
    let a = &inputs.assumptions;
    let keyed_topic = arch.keyed_topic();
    // Peaks grow with the mean: the forecast keeps today's measured peak-to-mean ratio.
    let growth = growth::monthly_load(
        &inputs.forecast,
        workload.topic(&keyed_topic.name).peak_to_mean,
    );
    let mut basis = sizing::Basis::new(inputs, &workload, &growth);
    for s in Strategy::ALL {
        basis.settle_max_parallelism(s, &growth);
    }
    let relabelling = basis.relabelling;
    // The documents show the spread over the relabellings for the base
    // scenario's last month: only its searches walk past their choice.
    let last_month = growth.months();
    let strategies = growth.par_map(|month, scenario, load| {
        let walk = if month == last_month && scenario == Scenario::Base {
            relabel::Walk::EveryDraw
        } else {
            relabel::Walk::ToChoice
        };
        basis.size_strategies(load, walk)
    });
    let decision = decision::decide(
        &strategies,
        a.decision.max_parallelism_penalty.value,
        a.latency.buffer_timeout_ms.value,
    );
    let partition_schedule = ByScenario::from_fn(|s| {
        basis.partition_schedule(
            &growth,
            &strategies,
            decision.chosen,
            s,
            kafka::PartitionPolicy::Once,
        )
    });
    let partition_steps = basis.partition_schedule(
        &growth,
        &strategies,
        decision.chosen,
        Scenario::Base,
        kafka::PartitionPolicy::Steps,
    );
    let last_carried_month = decision
        .verdicts
        .iter()
        .find(|v| v.strategy == decision.chosen)
        .and_then(|v| v.first_infeasible_month)
        .map_or(growth.months(), |m| m.saturating_sub(1).max(1));
    // The checkpoint interval is chosen once, with the deduplication window,
    // on the chosen strategy's last carried month (its widest writers).
    let checkpoint = fault::choose_checkpoint_interval(
        &strategies
            .get(last_carried_month)
            .base
            .get(decision.chosen)
            .flink,
        arch,
        a,
    );
    basis.checkpoint_interval_s = checkpoint.interval_s;
    let plan = growth.par_map(|m, s, load| {
        basis.plan_month(
            load,
            strategies.get(m).get(s).get(decision.chosen),
            partition_schedule.get(s).counts[(m - 1) as usize],
        )
    });
    let kafka_partitions_exhausted_month = plan
        .iter()
        .find(|(_, p)| {
            p.base
                .partitions
                .partitions
                .map_or(true, |n| n > keyed_topic.partitions)
        })
        .map(|(m, _)| m);
    // The SLOs and the sensitivity stand on the last month the plan carries:
    // past it, latencies and costs are those of a fleet that does not fit.
    let last = &plan.get(last_carried_month).base;
    let slos = slo::slos(
        &a.slo,
        last.latency.ingest_p99_ms,
        last.latency.processing_p99_ms,
        last.latency
            .stages
            .iter()
            .find(|s| s.stage == latency::Stage::Query)
            .map_or(a.latency.query_p99_ms.value, |s| s.p99_ms),
    );
    let fault = fault::analyse(
        &plan.get(last_carried_month).base,
        arch,
        &checkpoint,
        &a.fault,
    );
    let error_budget = error_budget::weigh(&plan, last_carried_month, &fault, &slos, arch, a);
    let cross_zone_today = cross_zone::month(
        &cross_zone::Traffic::today(&workload, arch),
        cross_zone::Clients::of(arch),
        arch,
        a,
    );
    let cost_today = cost::today(arch, &a.cost, cross_zone_today.usd_per_month);
    let headroom = headroom::by_month(&plan, &growth, Scenario::Base);
    let fleet_today = basis.fleet_today();
    let rollout = rollout::plan(&plan, &strategies, &growth, arch, &a.cost, cost_today.total);
    let first = &plan.get(1).base;
    let people = people::plan(
        &rollout,
        &people::Changes {
            chosen: decision.chosen,
            max_parallelism_changes: first
                .flink
                .vertices
                .iter()
                .any(|v| v.keyed && v.max_parallelism != arch.keyed_operator().max_parallelism),
            increases: &partition_schedule.base.increases,
            batch_changes: first.clickhouse.rows_per_part != basis.batch_model.today_rows_per_part,
        },
        &growth,
        &inputs.forecast.onboardings,
        &inputs.effort,
    );
    let settled = (
        basis.keyed_fingerprint(),
        *basis.max_parallelism.get(decision.chosen),
    );
    let storage_levers = storage_levers::weigh(last, &arch.kafka, a);
    let traffic_of = |p: &MonthPlan| {
        cross_zone::Traffic::of(&p.topics, &keyed_topic.name, p.clickhouse.avg_rows_per_s)
    };
    let cross_zone = cross_zone::weigh(
        last_carried_month,
        &traffic_of(last),
        // A month past the last carried has no fleet and no price.
        &plan
            .iter()
            .take_while(|&(m, _)| m <= last_carried_month)
            .map(|(_, p)| traffic_of(&p.base))
            .collect::<Vec<_>>(),
        arch,
        a,
    );
    let sensitivity = sensitivity::analyse(
        &basis,
        inputs,
        &workload,
        last,
        strategies
            .get(last_carried_month)
            .get(Scenario::Base)
            .get(decision.chosen),
        decision.chosen,
        settled,
    );
    let shard_growth = {
        let months: Vec<(f64, u32)> =
            std::iter::once((workload.clickhouse.mean_rows_per_s, arch.clickhouse.shards))
                .chain(
                    plan.iter()
                        .take_while(|(m, _)| *m <= last_carried_month)
                        .map(|(_, p)| (p.base.clickhouse.avg_rows_per_s, p.base.clickhouse.shards)),
                )
                .collect();
        shard_growth::ShardGrowth {
            batch_model: basis.batch_model,
            sharding_key: shard_growth::customer_sharding_key(last),
            oldest_shard: shard_growth::oldest_shard(&months, arch, a),
            larger_batch: shard_growth::batch_lever(
                &last.clickhouse,
                &basis.batch_model,
                2.0,
                arch,
                a,
            ),
        }
    };
    let reserved_pricing = cost::reserved(
        last.brokers.brokers,
        last.flink.task_managers.unwrap_or(0),
        last.clickhouse.nodes,
        &a.cost,
    );
    let operations = operations::plan(
        last,
        partition_schedule.base.increases.first().cloned(),
        &fault,
        &operations::Job {
            checkpoint_interval_s: checkpoint.interval_s,
            buffer_timeout_ms: a.latency.buffer_timeout_ms.value,
            needs_merge_stage: decision.chosen.needs_merge_stage(),
            slots_per_task_manager: task_managers::Shape::from_assumptions(&a.flink).slots,
        },
        arch,
        &a.fault,
    );
    let bench_plan = bench_plan::of(&basis, &plan, decision.chosen);
    let validation = validation(inputs, bench_plan.as_ref());
    let today = basis.today_check();
    let sizing::Basis {
        vertices,
        clickhouse_rows_per_event,
        merge_safe,
        ..
    } = basis;
    let mut model = Model {
        workload,
        growth,
        vertices,
        clickhouse_rows_per_event,
        merge_safe,
        shard_growth,
        operations,
        people,
        reserved_pricing,
        relabelling,
        strategies,
        decision,
        plan,
        partition_schedule,
        partition_steps,
        today,
        kafka_partitions_exhausted_month,
        slos,
        headroom,
        cost_today,
        cross_zone_today,
        fleet_today,
        bench_plan,
        validation,
        flink_validation: flink_validation(inputs),
        sensitivity,
        last_carried_month,
        fault,
        error_budget,
        rollout,
        storage_levers,
        cross_zone,
        clickhouse_validation: None,
    };
    // The experiment's plan reads the finished model (its merge-safe rate and
    // the exactly-once replay), so it is compared last.
    model.clickhouse_validation = inputs.clickhouse.as_ref().map(|r| {
        engine_validation::clickhouse_validation(
            r,
            &engine_validation::clickhouse_plan(inputs, &model),
        )
    });
    model
}

/// The model against the committed real Flink run, when there is one.
fn flink_validation(inputs: &Inputs) -> Option<engine_validation::FlinkValidation> {
    let (results, scenarios) = inputs.flink.as_ref().zip(inputs.scenarios.as_ref())?;
    let now = engine_validation::job_plan_of(
        &inputs.architecture,
        &inputs.metrics,
        &inputs.keys,
        scenarios,
    );
    Some(engine_validation::flink_validation(
        results,
        &now,
        &inputs.keys,
    ))
}

/// The model against the committed benchmark, when there is one.
fn validation(
    inputs: &Inputs,
    plan: Option<&crate::inputs::bench_plan::BenchPlan>,
) -> Option<validation::Validation> {
    let (bench, scenarios) = inputs.bench.as_ref().zip(inputs.scenarios.as_ref())?;
    let keyed_op = inputs.architecture.keyed_operator();
    let pooled = inputs
        .metrics
        .pooled_rate(&keyed_op.name, keyed_op.parallelism);
    let now = validation::Current {
        keyed_operator: &keyed_op.name,
        parallelism: keyed_op.parallelism,
        max_parallelism: keyed_op.max_parallelism,
        service_time_us: pooled.service_time_us(),
        service_time_samples: pooled.samples,
        scenarios,
        plan,
    };
    Some(validation::validate(
        bench,
        &now,
        inputs.assumptions.flink.target_utilization.value,
    ))
}
