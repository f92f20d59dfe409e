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
            short_window_h: long.value * a.short_window_fraction.value,
            budget_spent: rate.value * long.value / (window_days * 24.0),
        })
        .collect::<Vec<_>>()
    };
    let slo = |kind, threshold: f64, unit, target: f64, predicted| Slo {
        kind,
        threshold,
        unit,
        target,
        window_days,
        error_budget_minutes: (1.0 - target) * window_days * 24.0 * 60.0,
        predicted,
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
