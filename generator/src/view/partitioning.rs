//! `partitioning.md`: today's skew as a check of the partitioners, the
//! strategies side by side, the decision and the sticky sub-key design.

use serde::Serialize;

use super::text::{Code, Text};
use super::{Source, words};
use crate::model::strategy::Strategy;

/// The sub-key count of a customer that is not split.
const UNSPLIT_SUB_KEYS: u32 = 1;

#[derive(Debug, Serialize)]
pub struct Partitioning {
    /// Bytes of a `customer_id` key as Kafka's `LongSerializer` writes it.
    pub customer_key_bytes: usize,
    pub hot_customers: usize,
    pub tail_customers: u32,
    pub today: TodayCheck,
    /// In `Strategy::ALL` order: what each gives up first.
    pub strategies: Vec<StrategyColumn>,
    pub decision: Decision,
    pub sticky: Sticky,
}

/// Today's topology: the partitioners' prediction beside production's measurement.
#[derive(Debug, Serialize)]
pub struct TodayCheck {
    pub operator: Code,
    pub parallelism: u32,
    pub max_parallelism: u32,
    pub partitions: u32,
    pub predicted_hottest_subtask: u32,
    pub predicted_hottest_subtask_share: f64,
    pub predicted_hottest_partition_share: f64,
    pub measured_hottest_subtask: u32,
    pub measured_hottest_subtask_share: f64,
    pub measured_hottest_partition: u32,
    pub measured_hottest_partition_share: f64,
}

/// One strategy in the base scenario's last month.
#[derive(Debug, Serialize)]
pub struct StrategyColumn {
    pub name: &'static str,
    pub feasible_all_months: bool,
    pub first_infeasible_month: Option<u32>,
    pub hottest_partition_share: f64,
    pub partitions: String,
    pub hottest_subtask_share: f64,
    pub parallelism: String,
    pub max_parallelism: u32,
    pub state_mb: f64,
    pub keeps_customer_order: bool,
    pub latency_added_ms: f64,
    pub needs_merge_stage: bool,
}

#[derive(Debug, Serialize)]
pub struct Decision {
    pub penalty: f64,
    pub any_feasible: bool,
    pub leanest_parallelism: Option<u32>,
}

#[derive(Debug, Serialize)]
pub struct Sticky {
    pub max_subtask_fraction: f64,
    /// p99 the merge stage adds.
    pub merge_latency_ms: f64,
    /// How long a promoted customer stays under the lower limit before it is demoted.
    pub demotion_hold: String,
    /// Whether any customer is listed as hot, so the table has a column.
    pub any_hot: bool,
    pub hot_names: Vec<Text>,
    /// Base scenario by month: each hot customer's sub-keys, in the order of `hot_names`.
    pub months: Vec<SubKeyRow>,
    pub unsplit_sub_keys: u32,
}

#[derive(Debug, Serialize)]
pub struct SubKeyRow {
    pub label: String,
    pub sub_keys: Vec<u32>,
}

pub fn build(src: &Source<'_>) -> Partitioning {
    let model = src.model;
    let keys = &src.inputs.keys;
    let w = &model.workload;
    let a = &src.inputs.assumptions;
    let verdict = |s: Strategy| {
        model
            .decision
            .verdicts
            .iter()
            .find(|v| v.strategy == s)
            .expect("every strategy has a verdict")
    };
    Partitioning {
        customer_key_bytes: partitioners::long_key_bytes(0).len(),
        hot_customers: keys.hot.len(),
        tail_customers: keys.tail.customers,
        today: TodayCheck {
            operator: Code::new(&w.keyed.operator),
            parallelism: w.keyed.parallelism,
            max_parallelism: w.keyed.max_parallelism,
            partitions: src.inputs.architecture.keyed_topic().partitions,
            predicted_hottest_subtask: model.today.predicted_hottest_subtask,
            predicted_hottest_subtask_share: model.today.predicted_hottest_subtask_share,
            predicted_hottest_partition_share: model.today.predicted_hottest_partition_share,
            measured_hottest_subtask: w.keyed.hottest_subtask,
            measured_hottest_subtask_share: w.keyed.hottest_share,
            measured_hottest_partition: w.partition_skew.hottest_partition,
            measured_hottest_partition_share: w.partition_skew.hottest_share,
        },
        strategies: model
            .decision
            .verdicts
            .iter()
            .map(|v| StrategyColumn {
                name: words::strategy_name(v.strategy),
                feasible_all_months: v.feasible_all_months,
                first_infeasible_month: v.first_infeasible_month,
                hottest_partition_share: v.last_hottest_partition_share,
                partitions: words::count(v.last_partitions),
                hottest_subtask_share: v.last_hottest_subtask_share,
                parallelism: words::count(v.last_parallelism),
                max_parallelism: v.last_max_parallelism,
                state_mb: v.last_state_bytes / crate::model::kafka::BYTES_PER_MB,
                keeps_customer_order: v.keeps_customer_order,
                latency_added_ms: v.latency_added_ms,
                needs_merge_stage: v.needs_merge_stage,
            })
            .collect(),
        decision: Decision {
            penalty: model.decision.penalty,
            any_feasible: model.decision.any_feasible,
            leanest_parallelism: model.decision.leanest_parallelism,
        },
        sticky: Sticky {
            max_subtask_fraction: a.flink.sub_key_max_subtask_fraction.value,
            merge_latency_ms: verdict(Strategy::SubKeys).latency_added_ms,
            demotion_hold: words::hold(a.flink.sub_key_demotion_hold_h.value),
            any_hot: !keys.hot.is_empty(),
            hot_names: keys.hot.iter().map(|h| Text::new(&h.name)).collect(),
            months: src
                .months
                .months
                .iter()
                .map(|&m| {
                    let s = src.months.strategy(m, Strategy::SubKeys);
                    SubKeyRow {
                        label: src.months.label(m).to_owned(),
                        sub_keys: keys
                            .hot
                            .iter()
                            .map(|h| {
                                s.sub_keys
                                    .iter()
                                    .find(|c| c.customer_id == h.customer_id)
                                    .map_or(UNSPLIT_SUB_KEYS, |c| c.sub_keys)
                            })
                            .collect(),
                    }
                })
                .collect(),
            unsplit_sub_keys: UNSPLIT_SUB_KEYS,
        },
    }
}
