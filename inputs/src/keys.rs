//! `data/keys/`: who sends the events. Hot keys drive the skew, so the top
//! customers are listed by name and share; the long tail is a Zipf model.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::InputError;
use crate::table::{self, At};
use crate::toml_file;

/// A customer listed with its own share of all events.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HotCustomer {
    pub customer_id: i64,
    pub name: String,
    /// Fraction of all events, in (0, 1).
    pub share: f64,
}

/// The customers not listed: `customers` of them, consecutive ids from
/// `first_customer_id`, sharing `share` of the events by a Zipf law of rank.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Tail {
    pub customers: u32,
    pub first_customer_id: i64,
    pub zipf_exponent: f64,
    pub share: f64,
}

/// The second part of the composite key `(customer_id, event_type)`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EventType {
    pub event_type: String,
    pub share: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct TailFile {
    tail: Tail,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyDistribution {
    /// Sorted by share, largest first.
    pub hot: Vec<HotCustomer>,
    pub tail: Tail,
    pub event_types: Vec<EventType>,
}

/// The most customers the tail may model (each is routed one by one).
pub const MAX_TAIL_CUSTOMERS: u32 = 10_000_000;

/// How far from 1 a set of shares may sum (rounding in exports).
pub const SHARE_TOLERANCE: f64 = 1e-3;

impl KeyDistribution {
    /// Every customer with its share: the hot ones, then the tail by rank.
    pub fn customers(&self) -> Vec<(i64, f64)> {
        let mut out: Vec<(i64, f64)> = self.hot.iter().map(|h| (h.customer_id, h.share)).collect();
        let weights: Vec<f64> = (1..=self.tail.customers)
            .map(|rank| (rank as f64).powf(-self.tail.zipf_exponent))
            .collect();
        let total: f64 = weights.iter().sum();
        for (i, w) in weights.iter().enumerate() {
            out.push((
                self.tail.first_customer_id + i as i64,
                self.tail.share * w / total,
            ));
        }
        out
    }

    pub fn customer_count(&self) -> usize {
        self.hot.len() + self.tail.customers as usize
    }
}

pub fn load(dir: &Path) -> Result<KeyDistribution, InputError> {
    let hot_path = dir.join("hot_customers.csv");
    let rows = table::read_any::<HotCustomer>(&hot_path, &["customer_id", "name", "share"])?;
    for (i, row) in rows.iter().enumerate() {
        let at = At {
            file: &hot_path,
            line: row.line,
        };
        let share = at.positive("share", row.value.share)?;
        if share >= 1.0 {
            return Err(at.error("share", format!("expected a share below 1, found {share}")));
        }
        if rows[..i]
            .iter()
            .any(|r| r.value.customer_id == row.value.customer_id)
        {
            return Err(at.error(
                "customer_id",
                format!("customer {} is listed twice", row.value.customer_id),
            ));
        }
    }
    let mut hot: Vec<HotCustomer> = rows.into_iter().map(|r| r.value).collect();
    hot.sort_by(|a, b| {
        b.share
            .total_cmp(&a.share)
            .then(a.customer_id.cmp(&b.customer_id))
    });

    let tail_path = dir.join("tail.toml");
    let file = toml_file::read::<TailFile>(&tail_path)?;
    let tail = file.value.tail.clone();
    let tail_err = |key: &str, msg: String| {
        file.error(&tail_path, "[tail]", 0, key, format!("tail.{key}"), msg)
    };
    if !(1..=MAX_TAIL_CUSTOMERS).contains(&tail.customers) {
        return Err(tail_err(
            "customers",
            format!(
                "expected 1 to {MAX_TAIL_CUSTOMERS} tail customers, found {}",
                tail.customers
            ),
        ));
    }
    if !(tail.zipf_exponent.is_finite() && tail.zipf_exponent >= 0.0) {
        return Err(tail_err(
            "zipf_exponent",
            format!(
                "expected a finite exponent >= 0, found {}",
                tail.zipf_exponent
            ),
        ));
    }
    // 1 when no customer is listed as hot: the tail is all the traffic.
    if !(tail.share.is_finite() && tail.share > 0.0 && tail.share <= 1.0) {
        return Err(tail_err(
            "share",
            format!("expected a share in (0, 1], found {}", tail.share),
        ));
    }
    let tail_ids = tail.first_customer_id..tail.first_customer_id + i64::from(tail.customers);
    if let Some(h) = hot.iter().find(|h| tail_ids.contains(&h.customer_id)) {
        return Err(tail_err(
            "first_customer_id",
            format!(
                "tail ids {}..{} include hot customer {}",
                tail_ids.start, tail_ids.end, h.customer_id
            ),
        ));
    }
    let total: f64 = hot.iter().map(|h| h.share).sum::<f64>() + tail.share;
    if (total - 1.0).abs() > SHARE_TOLERANCE {
        return Err(InputError::new(
            &hot_path,
            format!("the hot customers' shares plus the tail share (tail.toml) sum to {total:.4}, expected 1"),
        )
        .in_field("share"));
    }

    let types_path = dir.join("event_types.csv");
    let rows = table::read::<EventType>(&types_path, &["event_type", "share"])?;
    for (i, row) in rows.iter().enumerate() {
        let at = At {
            file: &types_path,
            line: row.line,
        };
        at.positive("share", row.value.share)?;
        if rows[..i]
            .iter()
            .any(|r| r.value.event_type == row.value.event_type)
        {
            return Err(at.error(
                "event_type",
                format!("event type `{}` is listed twice", row.value.event_type),
            ));
        }
    }
    let total: f64 = rows.iter().map(|r| r.value.share).sum();
    if (total - 1.0).abs() > SHARE_TOLERANCE {
        return Err(
            InputError::new(&types_path, format!("shares sum to {total:.4}, expected 1"))
                .in_field("share"),
        );
    }
    Ok(KeyDistribution {
        hot,
        tail,
        event_types: rows.into_iter().map(|r| r.value).collect(),
    })
}
