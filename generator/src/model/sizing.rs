//! Sizing one month: what every month is sized against (the [`Basis`]: the
//! vertices as calibrated today, the merge-safe rate, the keys hashed once,
//! the plan-wide maxParallelism), each strategy's Kafka and keyed-vertex
//! needs, and the whole month's plan under the chosen strategy.
//!
//! The full run and the sensitivity analysis size months the same way, by
//! these functions, so a rerun at another assumption cannot drift from the plan.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::clickhouse::{self, BatchModel, MergeSafeRate};
use super::flink::{self, FlinkPlan, VertexCalibration};
use super::growth::{self, MonthLoad};
use super::index::{self, ByScenario, ByStrategy, Monthly};
use super::kafka::{self, PartitionIncrease, PartitionLimits, PartitionPolicy, PartitionSchedule};
use super::relabel::{self, Relabelling, Walk};
use super::strategy::{self, CustomerRef, KeySet, KeyShape, Strategy};
use super::task_managers::{self, Shape, TaskManagerFleet, VertexLoad};
use super::workload::Workload;
use super::{
    CustomerShare, MonthPlan, StrategyMonth, SubKeyCount, TodayCheck, ceil_u32, cost, cross_zone,
    fault, latency,
};
use crate::inputs::{Inputs, Scenario};

/// What the keyed vertex's fit depends on beyond the data's loads and keys.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeyedFingerprint {
    sub_key_limit: f64,
    cap: f64,
    records_per_event: f64,
    relabelling: Relabelling,
}

/// Today's customers and their keys under the strategies that key them whole.
struct KnownCustomers {
    customers: Vec<(i64, f64)>,
    heaviest_first: Vec<(i64, f64)>,
    customer_keys: KeySet,
    composite_keys: KeySet,
    sub_key_base: KeySet,
}

/// The heaviest customers a month's plan names.
pub const HEAVIEST_CUSTOMERS_SHOWN: usize = 10;

/// What every month is sized against.
pub struct Basis<'a> {
    pub inputs: &'a Inputs,
    pub workload: &'a Workload,
    /// Every month's load in every scenario: a month's sub-keys follow the
    /// highest rate a customer reaches in any of them.
    pub growth: &'a Monthly<ByScenario<MonthLoad>>,
    /// The vertices as calibrated on production.
    pub vertices: Vec<VertexCalibration>,
    /// ClickHouse rows per event of the keyed topic, measured.
    pub clickhouse_rows_per_event: f64,
    pub merge_safe: MergeSafeRate,
    /// The merge-safe rate as a function of the insert batch, pinned at `merge_safe`.
    pub batch_model: BatchModel,
    /// Every customer today with its share of today's events.
    pub customers: Vec<(i64, f64)>,
    /// The same, heaviest first: the candidates for sub-keys.
    heaviest_first: Vec<(i64, f64)>,
    pub customer_keys: KeySet,
    pub composite_keys: KeySet,
    /// Every customer as one sub-key: what the sub-key strategy splits.
    sub_key_base: KeySet,
    /// Each planned onboarding's drawn ids, one per relabelling.
    pub onboarding_ids: Vec<Vec<i64>>,
    pub relabelling: Relabelling,
    /// The keyed vertex's maxParallelism for each strategy, one for the
    /// whole plan (changing it rewrites the keyed state: see
    /// [`flink::plan_max_parallelism`]).
    pub max_parallelism: ByStrategy<u32>,
    /// The last sub-key strategy's known keys, with the known customers'
    /// sub-key counts they were built for: every scenario of a month splits
    /// the same customers, and hashing every key once per month is enough.
    split_keys: Mutex<Vec<SplitKeys>>,
    /// The job's checkpoint interval under the plan (today's until the plan
    /// chooses it with the deduplication window: `fault::choose_checkpoint_interval`).
    pub checkpoint_interval_s: f64,
}

/// How many sub-key key sets [`Basis::split_keys`] keeps: the months the
/// workers are on.
const SPLIT_KEY_SETS_KEPT: usize = 2;

/// The known customers' sub-key counts, and the key set built for them.
type SplitKeys = (Vec<(i64, u32)>, KeySet);

