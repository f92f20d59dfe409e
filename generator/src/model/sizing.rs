//! Sizing one month: what every month is sized against (the [`Basis`]: the
//! vertices as calibrated today, the merge-safe rate, the keys hashed once,
//! the plan-wide maxParallelism), each strategy's Kafka and keyed-vertex
//! needs, and the whole month's plan under the chosen strategy.
//!
//! The full run and the sensitivity analysis size months the same way, by
//! these functions, so a rerun at another assumption cannot drift from the plan.

use std::collections::BTreeMap;

use super::clickhouse::{self, MergeSafeRate};
use super::flink::{self, FlinkPlan, VertexCalibration};
use super::growth::{self, MonthLoad};
use super::index::{ByScenario, ByStrategy, Monthly};
use super::kafka::{self, PartitionLimits};
use super::strategy::{self, KeySet, Strategy};
use super::workload::Workload;
use super::{MonthPlan, StrategyMonth, SubKeyCount, TodayCheck, ceil_u32, cost, latency};
use crate::inputs::Inputs;

/// What every month is sized against.
pub struct Basis<'a> {
    pub inputs: &'a Inputs,
    pub workload: &'a Workload,
    /// The vertices as calibrated on production.
    pub vertices: Vec<VertexCalibration>,
    /// ClickHouse rows per event of the keyed topic, measured.
    pub clickhouse_rows_per_event: f64,
    pub merge_safe: MergeSafeRate,
    /// Every customer with its share of the events.
    pub customers: Vec<(i64, f64)>,
    pub customer_keys: KeySet,
    pub composite_keys: KeySet,
    /// The keyed vertex's maxParallelism, one for the whole plan.
    pub max_parallelism: u32,
}

