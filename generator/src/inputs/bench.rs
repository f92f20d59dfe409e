//! `data/bench/results.json`: what `just bench` measured on the bottleneck
//! prototype. The schema belongs to `bench-prototype` (its README); the
//! generator types the parts it computes with and hands the rest to the
//! templates as it is. No file means no benchmark has been committed yet.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::keys::{EventType, HotCustomer, KeyDistribution, Tail};
use crate::error::InputError;

#[derive(Debug, Clone, Deserialize)]
pub struct BenchParameters {
    pub sweep_parallelism: u32,
    pub sweep_max_parallelism: u32,
    pub service_time_us: f64,
    /// Sub-keys per split customer in the sticky strategy.
    pub sub_keys: u32,
    pub sticky_split_customers: Vec<i64>,
    /// The key distribution the prototype replayed: customer id → share.
    pub hot_customer_shares: BTreeMap<String, f64>,
    pub tail_customers: u32,
    pub tail_first_customer_id: i64,
    pub tail_zipf_exponent: f64,
    pub tail_share: f64,
    pub event_type_shares: BTreeMap<String, f64>,
}

impl BenchParameters {
    /// The key distribution the prototype replayed, as the generator's type:
    /// what the model must route to predict the prototype's own skew.
    pub fn key_distribution(&self) -> KeyDistribution {
        let mut hot: Vec<HotCustomer> = self
            .hot_customer_shares
            .iter()
            .filter_map(|(id, &share)| {
                Some(HotCustomer {
                    customer_id: id.parse().ok()?,
                    name: id.clone(),
                    share,
                })
            })
            .collect();
        hot.sort_by(|a, b| {
            b.share
                .total_cmp(&a.share)
                .then(a.customer_id.cmp(&b.customer_id))
        });
        KeyDistribution {
            hot,
            tail: Tail {
                customers: self.tail_customers,
                first_customer_id: self.tail_first_customer_id,
                zipf_exponent: self.tail_zipf_exponent,
                share: self.tail_share,
            },
            event_types: self
                .event_type_shares
                .iter()
                .map(|(event_type, &share)| EventType {
                    event_type: event_type.clone(),
                    share,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct SweepPoint {
    pub offered_rate: f64,
    pub achieved_rate: f64,
    pub sustained: bool,
    pub latency_p50_ms: f64,
    pub latency_p99_ms: f64,
    pub latency_p999_ms: f64,
    pub hottest_busy_ratio: f64,
    #[serde(default)]
    pub busy_ratio: Vec<f64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Sweep {
    pub parallelism: u32,
    pub max_parallelism: u32,
    pub sustainable_throughput: f64,
    pub points: Vec<SweepPoint>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct BenchTyped {
    pub parameters: BenchParameters,
    /// By the prototype's strategy name: `customer`, `composite`, `sticky`.
    pub sweep: BTreeMap<String, Sweep>,
}

#[derive(Debug, Clone)]
pub struct BenchResults {
    pub typed: BenchTyped,
    /// The whole report, for the templates to print.
    pub raw: serde_json::Value,
}

pub fn load(path: &Path) -> Result<Option<BenchResults>, InputError> {
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| InputError::new(path, format!("cannot read the file: {e}")))?;
    let parse = |e: serde_json::Error| {
        // serde_json appends "at line L column C"; the line goes in front like every input error.
        let text = e.to_string();
        let what = text
            .rsplit_once(" at line ")
            .map_or(text.as_str(), |(w, _)| w);
        InputError::new(
            path,
            format!("not a benchmark report: {what} (column {})", e.column()),
        )
        .at_line(e.line() as u64)
    };
    let raw: serde_json::Value = serde_json::from_str(&text).map_err(parse)?;
    let typed: BenchTyped = serde_json::from_str(&text).map_err(parse)?;
    for name in ["customer", "composite", "sticky"] {
        if !typed.sweep.contains_key(name) {
            return Err(
                InputError::new(path, format!("expected a sweep of strategy `{name}`"))
                    .in_field("sweep"),
            );
        }
    }
    Ok(Some(BenchResults { typed, raw }))
}