impl<'a> Basis<'a> {
    pub fn new(
        inputs: &'a Inputs,
        workload: &'a Workload,
        growth: &'a Monthly<ByScenario<MonthLoad>>,
    ) -> Basis<'a> {
        let customers = inputs.keys.customers();
        let keys = KnownCustomers {
            customer_keys: KeySet::customer_id(&customers),
            composite_keys: KeySet::composite(&customers, &inputs.keys.event_types),
            sub_key_base: KeySet::known(&customers, |_| KeyShape::SubKeys(1)),
            heaviest_first: {
                let mut h = customers.clone();
                h.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                h
            },
            customers,
        };
        Self::with_keys(inputs, workload, growth, keys)
    }

    /// A basis for changed assumptions that keeps `other`'s customers and
    /// their hashed keys: assumptions move no key, and hashing every key
    /// again for each rerun of the sensitivity analysis would cost more
    /// than the rerun.
    pub fn sharing_keys(
        inputs: &'a Inputs,
        workload: &'a Workload,
        growth: &'a Monthly<ByScenario<MonthLoad>>,
        other: &Basis<'_>,
    ) -> Basis<'a> {
        let keys = KnownCustomers {
            customers: other.customers.clone(),
            heaviest_first: other.heaviest_first.clone(),
            customer_keys: other.customer_keys.clone(),
            composite_keys: other.composite_keys.clone(),
            sub_key_base: other.sub_key_base.clone(),
        };
        // The plan's checkpoint interval is a decision, kept in every rerun.
        Basis {
            checkpoint_interval_s: other.checkpoint_interval_s,
            ..Self::with_keys(inputs, workload, growth, keys)
        }
    }

    fn with_keys(
        inputs: &'a Inputs,
        workload: &'a Workload,
        growth: &'a Monthly<ByScenario<MonthLoad>>,
        keys: KnownCustomers,
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
        let KnownCustomers {
            customers,
            heaviest_first,
            customer_keys,
            composite_keys,
            sub_key_base,
        } = keys;
        let draws = a.keys.unknown_id_draws.value as u32;
        let merge_safe = inputs
            .metrics
            .merge_safe_rate(a.clickhouse.merge_safe_max_parts.value);
        let batch_model = BatchModel::anchored(
            merge_safe.rows_per_s_per_shard,
            a.clickhouse.async_insert_busy_timeout_ms.value,
            a.clickhouse.part_cost_rows.value,
        );
        Basis {
            inputs,
            workload,
            growth,
            clickhouse_rows_per_event: workload.clickhouse.mean_rows_per_s / today,
            merge_safe,
            batch_model,
            customer_keys,
            composite_keys,
            sub_key_base,
            customers,
            heaviest_first,
            onboarding_ids: relabel::draw_ids(inputs.forecast.onboardings.len(), draws),
            relabelling: Relabelling::new(draws, a.keys.unknown_id_quantile.value),
            vertices,
            max_parallelism: ByStrategy::from_fn(|_| first_guess),
            split_keys: Mutex::default(),
            checkpoint_interval_s: arch.flink.checkpoint_interval_ms / 1000.0,
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
            let loads: Vec<&MonthLoad> = growth.flat().map(|(_, _, load)| load).collect();
            let widest = index::parallel(&loads, |load| self.keyed_parallelism(load, s))
                .into_iter()
                .flatten()
                .max()
                .unwrap_or(1);
            let current = *self.max_parallelism.get(s);
            let needed = flink::plan_max_parallelism(today, widest).max(current);
            if needed == current {
                return;
            }
            self.set_max_parallelism(s, needed);
        }
    }

    /// The keyed vertex's parallelism in a month under strategy `s`, as
    /// [`flink::size`] fits it: all that settling maxParallelism needs.
    fn keyed_parallelism(&self, load: &MonthLoad, s: Strategy) -> Option<u32> {
        let keyed = self.keyed();
        let u = self.inputs.assumptions.flink.target_utilization.value;
        flink::fit_keyed(
            &self.keys_for(load, s),
            load.peak_events_per_s * keyed.records_per_event,
            u * keyed.capacity_per_s,
            *self.max_parallelism.get(s),
            Walk::ToChoice,
        )
        .parallelism
        .ok()
    }

    /// Everything the keyed vertex's fit reads besides the loads and keys of
    /// the data: two bases with the same settle to the same maxParallelism.
    pub fn keyed_fingerprint(&self) -> KeyedFingerprint {
        let keyed = self.keyed();
        let any_month = self.growth.get(1).get(Scenario::Base);
        let (_, sub_key_limit) = self.sub_keys(any_month, &self.partition_limits(any_month));
        KeyedFingerprint {
            sub_key_limit,
            cap: self.inputs.assumptions.flink.target_utilization.value * keyed.capacity_per_s,
            records_per_event: keyed.records_per_event,
            relabelling: self.relabelling,
        }
    }

    /// Sets strategy `s`'s maxParallelism: settled here, or on a basis with
    /// the same fingerprint.
    pub fn set_max_parallelism(&mut self, s: Strategy, settled: u32) {
        self.max_parallelism = ByStrategy::from_fn(|t| {
            if t == s {
                settled
            } else {
                *self.max_parallelism.get(t)
            }
        });
    }

    pub fn keyed(&self) -> &VertexCalibration {
        self.vertices.iter().find(|v| v.keyed).expect("validated")
    }

    fn flink_plan(&self, s: Strategy, walk: Walk) -> FlinkPlan<'_> {
        let arch = &self.inputs.architecture;
        FlinkPlan {
            vertices: &self.vertices,
            shape: Shape::from_assumptions(&self.inputs.assumptions.flink),
            task_managers_today: arch.flink.task_managers,
            window_s: arch.flink.window_s,
            lateness_s: (arch.flink.watermark_out_of_orderness_ms + arch.flink.allowed_lateness_ms)
                / 1000.0,
            event_bytes: arch.keyed_topic().avg_event_bytes,
            max_parallelism: *self.max_parallelism.get(s),
            walk,
            a: &self.inputs.assumptions.flink,
        }
    }

    /// Today's job on today's TaskManagers at today's peak, by the rules the
    /// plan sizes with: what today's cluster keeps busy, and what those rules
    /// would give it.
    pub fn fleet_today(&self) -> TaskManagerFleet {
        let arch = &self.inputs.architecture;
        let peak = self
            .workload
            .topic(&arch.keyed_topic().name)
            .peak_events_per_s;
        let loads: Vec<VertexLoad> = self
            .vertices
            .iter()
            .map(|v| VertexLoad {
                parallelism: v.parallelism_today,
                keyed: v.keyed,
                records_in_per_s: peak * v.records_per_event,
                capacity_per_s: v.capacity_per_s,
            })
            .collect();
        let plan = self.flink_plan(Strategy::CustomerId, Walk::ToChoice);
        let (_, state_bytes) = plan.window_state(self.customers.len() as f64);
        let shape = Shape {
            vcpu: arch.flink.task_manager_vcpu,
            memory_gib: arch.flink.task_manager_memory_gib,
            slots: arch.flink.slots_per_task_manager,
            ..plan.shape
        };
        task_managers::size(
            &loads,
            state_bytes,
            arch.flink.task_managers,
            &shape,
            plan.a,
        )
    }

    fn partition_limits(&self, load: &MonthLoad) -> PartitionLimits {
        kafka::limits(
            load.peak_events_per_s,
            self.inputs.architecture.keyed_topic().avg_event_bytes,
            self.vertices[0].capacity_per_s,
            &self.inputs.assumptions.kafka,
        )
    }

    /// The share of a month's events today's customers carry: organic
    /// growth scales them all alike, onboardings come on top.
    fn known_scale(load: &MonthLoad) -> f64 {
        load.organic_events_per_s / load.avg_events_per_s
    }

    /// The onboardings live in a month and scenario, each a customer of its
    /// own with its share of the month's events.
    pub fn onboarded(&self, load: &MonthLoad) -> Vec<(usize, f64)> {
        self.inputs
            .forecast
            .onboardings
            .iter()
            .enumerate()
            .filter(|(_, o)| o.in_scenario(load.scenario) && o.first_month <= load.month)
            .map(|(i, o)| (i, o.events_per_s / load.avg_events_per_s))
            .collect()
    }

    /// The month's customers heaviest first, known and onboarded, with their
    /// shares of its events. Today's customers come heaviest first, and the
    /// walk over them stops at the first that `keep(rank, share)` refuses.
    fn month_customers(
        &self,
        load: &MonthLoad,
        keep: impl Fn(usize, f64) -> bool,
    ) -> Vec<(CustomerRef, f64)> {
        let scale = Self::known_scale(load);
        let mut out: Vec<(CustomerRef, f64)> = self
            .heaviest_first
            .iter()
            .enumerate()
            .map(|(rank, &(id, share))| (rank, CustomerRef::Known(id), share * scale))
            .take_while(|&(rank, _, share)| keep(rank, share))
            .map(|(_, who, share)| (who, share))
            .collect();
        out.extend(
            self.onboarded(load)
                .into_iter()
                .map(|(i, share)| (CustomerRef::Onboarding(i), share)),
        );
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out
    }

    /// Every customer of a month, heaviest first, with the id its keys hash
    /// (an onboarding takes the first relabelling's drawn id) and its share
    /// of the month's events.
    pub fn month_customer_shares(&self, load: &MonthLoad) -> Vec<(CustomerRef, i64, f64)> {
        self.month_customers(load, |_, _| true)
            .into_iter()
            .map(|(who, share)| {
                let id = match who {
                    CustomerRef::Known(id) => id,
                    CustomerRef::Onboarding(i) => self.onboarding_ids[i][0],
                };
                (who, id, share)
            })
            .collect()
    }

    /// The `n` heaviest customers of a month, known and onboarded.
    fn heaviest_customers(&self, load: &MonthLoad, n: usize) -> Vec<CustomerShare> {
        self.month_customers(load, |rank, _| rank < n)
            .into_iter()
            .take(n)
            .map(|(customer, share)| CustomerShare { customer, share })
            .collect()
    }

    /// Each hot customer's sub-key count in a month, and the per-key limit it
    /// follows. The count follows the customer's highest peak rate that month
    /// in any scenario, so every scenario hashes the same keys: a scenario
    /// with more load on every key then never needs fewer partitions or
    /// subtasks (the split is published ahead of the traffic, and one set
    /// for the highest forecast carries the lower ones).
    fn sub_keys(
        &self,
        load: &MonthLoad,
        limits: &PartitionLimits,
    ) -> (BTreeMap<CustomerRef, u32>, f64) {
        let limit = flink::sub_key_limit(
            self.keyed(),
            limits,
            self.inputs.architecture.keyed_topic().avg_event_bytes,
            &self.inputs.assumptions.flink,
        );
        let mut highest: BTreeMap<CustomerRef, f64> = BTreeMap::new();
        for (_, scenario_load) in self.growth.get(load.month).iter() {
            let peak = scenario_load.peak_events_per_s;
            // Customers one key carries never need sub-keys.
            let one_key = limit / peak;
            for (who, share) in self.month_customers(scenario_load, |_, share| share > one_key) {
                let rate = highest.entry(who).or_insert(0.0);
                *rate = rate.max(share * peak);
            }
        }
        (flink::sub_keys(highest, limit), limit)
    }

    /// The keys of strategy `s` in a month: today's customers scaled to
    /// their part of its events, and each live onboarding a customer of its
    /// own under the relabellings' drawn ids, split as `sub` says.
    /// The sub-key strategy's known keys for the known customers' counts in
    /// `sub`: one of the last built when the counts are the same, else `build`'s.
    fn split_keys(
        &self,
        sub: &BTreeMap<CustomerRef, u32>,
        build: impl FnOnce(&[(i64, u32)]) -> KeySet,
    ) -> KeySet {
        let counts: Vec<(i64, u32)> = sub
            .iter()
            .filter_map(|(who, &n)| match who {
                CustomerRef::Known(id) => Some((*id, n)),
                CustomerRef::Onboarding(_) => None,
            })
            .collect();
        if let Some((_, keys)) = self
            .split_keys
            .lock()
            .expect("no panic holds the lock")
            .iter()
            .find(|(built_for, _)| *built_for == counts)
        {
            return keys.clone();
        }
        let keys = build(&counts);
        let mut kept = self.split_keys.lock().expect("no panic holds the lock");
        if kept.len() == SPLIT_KEY_SETS_KEPT {
            kept.remove(0);
        }
        kept.push((counts, keys.clone()));
        keys
    }

    fn month_keys(
        &self,
        load: &MonthLoad,
        s: Strategy,
        sub: &BTreeMap<CustomerRef, u32>,
    ) -> KeySet {
        let types = &self.inputs.keys.event_types;
        let sub_keys_of = |who| sub.get(&who).copied().unwrap_or(1);
        let shape = |who: CustomerRef| match s {
            Strategy::CustomerId => KeyShape::Customer,
            Strategy::Composite => KeyShape::Composite(types),
            Strategy::SubKeys => KeyShape::SubKeys(sub_keys_of(who)),
        };
        let split;
        let known = match s {
            Strategy::CustomerId => &self.customer_keys,
            Strategy::Composite => &self.composite_keys,
            Strategy::SubKeys => {
                split = self.split_keys(sub, |counts| {
                    self.sub_key_base.split_customers(&self.customers, counts)
                });
                &split
            }
        };
        let onboarded = self.onboarded(load);
        known.in_month(
            Self::known_scale(load),
            onboarded.iter().map(|&(i, share)| {
                (
                    share,
                    &self.onboarding_ids[i][..],
                    shape(CustomerRef::Onboarding(i)),
                )
            }),
            self.relabelling,
        )
    }

    /// Customers in a month, for the merge stage's state: today's and the
    /// onboardings live.
    fn customer_count(&self, load: &MonthLoad) -> f64 {
        (self.customers.len() + self.onboarded(load).len()) as f64
    }

    /// Every strategy in one month and scenario; `walk` says whether each
    /// search also learns what every relabelling needs on its own.
    pub fn size_strategies(&self, load: &MonthLoad, walk: Walk) -> ByStrategy<StrategyMonth> {
        let limits = self.partition_limits(load);
        let sub = self.sub_keys(load, &limits);
        ByStrategy::from_fn(|s| self.size_with(load, s, &limits, &sub, walk))
    }

    /// Whether strategy `s` in `load` sizes on this basis exactly as on
    /// `other`, one sharing its keys: besides the keys, [`Self::size_strategy`]
    /// reads the loads, the partition limits, the Flink and key assumptions
    /// and the maxParallelism, and nothing else. The sensitivity reruns of
    /// an assumption that moves none of them reuse the plan's sizing.
    pub fn sizes_as(&self, other: &Basis<'_>, load: &MonthLoad, s: Strategy) -> bool {
        let (a, b) = (&self.inputs.assumptions, &other.inputs.assumptions);
        self.growth == other.growth
            && self.partition_limits(load) == other.partition_limits(load)
            && a.flink == b.flink
            && a.keys == b.keys
            && self.max_parallelism.get(s) == other.max_parallelism.get(s)
    }

    /// One strategy in one month and scenario.
    pub fn size_strategy(&self, load: &MonthLoad, s: Strategy) -> StrategyMonth {
        let limits = self.partition_limits(load);
        let sub = self.sub_keys(load, &limits);
        self.size_with(load, s, &limits, &sub, Walk::ToChoice)
    }

    fn size_with(
        &self,
        load: &MonthLoad,
        s: Strategy,
        limits: &PartitionLimits,
        (sub, per_key_limit): &(BTreeMap<CustomerRef, u32>, f64),
        walk: Walk,
    ) -> StrategyMonth {
        let keys = self.month_keys(load, s, sub);
        let partitions = kafka::fit_partitions(&keys, limits, walk);
        let keyed_topic = self.inputs.architecture.keyed_topic();
        let partition_shares = keys.partition_shares(
            partitions
                .partitions
                .as_ref()
                .map_or(keyed_topic.partitions, |&n| n),
            partitions.draw,
        );
        let flink = flink::size(
            &self.flink_plan(s, walk),
            s,
            &keys,
            &flink::SourceSplits {
                topic: &keyed_topic.name,
                partition_shares: &partition_shares,
            },
            self.customer_count(load),
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
                    .map(|(&customer, &sub_keys)| SubKeyCount { customer, sub_keys })
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
            // Its readers are dealt the partitions of the draw at the
            // quantile at that count.
            let keys = self.keys_for(load, chosen.strategy);
            let (draw, _) = keys
                .relabelling()
                .at_quantile(&keys.hottest_partition_shares(partitions));
            flink::size(
                &self.flink_plan(chosen.strategy, Walk::ToChoice),
                chosen.strategy,
                &keys,
                &flink::SourceSplits {
                    topic: &arch.keyed_topic().name,
                    partition_shares: &keys.partition_shares(partitions, draw),
                },
                self.customer_count(load),
                load.peak_events_per_s,
            )
        };
        let topics = growth::topic_loads(load, self.workload, arch, Some(partitions));
        let brokers = kafka::brokers(&topics, &arch.kafka, &a.kafka);
        // ClickHouse keeps the spare capacity to drain a TaskManager
        // failure's backlog within the catch-up target.
        let catch_up_ceiling = fault::catch_up_ceiling(
            fault::task_manager_backlog_s(&flink, self.checkpoint_interval_s, arch, &a.fault),
            a.fault.catch_up_target_s.value,
        );
        let peak_rows_per_s = load.peak_events_per_s * self.clickhouse_rows_per_event;
        let batch = clickhouse::choose_batch(
            peak_rows_per_s,
            arch.clickhouse.tables.len(),
            &self.batch_model,
            a.fault.keeper_inserts_per_s.value,
            &a.clickhouse,
        );
        let clickhouse = clickhouse::size(
            load.avg_events_per_s * self.clickhouse_rows_per_event,
            peak_rows_per_s,
            batch,
            &self.batch_model,
            catch_up_ceiling,
            &arch.clickhouse,
            &a.clickhouse,
        );
        let latency = latency::budget(
            &flink,
            chosen.strategy.needs_merge_stage(),
            &clickhouse,
            &latency::Path {
                records_per_buffer: latency::records_per_buffer(
                    a.flink.network_buffer_kib.value,
                    arch.keyed_topic().avg_event_bytes,
                ),
                sink_insert_interval_ms: arch
                    .window_results_table()
                    .map_or(0.0, |t| t.insert_interval_ms),
                shards_today: arch.clickhouse.shards,
            },
            &arch.flink,
            &a.latency,
        );
        // A month whose keyed vertex fits no TaskManagers is not carried
        // (its cost is shown as such); the rest of its fleet is priced.
        let traffic =
            cross_zone::Traffic::of(&topics, &arch.keyed_topic().name, clickhouse.avg_rows_per_s);
        let cross_zone = cross_zone::month(&traffic, cross_zone::Clients::of(arch), arch, a);
        let cost = cost::monthly(
            brokers.brokers,
            flink.task_managers.unwrap_or(0),
            clickhouse.nodes,
            arch,
            &a.cost,
        )
        .with_cross_zone(cross_zone.usd_per_month);
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
            heaviest_customers: self.heaviest_customers(load, HEAVIEST_CUSTOMERS_SHOWN),
            latency,
            cross_zone,
            cost,
            carried: chosen.feasible,
        }
    }

    /// The keys of strategy `s` in a month (the onboardings and the sub-keys
    /// depend on it).
    pub fn keys_for(&self, load: &MonthLoad, s: Strategy) -> KeySet {
        let sub = if s == Strategy::SubKeys {
            self.sub_keys(load, &self.partition_limits(load)).0
        } else {
            BTreeMap::new()
        };
        self.month_keys(load, s, &sub)
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
                .key_group_shares(keyed.max_parallelism_today, 0),
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
        let predicted_partitions = self
            .customer_keys
            .partition_shares(self.inputs.architecture.keyed_topic().partitions, 0);
        let measured_partitions = &self.workload.partition_skew.shares;
        let measured_subtasks: Vec<f64> = self
            .workload
            .operators
            .iter()
            .find(|o| o.keyed)
            .expect("validated: one keyed operator")
            .subtasks
            .iter()
            .map(|s| s.share)
            .collect();
        let largest_gap = |predicted: &[f64], measured: &[f64]| {
            predicted
                .iter()
                .zip(measured)
                .map(|(p, m)| (m - p).abs())
                .fold(0.0, f64::max)
        };
        let predicted_hottest_partition_share = strategy::max(&predicted_partitions);
        let subtask_error =
            (self.workload.keyed.hottest_share - hottest_subtask_share) / hottest_subtask_share;
        TodayCheck {
            predicted_hottest_partition_share,
            predicted_hottest_subtask: hottest_subtask as u32,
            predicted_hottest_subtask_share: hottest_subtask_share,
            partition_error: (self.workload.partition_skew.hottest_share
                - predicted_hottest_partition_share)
                / predicted_hottest_partition_share,
            subtask_error,
            largest_partition_gap: largest_gap(&predicted_partitions, measured_partitions),
            largest_subtask_gap: largest_gap(&today_subtasks, &measured_subtasks),
            headroom_covers_error: self.inputs.assumptions.flink.target_utilization.value
                * (1.0 + subtask_error.max(0.0))
                < 1.0,
        }
    }
}
