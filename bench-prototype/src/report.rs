//! The benchmark report, `data/bench/results.json`: its schema lives in the
//! shared inputs crate (`pipeline_inputs::bench`), so the prototype writes
//! and the generator reads one type. What is here: the rounding and summary
//! helpers the experiments use to fill it.

pub use pipeline_inputs::bench::*;

/// The whole report.
pub type Report = BenchReport;

/// Quantile of a histogram in ms (the histogram is in µs).
pub fn quantile_ms(h: &hdrhistogram::Histogram<u64>, q: f64) -> f64 {
    if h.is_empty() {
        0.0
    } else {
        h.value_at_quantile(q) as f64 / 1000.0
    }
}

/// p50 and max of a list.
pub fn p50_max(values: &mut [f64]) -> (f64, f64) {
    if values.is_empty() {
        return (0.0, 0.0);
    }
    values.sort_by(|a, b| a.total_cmp(b));
    (values[values.len() / 2], values[values.len() - 1])
}

/// Rounds to 6 significant digits, so the JSON does not carry float noise.
pub fn round(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let digits = 6 - x.abs().log10().ceil() as i32;
    let factor = 10f64.powi(digits);
    (x * factor).round() / factor
}
