//! Events/s by month: organic growth plus named onboardings, average and peak.

use serde::Serialize;

use super::index::{ByScenario, Monthly};
use super::kafka::{self, TopicLoad};
use super::workload::Workload;
use crate::inputs::architecture::Architecture;
use crate::inputs::forecast::{CalendarMonth, Forecast, MONTHS, Scenario};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthLoad {
    pub month: u32,
    pub label: String,
    pub calendar: CalendarMonth,
    pub scenario: Scenario,
    pub customers: f64,
    /// customers × events per customer.
    pub organic_events_per_s: f64,
    /// Sum of the onboardings live by this month in this scenario.
    pub onboarded_events_per_s: f64,
    pub avg_events_per_s: f64,
    /// Average × the peak-to-mean ratio: what the pipeline must carry at the daily peak.
    pub peak_events_per_s: f64,
}

pub fn monthly_load(forecast: &Forecast, peak_to_mean: f64) -> Monthly<ByScenario<MonthLoad>> {
    Monthly::from_fn(MONTHS, |month| {
        ByScenario::from_fn(|scenario| {
            let row = forecast.row(month, scenario);
            let organic = row.customers * row.events_per_customer_per_s;
            let onboarded: f64 = forecast
                .onboardings
                .iter()
                .filter(|o| o.in_scenario(scenario) && o.first_month <= month)
                .map(|o| o.events_per_s)
                .sum();
            let avg = organic + onboarded;
            MonthLoad {
                month,
                label: row.label.clone(),
                calendar: row.calendar,
                scenario,
                customers: row.customers,
                organic_events_per_s: organic,
                onboarded_events_per_s: onboarded,
                avg_events_per_s: avg,
                peak_events_per_s: avg * peak_to_mean,
            }
        })
    })
}

/// Every topic's load in a month. Other topics grow in step with the keyed
/// one, at today's ratio of their rates; the keyed topic has the partitions
/// the month needs (`None`: none fits, so today's count is shown).
pub fn topic_loads(
    load: &MonthLoad,
    workload: &Workload,
    arch: &Architecture,
    keyed_partitions: Option<u32>,
) -> Vec<TopicLoad> {
    let keyed_topic = arch.keyed_topic();
    let today = workload.topic(&keyed_topic.name).mean_events_per_s;
    arch.kafka
        .topics
        .iter()
        .map(|t| {
            let profile = workload.topic(&t.name);
            let ratio = profile.mean_events_per_s / today;
            let avg = load.avg_events_per_s * ratio;
            let peak = avg * profile.peak_to_mean;
            let partitions = if t.name == keyed_topic.name {
                keyed_partitions.unwrap_or(t.partitions)
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
        .collect()
}
