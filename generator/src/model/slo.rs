//! The four SLOs: target, window, error budget and burn-rate alerts
//! (SRE Workbook, "Implementing SLOs" and "Alerting on SLOs"), each beside
//! what the model predicts for its SLI at the month's peak.

use serde::Serialize;

use crate::inputs::assumptions::SloAssumptions;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SloKind {
    IngestLag,
    ProcessingLag,
    QueryP99,
    LossyOnFailure,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    pub severity: &'static str,
    pub burn_rate: f64,
    pub long_window_h: f64,
    pub short_window_h: f64,
    /// Share of the window's error budget spent when the alert fires.
    pub budget_spent: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Slo {
    pub kind: SloKind,
    pub threshold: f64,
    pub unit: &'static str,
    pub target: f64,
    pub window_days: f64,
    /// `(1 − target) × window`, in minutes of bad SLI.
    pub error_budget_minutes: f64,
    /// The model's p99 of the SLI's quantity in the plan's last month, same unit as the threshold.
    pub predicted: Option<f64>,
    /// Whether that prediction is within the threshold; none when not predicted.
    pub met: Option<bool>,
    pub alerts: Vec<Alert>,
}

pub fn slos(
    a: &SloAssumptions,
    ingest_p99_ms: f64,
    processing_p99_ms: f64,
    query_p99_ms: f64,
) -> Vec<Slo> {
    let window_days = a.window_days.value;
    let alerts = || {
        [
            ("page", &a.page_fast_burn_rate, &a.page_fast_long_window_h),
            ("page", &a.page_slow_burn_rate, &a.page_slow_long_window_h),
            ("ticket", &a.ticket_burn_rate, &a.ticket_long_window_h),
        ]
        .into_iter()
        .map(|(severity, rate, long)| Alert {
            severity,
            burn_rate: rate.value,
            long_window_h: long.value,
            short_window_h: long.value / a.short_window_divisor.value,
            budget_spent: rate.value * long.value / (window_days * 24.0),
        })
        .collect::<Vec<_>>()
    };
    let slo = |kind, threshold: f64, unit, target: f64, predicted: Option<f64>| Slo {
        kind,
        threshold,
        unit,
        target,
        window_days,
        error_budget_minutes: (1.0 - target) * window_days * 24.0 * 60.0,
        predicted,
        met: predicted.map(|p| p <= threshold),
        alerts: alerts(),
    };
    vec![
        slo(
            SloKind::IngestLag,
            a.ingest_lag_threshold_s.value,
            "s",
            a.ingest_lag_target.value,
            Some(ingest_p99_ms / 1000.0),
        ),
        slo(
            SloKind::ProcessingLag,
            a.processing_lag_threshold_s.value,
            "s",
            a.processing_lag_target.value,
            Some(processing_p99_ms / 1000.0),
        ),
        slo(
            SloKind::QueryP99,
            a.query_p99_threshold_ms.value,
            "ms",
            a.query_target.value,
            Some(query_p99_ms),
        ),
        // Measured by the prototype's fault injection, not predicted.
        slo(
            SloKind::LossyOnFailure,
            a.lossy_on_failure_max_rate.value,
            "events per event",
            a.lossy_on_failure_target.value,
            None,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::inputs;

    #[test]
    fn an_slo_is_met_when_its_predicted_p99_is_within_the_threshold() {
        let a = inputs::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../data"))
            .unwrap()
            .assumptions
            .slo;
        // data/assumptions.toml: ingest lag threshold 3 s, processing lag 20 s.
        assert_eq!(a.ingest_lag_threshold_s.value, 3.0);
        assert_eq!(a.processing_lag_threshold_s.value, 20.0);
        let s = slos(&a, 5_000.0, 19_000.0, a.query_p99_threshold_ms.value);
        let met: Vec<Option<bool>> = s.iter().map(|s| s.met).collect();
        // 5 s > 3 s; 19 s <= 20 s; a p99 equal to its threshold still meets it;
        // the lossy-on-failure SLI is measured, not predicted.
        assert_eq!(met, [Some(false), Some(true), Some(true), None]);
    }
}
