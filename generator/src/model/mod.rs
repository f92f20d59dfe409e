//! The capacity model: plain functions over the typed inputs.
//!
//! Nothing here reads files or formats text. Every figure a document prints is
//! computed once here and carried to the renderers in [`Model`].

pub mod growth;
pub mod kafka;
pub mod routing;
pub mod workload;

use serde::Serialize;

use crate::inputs::{Inputs, Scenario};

#[derive(Debug, Clone, Serialize)]
pub struct Model {
    /// Today's workload, from the production metrics.
    pub workload: workload::Workload,
    /// Events/s by month and scenario.
    pub growth: Vec<growth::MonthLoad>,
    /// Partitions the keyed topic needs, by month, per scenario.
    pub kafka_partitions: Vec<kafka::PartitionSizing>,
    /// First month of the base scenario that needs more partitions than the keyed topic has today.
    pub kafka_partitions_exhausted_month: Option<u32>,
}

pub fn run(inputs: &Inputs) -> Model {
    let workload = workload::characterize(inputs);
    let topic = inputs.architecture.keyed_topic();
    // Peaks grow with the mean: the forecast keeps today's measured peak-to-mean ratio.
    let peak_to_mean = workload.topic(&topic.name).peak_to_mean;
    let growth = growth::monthly_load(&inputs.forecast, peak_to_mean);
    let kafka_partitions = growth
        .iter()
        .map(|load| kafka::partitions_for(load, topic, &inputs.assumptions.kafka))
        .collect::<Vec<_>>();
    let kafka_partitions_exhausted_month =
        kafka::first_month_over(&kafka_partitions, Scenario::Base, topic.partitions);
    Model {
        workload,
        growth,
        kafka_partitions,
        kafka_partitions_exhausted_month,
    }
}
