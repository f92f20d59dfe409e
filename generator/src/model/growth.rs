//! Events/s by month: organic growth plus named onboardings, average and peak.

use serde::Serialize;

use crate::inputs::forecast::{Forecast, MONTHS, Scenario};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthLoad {
    pub month: u32,
    pub label: String,
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

pub fn monthly_load(forecast: &Forecast, peak_to_mean: f64) -> Vec<MonthLoad> {
    let mut out = Vec::new();
    for month in 1..=MONTHS {
        for scenario in Scenario::ALL {
            let row = forecast.row(month, scenario);
            let organic = row.customers * row.events_per_customer_per_s;
            let onboarded: f64 = forecast
                .onboardings
                .iter()
                .filter(|o| o.in_scenario(scenario) && o.first_month <= month)
                .map(|o| o.events_per_s)
                .sum();
            let avg = organic + onboarded;
            out.push(MonthLoad {
                month,
                label: row.label.clone(),
                scenario,
                customers: row.customers,
                organic_events_per_s: organic,
                onboarded_events_per_s: onboarded,
                avg_events_per_s: avg,
                peak_events_per_s: avg * peak_to_mean,
            });
        }
    }
    out
}