impl<'a> Basis<'a> {
    pub fn new(
        inputs: &'a Inputs,
        workload: &'a Workload,
        growth: &Monthly<ByScenario<MonthLoad>>,
    ) -> Basis<'a> {
        let arch = &inputs.architecture;
        let a = &inputs.assumptions;
        let today = workload.topic(&arch.keyed_topic().name).mean_events_per_s;
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
        let keyed = vertices.iter().find(|v| v.keyed).expect("validated");
        // The widest even-spread need of any month sets the key groups once for the year.
        let widest = growth
            .flat()
            .map(|(_, _, g)| {
                ceil_u32(
                    g.peak_events_per_s * keyed.records_per_event
                        / (a.flink.target_utilization.value * keyed.capacity_per_s),
                )
            })
            .max()
            .unwrap_or(1);
        let max_parallelism = flink::plan_max_parallelism(keyed.max_parallelism_today, widest);
        let customers = inputs.keys.customers();
        Basis {
            inputs,
            workload,
            clickhouse_rows_per_event: workload.clickhouse.mean_rows_per_s / today,
            merge_safe: clickhouse::merge_safe_rate(
                &inputs.metrics.shards,
                a.clickhouse.merge_safe_max_parts.value,
            ),
            customer_keys: KeySet::customer_id(&customers),
            composite_keys: KeySet::composite(&customers, &inputs.keys.event_types),
            customers,
            vertices,
            max_parallelism,
        }
    }

    pub fn keyed(&self) -> &VertexCalibration {
        self.vertices.iter().find(|v| v.keyed).expect("validated")
    }

    fn flink_plan(&self) -> FlinkPlan<'_> {
        let arch = &self.inputs.architecture;
        FlinkPlan {
            vertices: &self.vertices,
            slots_per_task_manager: arch.flink.slots_per_task_manager,
            window_s: arch.flink.window_s,
            lateness_s: (arch.flink.watermark_out_of_orderness_ms + arch.flink.allowed_lateness_ms)
                / 1000.0,
            event_bytes: arch.keyed_topic().avg_event_bytes,
            max_parallelism: self.max_parallelism,
            a: &self.inputs.assumptions.flink,
        }
    }

    fn partition_limits(&self, load: &MonthLoad) -> PartitionLimits {
        kafka::limits(
            load.peak_events_per_s,
            self.inputs.architecture.keyed_topic().avg_event_bytes,
            self.vertices[0].capacity_per_s,
            &self.inputs.assumptions.kafka,
        )
    }

    /// Each hot customer's sub-key count in a month, and the per-key limit it follows.
    fn sub_keys(&self, load: &MonthLoad, limits: &PartitionLimits) -> (BTreeMap<i64, u32>, f64) {
        let limit = flink::sub_key_limit(
            self.keyed(),
            limits,
            self.inputs.architecture.keyed_topic().avg_event_bytes,
            &self.inputs.assumptions.flink,
        );
        (
            flink::sub_keys(&self.customers, load.peak_events_per_s, limit),
            limit,
        )
    }

    /// Every strategy in one month and scenario.
    pub fn size_strategies(&self, load: &MonthLoad) -> ByStrategy<StrategyMonth> {
        let limits = self.partition_limits(load);
        let sub = self.sub_keys(load, &limits);
        ByStrategy::from_fn(|s| self.size_with(load, s, &limits, &sub))
    }

    /// One strategy in one month and scenario.
    pub fn size_strategy(&self, load: &MonthLoad, s: Strategy) -> StrategyMonth {
        let limits = self.partition_limits(load);
        let sub = self.sub_keys(load, &limits);
        self.size_with(load, s, &limits, &sub)
    }

    fn size_with(
        &self,
        load: &MonthLoad,
        s: Strategy,
        limits: &PartitionLimits,
        (sub, per_key_limit): &(BTreeMap<i64, u32>, f64),
    ) -> StrategyMonth {
        let owned;
        let keys = match s {
            Strategy::CustomerId => &self.customer_keys,
            Strategy::Composite => &self.composite_keys,
            Strategy::SubKeys => {
                owned = KeySet::sub_keys(&self.customers, sub);
                &owned
            }
        };
        let partitions = kafka::fit_partitions(keys, limits);
        let flink = flink::size(
            &self.flink_plan(),
            s,
            keys,
            self.customers.len() as f64,
            load.peak_events_per_s,
        );
        let feasible = partitions.partitions.is_ok() && flink.task_managers.is_some();
        StrategyMonth {
            month: load.month,
            scenario: load.scenario,
            strategy: s,
            // Only the sub-key strategy splits customers.
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
            sub_key_limit_per_s: *per_key_limit,
            partitions,
            flink,
            feasible,
        }
    }

    /// The whole month under the chosen strategy: topics, brokers, ClickHouse,
    /// latency and cost.
    pub fn plan_month(&self, load: &MonthLoad, chosen: &StrategyMonth) -> MonthPlan {
        let arch = &self.inputs.architecture;
        let a = &self.inputs.assumptions;
        let topics =
            growth::topic_loads(load, self.workload, arch, chosen.partitions.partitions.ok());
        let brokers = kafka::brokers(&topics, &arch.kafka, &a.kafka);
        let clickhouse = clickhouse::size(
            load.avg_events_per_s * self.clickhouse_rows_per_event,
            load.peak_events_per_s * self.clickhouse_rows_per_event,
            &self.merge_safe,
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
    }

    /// Today's skew as the real partitioners predict it (keys by `customer_id`,
    /// today's partition count and parallelism).
    pub fn today_check(&self) -> TodayCheck {
        let keyed = self.keyed();
        let today_subtasks = strategy::subtask_shares(
            &self
                .customer_keys
                .key_group_shares(keyed.max_parallelism_today),
            keyed.parallelism_today,
        );
        let (hottest_subtask, hottest_subtask_share) = today_subtasks
            .iter()
            .copied()
            .enumerate()
            .fold(
                (0, 0.0),
                |best, (i, s)| if s > best.1 { (i, s) } else { best },
            );
        TodayCheck {
            predicted_hottest_partition_share: self
                .customer_keys
                .hottest_partition_share(self.inputs.architecture.keyed_topic().partitions),
            predicted_hottest_subtask: hottest_subtask as u32,
            predicted_hottest_subtask_share: hottest_subtask_share,
        }
    }
}
