//! `partitioning.md`: today's skew as a check of the partitioners, the
//! strategies side by side, the decision and the sticky sub-key design.

use serde::Serialize;

use super::text::{Code, Text};
use super::{Source, words};
use crate::inputs::Scenario;
use crate::model::StrategyMonth;
use crate::model::strategy::{CustomerRef, Strategy};

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
    pub newcomers: Newcomers,
}

/// Customers still to be onboarded: keys of their own, with ids drawn.
#[derive(Debug, Serialize)]
pub struct Newcomers {
    /// Whether any onboarding is planned in any scenario.
    pub any: bool,
    pub draws: u32,
    pub must_fit: u32,
    pub quantile: f64,
    /// The base scenario's heaviest customers in the last month.
    pub heaviest: Vec<CustomerRow>,
}

#[derive(Debug, Serialize)]
pub struct CustomerRow {
    pub name: Text,
    /// The id, or a note that it is drawn.
    pub id: String,
    pub onboarded: bool,
    pub share: f64,
    pub peak_events_per_s: f64,
    /// Sub-keys under the sticky strategy.
    pub sub_keys: u32,
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
    /// (measured − predicted) ÷ predicted of the hottest subtask and
    /// partition, signed, in words.
    pub subtask_error: String,
    pub partition_error: String,
    /// Whether the measured hottest is where the prediction put it.
    pub same_hottest_subtask: bool,
    /// The largest gap of any subtask or partition, in share points.
    pub largest_subtask_gap: f64,
    pub largest_partition_gap: f64,
    pub target_utilization: f64,
    pub headroom_covers_error: bool,
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
    /// What one relabelling of the unknown ids needs on its own, fewest to most.
    pub partitions_spread: String,
    pub parallelism_spread: String,
    /// Relabellings that fit at the chosen count, as "k of n".
    pub partitions_fitting: String,
    pub parallelism_fitting: String,
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
    /// Whether any customer is listed as hot or onboarded, so the table has a column.
    pub any_hot: bool,
    /// Month labels, the table's columns.
    pub month_labels: Vec<String>,
    /// Listed hot customers and the base scenario's onboardings: one row
    /// each, with its sub-keys month by month (base scenario), most sub-keys
    /// in the last month first, so that a PDF that shows only the first rows
    /// of a long list shows the customers that matter most.
    pub customers: Vec<SubKeyRow>,
    pub unsplit_sub_keys: u32,
}

#[derive(Debug, Serialize)]
pub struct SubKeyRow {
    pub name: Text,
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
    let last_month = |s: Strategy| src.months.strategy(src.months.last(), s);
    let partitions_spread = |s: Strategy| last_month(s).partitions.spread.as_ref();
    let parallelism_spread = |s: Strategy| last_month(s).keyed().spread.as_ref();
    // The sub-key table's rows: listed hot customers, then the base
    // scenario's onboardings.
    let columns: Vec<CustomerRef> = keys
        .hot
        .iter()
        .map(|h| CustomerRef::Known(h.customer_id))
        .chain(
            src.inputs
                .forecast
                .onboardings
                .iter()
                .enumerate()
                .filter(|(_, o)| o.in_scenario(Scenario::Base))
                .map(|(i, _)| CustomerRef::Onboarding(i)),
        )
        .collect();
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
            subtask_error: words::signed_percent(model.today.subtask_error),
            partition_error: words::signed_percent(model.today.partition_error),
            same_hottest_subtask: model.today.predicted_hottest_subtask == w.keyed.hottest_subtask,
            largest_subtask_gap: model.today.largest_subtask_gap,
            largest_partition_gap: model.today.largest_partition_gap,
            target_utilization: src.inputs.assumptions.flink.target_utilization.value,
            headroom_covers_error: model.today.headroom_covers_error,
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
                partitions_spread: words::spread(partitions_spread(v.strategy)),
                parallelism_spread: words::spread(parallelism_spread(v.strategy)),
                partitions_fitting: words::fitting(partitions_spread(v.strategy)),
                parallelism_fitting: words::fitting(parallelism_spread(v.strategy)),
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
            any_hot: !columns.is_empty(),
            month_labels: src
                .months
                .months
                .iter()
                .map(|&m| src.months.label(m).to_owned())
                .collect(),
            customers: {
                let mut rows: Vec<SubKeyRow> = columns
                    .iter()
                    .map(|&c| SubKeyRow {
                        name: customer_name(src, c),
                        sub_keys: src
                            .months
                            .months
                            .iter()
                            .map(|&m| sub_keys_of(src.months.strategy(m, Strategy::SubKeys), c))
                            .collect(),
                    })
                    .collect();
                // Stable: ties keep the listed order, hot customers by share first.
                rows.sort_by_key(|r| std::cmp::Reverse(r.sub_keys.last().copied()));
                rows
            },
            unsplit_sub_keys: UNSPLIT_SUB_KEYS,
        },
        newcomers: Newcomers {
            any: !src.inputs.forecast.onboardings.is_empty(),
            draws: a.keys.unknown_id_draws.value as u32,
            must_fit: model.relabelling.must_fit,
            quantile: a.keys.unknown_id_quantile.value,
            heaviest: {
                let last = src.months.last_plan();
                let peak = src
                    .months
                    .load(src.months.last(), Scenario::Base)
                    .peak_events_per_s;
                let sticky = src.months.strategy(src.months.last(), Strategy::SubKeys);
                last.heaviest_customers
                    .iter()
                    .map(|c| CustomerRow {
                        name: customer_name(src, c.customer),
                        id: match c.customer {
                            CustomerRef::Known(id) => id.to_string(),
                            CustomerRef::Onboarding(_) => "not yet known".into(),
                        },
                        onboarded: matches!(c.customer, CustomerRef::Onboarding(_)),
                        share: c.share,
                        peak_events_per_s: c.share * peak,
                        sub_keys: sub_keys_of(sticky, c.customer),
                    })
                    .collect()
            },
        },
    }
}

/// A customer's name: from the hot list or the onboardings, else its id.
pub(super) fn customer_name(src: &Source<'_>, c: CustomerRef) -> Text {
    match c {
        CustomerRef::Known(id) => src
            .inputs
            .keys
            .hot
            .iter()
            .find(|h| h.customer_id == id)
            .map_or_else(
                || Text::new(&format!("customer {id}")),
                |h| Text::new(&h.name),
            ),
        CustomerRef::Onboarding(i) => Text::new(&src.inputs.forecast.onboardings[i].customer),
    }
}

/// A customer's sub-keys in a sticky-strategy month (1: not split).
fn sub_keys_of(month: &StrategyMonth, c: CustomerRef) -> u32 {
    month
        .sub_keys
        .iter()
        .find(|s| s.customer == c)
        .map_or(UNSPLIT_SUB_KEYS, |s| s.sub_keys)
}
