//! Sizing one month: what every month is sized against (the [`Basis`]: the
//! vertices as calibrated today, the merge-safe rate, the keys hashed once,
//! the plan-wide maxParallelism), each strategy's Kafka and keyed-vertex
//! needs, and the whole month's plan under the chosen strategy.
//!
//! The full run and the sensitivity analysis size months the same way, by
//! these functions, so a rerun at another assumption cannot drift from the plan.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::clickhouse::{self, MergeSafeRate};
use super::flink::{self, FlinkPlan, VertexCalibration};
use super::growth::{self, MonthLoad};
use super::index::{ByScenario, ByStrategy, Monthly};
use super::kafka::{self, PartitionIncrease, PartitionLimits, PartitionPolicy, PartitionSchedule};
use super::strategy::{self, KeySet, Strategy};
use super::workload::Workload;
use super::{MonthPlan, StrategyMonth, SubKeyCount, TodayCheck, ceil_u32, cost, latency};
use crate::inputs::{Inputs, Scenario};

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
    /// The keyed vertex's maxParallelism for each strategy, one for the
    /// whole plan (changing it rewrites the keyed state: see
    /// [`flink::plan_max_parallelism`]).
    pub max_parallelism: ByStrategy<u32>,
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
        // A first guess: the widest even-spread need of any month; skew can
        // only need more subtasks, which `settle_max_parallelism` adds.
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
        let first_guess = flink::plan_max_parallelism(keyed.max_parallelism_today, widest);
        let customers = inputs.keys.customers();
        Basis {
            inputs,
            workload,
            clickhouse_rows_per_event: workload.clickhouse.mean_rows_per_s / today,
            merge_safe: inputs
                .metrics
                .merge_safe_rate(a.clickhouse.merge_safe_max_parts.value),
            customer_keys: KeySet::customer_id(&customers),
            composite_keys: KeySet::composite(&customers, &inputs.keys.event_types),
            customers,
            vertices,
            max_parallelism: ByStrategy::from_fn(|_| first_guess),
        }
    }

    /// Applies the plan's rule to the subtasks the plan actually needs: the
    /// widest month of any scenario must get at least
    /// [`flink::MIN_KEY_GROUPS_PER_SUBTASK`] key groups per subtask. More key
    /// groups can change the subtasks a month needs (the hash spreads them
    /// anew), so the check is repeated until it holds; `maxParallelism` only
    /// grows and is capped, so this ends.
    pub fn settle_max_parallelism(&mut self, s: Strategy, growth: &Monthly<ByScenario<MonthLoad>>) {
        let today = self.keyed().max_parallelism_today;
        loop {
            let widest = growth
                .flat()
                .filter_map(|(_, _, load)| {
                    let sized = self.size_strategy(load, s);
                    sized.keyed().parallelism.as_ref().ok().copied()
                })
                .max()
                .unwrap_or(1);
            let current = *self.max_parallelism.get(s);
            let needed = flink::plan_max_parallelism(today, widest).max(current);
            if needed == current {
                return;
            }
            self.max_parallelism = ByStrategy::from_fn(|t| {
                if t == s {
                    needed
                } else {
                    *self.max_parallelism.get(t)
                }
            });
        }
    }

    pub fn keyed(&self) -> &VertexCalibration {
        self.vertices.iter().find(|v| v.keyed).expect("validated")
    }

    fn flink_plan(&self, s: Strategy) -> FlinkPlan<'_> {
        let arch = &self.inputs.architecture;
        FlinkPlan {
            vertices: &self.vertices,
            slots_per_task_manager: arch.flink.slots_per_task_manager,
            task_managers_today: arch.flink.task_managers,
            window_s: arch.flink.window_s,
            lateness_s: (arch.flink.watermark_out_of_orderness_ms + arch.flink.allowed_lateness_ms)
                / 1000.0,
            event_bytes: arch.keyed_topic().avg_event_bytes,
            max_parallelism: *self.max_parallelism.get(s),
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
        let keyed_topic = self.inputs.architecture.keyed_topic();
        let partition_shares = keys.partition_shares(
            partitions
                .partitions
                .as_ref()
                .map_or(keyed_topic.partitions, |&n| n),
        );
        let flink = flink::size(
            &self.flink_plan(s),
            s,
            keys,
            &flink::SourceSplits {
                topic: &keyed_topic.name,
                partition_shares: &partition_shares,
            },
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
    /// `partitions`: the keyed topic's count that month under the partition
    /// schedule (at least what the month needs, when anything fits).
    pub fn plan_month(
        &self,
        load: &MonthLoad,
        chosen: &StrategyMonth,
        partitions: u32,
    ) -> MonthPlan {
        let arch = &self.inputs.architecture;
        let a = &self.inputs.assumptions;
        // The source reads the scheduled count, which is more than the month
        // needs once the year's count is created: its readers are dealt those.
        let flink = if chosen.partitions.partitions.as_ref().ok() == Some(&partitions) {
            chosen.flink.clone()
        } else {
            let keys = self.keys_for(load, chosen.strategy);
            flink::size(
                &self.flink_plan(chosen.strategy),
                chosen.strategy,
                &keys,
                &flink::SourceSplits {
                    topic: &arch.keyed_topic().name,
                    partition_shares: &keys.partition_shares(partitions),
                },
                self.customers.len() as f64,
                load.peak_events_per_s,
            )
        };
        let topics = growth::topic_loads(load, self.workload, arch, Some(partitions));
        let brokers = kafka::brokers(&topics, &arch.kafka, &a.kafka);
        let clickhouse = clickhouse::size(
            load.avg_events_per_s * self.clickhouse_rows_per_event,
            load.peak_events_per_s * self.clickhouse_rows_per_event,
            &self.merge_safe,
            &arch.clickhouse,
            &a.clickhouse,
        );
        let latency = latency::budget(
            &flink,
            chosen.strategy.needs_merge_stage(),
            &clickhouse,
            &arch.flink,
            &a.latency,
        );
        let cost = cost::monthly(
            brokers.brokers,
            flink.task_managers,
            &clickhouse,
            arch,
            &a.cost,
        );
        MonthPlan {
            month: load.month,
            scenario: load.scenario,
            topics,
            partitions: chosen.partitions.clone(),
            partitions_planned: partitions,
            brokers,
            flink,
            clickhouse,
            sub_keys: chosen.sub_keys.clone(),
            sub_key_limit_per_s: chosen.sub_key_limit_per_s,
            latency,
            cost,
        }
    }

    /// The keys of strategy `s` in a month (the sub-keys depend on its load).
    pub fn keys_for(&self, load: &MonthLoad, s: Strategy) -> Cow<'_, KeySet> {
        match s {
            Strategy::CustomerId => Cow::Borrowed(&self.customer_keys),
            Strategy::Composite => Cow::Borrowed(&self.composite_keys),
            Strategy::SubKeys => {
                let limits = self.partition_limits(load);
                let (sub, _) = self.sub_keys(load, &limits);
                Cow::Owned(KeySet::sub_keys(&self.customers, &sub))
            }
        }
    }

    /// The keyed topic's partitions month by month in one scenario, under the
    /// chosen strategy's needs and a policy, with the keys each increase moves.
    pub fn partition_schedule(
        &self,
        growth: &Monthly<ByScenario<MonthLoad>>,
        strategies: &Monthly<ByScenario<ByStrategy<StrategyMonth>>>,
        chosen: Strategy,
        scenario: Scenario,
        policy: PartitionPolicy,
    ) -> PartitionSchedule {
        let today = self.inputs.architecture.keyed_topic().partitions;
        let needed: Vec<Option<u32>> = strategies
            .iter()
            .map(|(_, by)| by.get(scenario).get(chosen).partitions.partitions.ok())
            .collect();
        let counts = kafka::schedule_counts(today, &needed, policy);
        let mut increases = Vec::new();
        let mut previous = today;
        for ((month, by), &count) in growth.iter().zip(&counts) {
            if count > previous {
                let keys = self.keys_for(by.get(scenario), chosen);
                increases.push(PartitionIncrease {
                    month,
                    from: previous,
                    to: count,
                    moved_share: keys.moved_share(previous, count),
                });
            }
            previous = count;
        }
        PartitionSchedule {
            policy,
            counts,
            increases,
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
