//! `data/bench/plan.tsv`: the month of the capacity plan the prototype
//! replays. `specgen build` writes it from the model (the keyed vertex's
//! parallelism and maxParallelism that month, every customer's share of the
//! month's events and its sub-key count); `just bench` reads it here, so the
//! prototype tests the plan rather than choices of its own.
//!
//! Tab-separated, one record per line, `#` comments:
//!
//! - `param NAME VALUE`: `month` (1-based month of the plan), `month_label`,
//!   `scenario`, `strategy` (the plan's), `peak_records_per_s` (the keyed
//!   vertex's records/s at the month's peak), `service_time_us` (a keyed
//!   subtask's busy time per record), `keyed_parallelism`, `max_parallelism`;
//! - `event_type NAME SHARE`;
//! - `customer ID SHARE SUB_KEYS`: the customer's share of the month's
//!   events and how many sub-keys the plan splits it into (1: not split).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::error::InputError;

/// One customer of the month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanCustomer {
    pub customer_id: i64,
    pub share: f64,
    pub sub_keys: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchPlan {
    pub month: u32,
    pub month_label: String,
    pub scenario: String,
    pub strategy: String,
    pub peak_records_per_s: f64,
    pub service_time_us: f64,
    pub keyed_parallelism: u32,
    pub max_parallelism: u32,
    /// Event type names with their shares, in file order.
    pub event_types: Vec<(String, f64)>,
    /// Heaviest first, as the file lists them.
    pub customers: Vec<PlanCustomer>,
}

const PARAMS: [&str; 8] = [
    "month",
    "month_label",
    "scenario",
    "strategy",
    "peak_records_per_s",
    "service_time_us",
    "keyed_parallelism",
    "max_parallelism",
];

/// Data text goes into a tab-separated line: no tab or line break survives.
/// Every plan file the benchmarks read (this one, the Flink job's, the
/// ClickHouse experiment's) writes its text fields through it.
pub fn field_text(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

impl BenchPlan {
    /// The file's text. Numbers are printed in Rust's shortest round-trip
    /// form, so reading the file gives back the same plan bit for bit.
    pub fn to_tsv(&self) -> String {
        let mut s = format!(
            "# The capacity plan's {} ({} scenario), which `just bench` replays.\n\
             # Written by `specgen build` from data/; edit data/, not this file.\n",
            field_text(&self.month_label),
            field_text(&self.scenario)
        );
        let params = [
            self.month.to_string(),
            field_text(&self.month_label),
            field_text(&self.scenario),
            field_text(&self.strategy),
            self.peak_records_per_s.to_string(),
            self.service_time_us.to_string(),
            self.keyed_parallelism.to_string(),
            self.max_parallelism.to_string(),
        ];
        for (name, value) in PARAMS.iter().zip(params) {
            let _ = writeln!(s, "param\t{name}\t{value}");
        }
        for (name, share) in &self.event_types {
            let _ = writeln!(s, "event_type\t{}\t{share}", field_text(name));
        }
        for c in &self.customers {
            let _ = writeln!(
                s,
                "customer\t{}\t{}\t{}",
                c.customer_id, c.share, c.sub_keys
            );
        }
        s
    }

    /// A fingerprint of the whole plan (64-bit FNV-1a over its text): a
    /// benchmark report carrying it can be told apart from one made on
    /// another plan.
    pub fn digest(&self) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in self.to_tsv().bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        format!("{h:016x}")
    }

    /// The customers the plan splits, with their sub-key counts.
    pub fn split_customers(&self) -> Vec<(i64, u32)> {
        self.customers
            .iter()
            .filter(|c| c.sub_keys > 1)
            .map(|c| (c.customer_id, c.sub_keys))
            .collect()
    }
}

/// Reads the plan; `Ok(None)` when there is no file (no plan written yet).
pub fn load(path: &Path) -> Result<Option<BenchPlan>, InputError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(InputError::new(path, format!("cannot read: {e}"))),
    };
    parse(path, &text).map(Some)
}

