//! Cross-zone traffic (`_cost.md`): the flows of the last month the plan
//! carries, each with the share that leaves its zone, and the client levers
//! that keep it in its zone, in words.

use serde::Serialize;

use super::Source;
use super::text::Code;
use crate::model::cross_zone::{Flow, Lever, LeverEffect};
use crate::model::kafka::BYTES_PER_GB;
use crate::render::markdown::group;

#[derive(Debug, Serialize)]
pub struct CrossZoneView {
    pub label: String,
    pub zones: u32,
    /// The price a GB pays on each side, as written in `data/`.
    pub usd_per_gb_each_way: f64,
    pub flows: Vec<FlowRow>,
    pub total_tb_per_month: String,
    pub total_usd_per_month: String,
    /// The month's cross-zone bill over its whole cost.
    pub share_of_cost: f64,
    pub levers: Vec<LeverRow>,
    /// The month's bill with every lever on, when any lever is not yet on.
    pub both_usd_per_month: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct FlowRow {
    pub flow: &'static str,
    pub avg_mb_per_s: String,
    /// Copies sent × the share of them that lands in another zone.
    pub crossings: String,
    pub tb_per_month: String,
    pub usd_per_month: String,
}

#[derive(Debug, Serialize)]
pub struct LeverRow {
    pub lever: &'static str,
    pub in_place: bool,
    pub usd_per_month: String,
    pub saving_usd_per_month: String,
    pub saving_usd_over_plan: String,
    pub trade: String,
}

fn flow_words(f: Flow) -> &'static str {
    match f {
        Flow::Produce => "Producers to the partition's leader",
        Flow::Replication => "Kafka leaders to their followers",
        Flow::Consume => "Consumer groups fetching",
        Flow::Shuffle => "keyBy shuffle to the keyed subtasks",
        Flow::Sink => "Raw-event sink to a ClickHouse replica",
        Flow::ClickHouseReplication => "ClickHouse replicas fetching parts",
    }
}

pub fn lever_words(l: Lever) -> &'static str {
    match l {
        Lever::FollowerFetching => "Follower fetching (KIP-392)",
        Lever::ZoneAwareProducers => "Producer zone awareness",
    }
}

/// What a lever gives up; the keyed topic's key decides the producers'.
fn trade(l: Lever, keyed_topic: &Code, key: &Code, keyless: bool) -> String {
    match l {
        Lever::FollowerFetching => "consumers read a follower, a replication delay behind the \
             leader; `replica.selector.class` on the brokers and `client.rack` on the consumers"
            .to_owned(),
        Lever::ZoneAwareProducers if keyless => {
            "producers choose partitions led in their own zone, which a topic without keys allows"
                .to_owned()
        }
        Lever::ZoneAwareProducers => format!(
            "a producer would choose the partition by its zone, not by {}: {} would lose \
             its key placement unless each customer's producers run in its leader's zone",
            key.as_markdown(),
            keyed_topic.as_markdown()
        ),
    }
}

pub fn build(src: &Source<'_>) -> CrossZoneView {
    let z = &src.model.cross_zone;
    let plan = src.months.plan(z.month, crate::inputs::Scenario::Base);
    let topic = src.inputs.architecture.keyed_topic();
    let keyed_topic = Code::new(&topic.name);
    let key = Code::new(&topic.key);
    let tb = |gb: f64| group(gb * BYTES_PER_GB / 1e12, 0);
    let flows = z
        .flows
        .flows
        .iter()
        .map(|f| FlowRow {
            flow: flow_words(f.flow),
            avg_mb_per_s: group(f.source_mb_per_s, 0),
            crossings: group(f.crossings, 2),
            tb_per_month: tb(f.gb_per_month),
            usd_per_month: group(f.usd_per_month, 0),
        })
        .collect();
    let levers: Vec<LeverRow> = z
        .levers
        .iter()
        .map(|l: &LeverEffect| LeverRow {
            lever: lever_words(l.lever),
            in_place: l.in_place,
            usd_per_month: group(l.usd_per_month, 0),
            saving_usd_per_month: group(l.saving_usd_per_month, 0),
            saving_usd_over_plan: group(l.saving_usd_over_plan, 0),
            trade: trade(l.lever, &keyed_topic, &key, topic.key == "none"),
        })
        .collect();
    CrossZoneView {
        label: src.months.label(z.month).to_owned(),
        zones: z.zones,
        usd_per_gb_each_way: src.inputs.assumptions.cost.cross_zone_gb_each_way.value,
        flows,
        total_tb_per_month: tb(z.flows.gb_per_month),
        total_usd_per_month: group(z.flows.usd_per_month, 0),
        share_of_cost: if plan.cost.total > 0.0 {
            z.flows.usd_per_month / plan.cost.total
        } else {
            0.0
        },
        both_usd_per_month: z
            .levers
            .iter()
            .any(|l| !l.in_place)
            .then(|| group(z.both_usd_per_month, 0)),
        levers,
    }
}

/// The cross-zone levers that save money, for the readout's list of cost levers.
pub fn savers(src: &Source<'_>) -> Vec<(String, f64, String)> {
    let z = &src.model.cross_zone;
    let topic = src.inputs.architecture.keyed_topic();
    let (keyed_topic, key) = (Code::new(&topic.name), Code::new(&topic.key));
    z.levers
        .iter()
        .filter(|l| !l.in_place && l.saving_usd_per_month.round() > 0.0)
        .map(|l| {
            (
                lever_words(l.lever).to_owned(),
                l.saving_usd_per_month,
                trade(l.lever, &keyed_topic, &key, topic.key == "none"),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flow_and_lever_has_words() {
        for f in [
            Flow::Produce,
            Flow::Replication,
            Flow::Consume,
            Flow::Shuffle,
            Flow::Sink,
            Flow::ClickHouseReplication,
        ] {
            assert!(!flow_words(f).is_empty());
        }
        let (t, k) = (Code::new("events.raw"), Code::new("customer_id"));
        assert!(trade(Lever::ZoneAwareProducers, &t, &k, false).contains("`customer_id`"));
        assert!(trade(Lever::ZoneAwareProducers, &t, &k, true).contains("without keys"));
    }
}