pub fn parse(path: &Path, text: &str) -> Result<BenchPlan, InputError> {
    let mut params: BTreeMap<&str, (u64, &str)> = BTreeMap::new();
    let mut event_types = Vec::new();
    let mut customers = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        let n = i as u64 + 1;
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let err = |field: &str, msg: String| InputError::new(path, msg).at_line(n).in_field(field);
        let fields: Vec<&str> = line.split('\t').collect();
        match (fields[0], fields.len()) {
            ("param", 3) => {
                if !PARAMS.contains(&fields[1]) {
                    return Err(err(
                        "param",
                        format!(
                            "unknown parameter `{}`; expected one of {}",
                            fields[1],
                            PARAMS.join(", ")
                        ),
                    ));
                }
                if params.insert(fields[1], (n, fields[2])).is_some() {
                    return Err(err(fields[1], "given twice".into()));
                }
            }
            ("event_type", 3) => {
                let share = share(fields[2]).map_err(|m| err("share", m))?;
                event_types.push((fields[1].to_owned(), share));
            }
            ("customer", 4) => {
                let customer_id: i64 = fields[1].parse().map_err(|_| {
                    err(
                        "customer_id",
                        format!("expected an integer id, found `{}`", fields[1]),
                    )
                })?;
                if !seen.insert(customer_id) {
                    return Err(err(
                        "customer_id",
                        format!("customer {customer_id} listed twice"),
                    ));
                }
                let share = share(fields[2]).map_err(|m| err("share", m))?;
                let sub_keys = fields[3]
                    .parse::<u32>()
                    .ok()
                    .filter(|&k| k >= 1)
                    .ok_or_else(|| {
                        err(
                            "sub_keys",
                            format!("expected a whole number from 1, found `{}`", fields[3]),
                        )
                    })?;
                customers.push(PlanCustomer {
                    customer_id,
                    share,
                    sub_keys,
                });
            }
            (kind @ ("param" | "event_type" | "customer"), count) => {
                let expected = if kind == "customer" { 4 } else { 3 };
                return Err(err(
                    kind,
                    format!("expected {expected} tab-separated fields, found {count}"),
                ));
            }
            (other, _) => {
                return Err(err(
                    "record",
                    format!("unknown record `{other}`; expected param, event_type or customer"),
                ));
            }
        }
    }
    let get = |name: &str| {
        params.get(name).copied().ok_or_else(|| {
            InputError::new(path, "missing; `specgen build` writes it").in_field(name)
        })
    };
    let number = |name: &str| -> Result<f64, InputError> {
        let (n, v) = get(name)?;
        v.parse::<f64>()
            .ok()
            .filter(|x| x.is_finite() && *x > 0.0)
            .ok_or_else(|| {
                InputError::new(path, format!("expected a positive number, found `{v}`"))
                    .at_line(n)
                    .in_field(name)
            })
    };
    let count = |name: &str| -> Result<u32, InputError> {
        let (n, v) = get(name)?;
        v.parse::<u32>().ok().filter(|&x| x >= 1).ok_or_else(|| {
            InputError::new(path, format!("expected a whole number from 1, found `{v}`"))
                .at_line(n)
                .in_field(name)
        })
    };
    let text_param = |name: &str| get(name).map(|(_, v)| v.to_owned());
    let plan = BenchPlan {
        month: count("month")?,
        month_label: text_param("month_label")?,
        scenario: text_param("scenario")?,
        strategy: text_param("strategy")?,
        peak_records_per_s: number("peak_records_per_s")?,
        service_time_us: number("service_time_us")?,
        keyed_parallelism: count("keyed_parallelism")?,
        max_parallelism: count("max_parallelism")?,
        event_types,
        customers,
    };
    if plan.keyed_parallelism > plan.max_parallelism {
        let (n, _) = get("keyed_parallelism")?;
        return Err(InputError::new(
            path,
            format!(
                "{} subtasks over {} key groups; expected at most as many subtasks as key groups",
                plan.keyed_parallelism, plan.max_parallelism
            ),
        )
        .at_line(n)
        .in_field("keyed_parallelism"));
    }
    for (what, total) in [
        (
            "customer",
            plan.customers.iter().map(|c| c.share).sum::<f64>(),
        ),
        (
            "event_type",
            plan.event_types.iter().map(|e| e.1).sum::<f64>(),
        ),
    ] {
        if (total - 1.0).abs() > 1e-6 {
            return Err(InputError::new(
                path,
                format!("the {what} shares sum to {total}; expected 1"),
            )
            .in_field(what));
        }
    }
    Ok(plan)
}

fn share(text: &str) -> Result<f64, String> {
    text.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && (0.0..=1.0).contains(s))
        .ok_or_else(|| format!("expected a share between 0 and 1, found `{text}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> BenchPlan {
        BenchPlan {
            month: 12,
            month_label: "2027-12".into(),
            scenario: "base".into(),
            strategy: "sticky sub-keys".into(),
            peak_records_per_s: 1_621_469.25,
            service_time_us: 42.004_404_828_829_415,
            keyed_parallelism: 342,
            max_parallelism: 2048,
            event_types: vec![("click".into(), 0.7), ("view".into(), 0.3)],
            customers: vec![
                PlanCustomer {
                    customer_id: 100_017,
                    share: 0.1 / 3.0,
                    sub_keys: 43,
                },
                PlanCustomer {
                    customer_id: 7,
                    share: 1.0 - 0.1 / 3.0,
                    sub_keys: 1,
                },
            ],
        }
    }

    #[test]
    fn the_text_reads_back_bit_for_bit() {
        let p = plan();
        let back = parse(Path::new("plan.tsv"), &p.to_tsv()).unwrap();
        assert_eq!(back, p);
        assert_eq!(back.digest(), p.digest());
        assert_eq!(p.split_customers(), vec![(100_017, 43)]);
    }

    #[test]
    fn the_digest_moves_with_any_field() {
        let p = plan();
        let mut q = p.clone();
        q.customers[1].sub_keys = 2;
        assert_ne!(q.digest(), p.digest());
        let mut q = p.clone();
        q.keyed_parallelism += 1;
        assert_ne!(q.digest(), p.digest());
    }

    #[test]
    fn bad_lines_name_their_line_and_field() {
        let text = plan().to_tsv();
        let cases = [
            ("customer\t100017\t", "customer\t100017x\t", "customer_id"),
            ("\t43\n", "\t0\n", "sub_keys"),
            ("param\tmonth\t12", "param\tmonth\ttwelve", "month"),
            ("param\tscenario", "param\tscenery", "param"),
            ("event_type\tview\t0.3", "event_type\tview\t1.3", "share"),
            (
                "param\tkeyed_parallelism\t342",
                "param\tkeyed_parallelism\t4096",
                "keyed_parallelism",
            ),
        ];
        for (from, to, field) in cases {
            assert!(text.contains(from), "{from}");
            let bad = text.replacen(from, to, 1);
            let e = parse(Path::new("data/bench/plan.tsv"), &bad).unwrap_err();
            assert_eq!(e.field.as_deref(), Some(field), "{e}");
            let line = text
                .lines()
                .zip(bad.lines())
                .position(|(a, b)| a != b)
                .unwrap() as u64
                + 1;
            assert_eq!(e.line, Some(line), "{e}");
            assert!(e.to_string().starts_with("data/bench/plan.tsv:"), "{e}");
        }
        let e = parse(
            Path::new("p"),
            &text.replace("param\tstrategy\tsticky sub-keys\n", ""),
        )
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("strategy"));
        let e = parse(
            Path::new("p"),
            &text
                .replace("customer\t7\t", "customer\t8\t")
                .replace(&format!("\t{}\t1", 1.0 - 0.1 / 3.0), "\t0.5\t1"),
        )
        .unwrap_err();
        assert!(e.message.contains("sum to"), "{e}");
    }
}
