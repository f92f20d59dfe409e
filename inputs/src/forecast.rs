//! `data/forecast.csv` and `data/onboardings.csv`: the 12-month growth forecast.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::assumptions::parse_month;
use crate::error::InputError;
use crate::table::{self, At, Row};

pub const MONTHS: u32 = 12;
/// Valid ranges of the forecast (see `data/README.md`).
pub const MAX_CUSTOMERS: f64 = 1e9;
pub const MAX_EVENTS_PER_CUSTOMER_PER_S: f64 = 1e6;
pub const MAX_EVENTS_PER_S: f64 = 1e9;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scenario {
    Low,
    Base,
    High,
}

impl Scenario {
    pub const ALL: [Scenario; 3] = [Scenario::Low, Scenario::Base, Scenario::High];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::Low => "low",
            Scenario::Base => "base",
            Scenario::High => "high",
        }
    }
}

/// A calendar month, parsed once from a `YYYY-MM` label.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct CalendarMonth {
    pub year: i32,
    /// 1 to 12.
    pub month: u8,
}

impl CalendarMonth {
    /// The calendar month after this one.
    pub fn next(self) -> CalendarMonth {
        if self.month == 12 {
            CalendarMonth {
                year: self.year + 1,
                month: 1,
            }
        } else {
            CalendarMonth {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// The calendar quarter, 1 to 4.
    pub fn quarter(self) -> u8 {
        (self.month - 1) / 3 + 1
    }
}

/// Organic growth for one month of one scenario.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ForecastRow {
    pub month: u32,
    pub label: String,
    /// The label as a calendar month.
    #[serde(skip)]
    pub calendar: CalendarMonth,
    pub scenario: Scenario,
    pub customers: f64,
    pub events_per_customer_per_s: f64,
}

/// A named large customer whose traffic starts in a given month.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Onboarding {
    pub customer: String,
    pub first_month: u32,
    pub events_per_s: f64,
    /// Space-separated scenarios that include this onboarding.
    pub scenarios: String,
}

impl Onboarding {
    pub fn in_scenario(&self, scenario: Scenario) -> bool {
        self.scenarios
            .split_whitespace()
            .any(|s| s == scenario.name())
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Forecast {
    /// Sorted by (month, scenario); exactly one row per pair.
    pub rows: Vec<ForecastRow>,
    pub onboardings: Vec<Onboarding>,
}

impl Forecast {
    pub fn row(&self, month: u32, scenario: Scenario) -> &ForecastRow {
        self.rows
            .iter()
            .find(|r| r.month == month && r.scenario == scenario)
            .expect("validated: every month has every scenario")
    }
}

const FORECAST_COLUMNS: &[&str] = &[
    "month",
    "label",
    "scenario",
    "customers",
    "events_per_customer_per_s",
];
const ONBOARDING_COLUMNS: &[&str] = &["customer", "first_month", "events_per_s", "scenarios"];

pub fn load(forecast_path: &Path, onboardings_path: &Path) -> Result<Forecast, InputError> {
    let mut rows = table::read::<ForecastRow>(forecast_path, FORECAST_COLUMNS)?;
    let mut seen = BTreeSet::new();
    for row in &mut rows {
        let at = At {
            file: forecast_path,
            line: row.line,
        };
        let r = &mut row.value;
        if !(1..=MONTHS).contains(&r.month) {
            return Err(at.error(
                "month",
                format!("expected a month from 1 to {MONTHS}, found {}", r.month),
            ));
        }
        if !seen.insert((r.month, r.scenario)) {
            return Err(at.error(
                "month",
                format!(
                    "month {} of scenario `{}` appears twice",
                    r.month,
                    r.scenario.name()
                ),
            ));
        }
        let Some((year, month)) = parse_month(&r.label) else {
            return Err(at.error(
                "label",
                format!("expected a calendar month as YYYY-MM, found `{}`", r.label),
            ));
        };
        r.calendar = CalendarMonth { year, month };
        // The valid ranges: a billion customers, a million events/s each, a
        // billion events/s in all; beyond them the model's searches are not meaningful.
        at.at_most(
            "customers",
            at.positive("customers", r.customers)?,
            MAX_CUSTOMERS,
        )?;
        at.at_most(
            "events_per_customer_per_s",
            at.positive("events_per_customer_per_s", r.events_per_customer_per_s)?,
            MAX_EVENTS_PER_CUSTOMER_PER_S,
        )?;
        if r.customers * r.events_per_customer_per_s > MAX_EVENTS_PER_S {
            return Err(at.error(
                "events_per_customer_per_s",
                format!(
                    "expected customers × events per customer <= {MAX_EVENTS_PER_S} events/s, found {}",
                    r.customers * r.events_per_customer_per_s
                ),
            ));
        }
    }
    for month in 1..=MONTHS {
        for scenario in Scenario::ALL {
            if !seen.contains(&(month, scenario)) {
                return Err(InputError::new(
                    forecast_path,
                    format!("month {month} of scenario `{}` is missing: the forecast needs months 1 to {MONTHS} for low, base and high", scenario.name()),
                )
                .in_field("month"));
            }
        }
    }
    check_labels(forecast_path, &rows)?;
    let mut rows: Vec<ForecastRow> = rows.into_iter().map(|r| r.value).collect();
    rows.sort_by_key(|r| (r.month, r.scenario));

    let onboardings = table::read_any::<Onboarding>(onboardings_path, ONBOARDING_COLUMNS)?;
    for row in &onboardings {
        let at = At {
            file: onboardings_path,
            line: row.line,
        };
        let o = &row.value;
        if !(1..=MONTHS).contains(&o.first_month) {
            return Err(at.error(
                "first_month",
                format!(
                    "expected a month from 1 to {MONTHS}, found {}",
                    o.first_month
                ),
            ));
        }
        at.at_most(
            "events_per_s",
            at.positive("events_per_s", o.events_per_s)?,
            MAX_EVENTS_PER_S,
        )?;
        if o.scenarios.split_whitespace().next().is_none() {
            return Err(at.error(
                "scenarios",
                "expected the scenarios that include this onboarding (low, base and/or high, space-separated), found none",
            ));
        }
        for s in o.scenarios.split_whitespace() {
            if !Scenario::ALL.iter().any(|sc| sc.name() == s) {
                return Err(at.error(
                    "scenarios",
                    format!("expected low, base or high, found `{s}`"),
                ));
            }
        }
    }
    Ok(Forecast {
        rows,
        onboardings: onboardings.into_iter().map(|r| r.value).collect(),
    })
}

/// Labels follow the calendar (month m is the month after month m - 1:
/// quarters and dates come from them) and every scenario names a month alike.
fn check_labels(path: &Path, rows: &[Row<ForecastRow>]) -> Result<(), InputError> {
    let mut first_label: BTreeMap<u32, &str> = BTreeMap::new();
    for row in rows {
        let r = &row.value;
        let at = At {
            file: path,
            line: row.line,
        };
        if let Some(previous) = rows.iter().find(|p| p.value.month + 1 == r.month) {
            let expected = previous.value.calendar.next();
            if r.calendar != expected {
                return Err(at.error(
                    "label",
                    format!(
                        "expected month {} to be {}-{:02}, the month after month {}, found `{}`",
                        r.month,
                        expected.year,
                        expected.month,
                        r.month - 1,
                        r.label
                    ),
                ));
            }
        }
    }
    for row in rows {
        let r = &row.value;
        let first = *first_label.entry(r.month).or_insert(&r.label);
        if first != r.label {
            return Err(At {
                file: path,
                line: row.line,
            }
            .error(
                "label",
                format!(
                    "month {} is `{first}` in another scenario, found `{}`",
                    r.month, r.label
                ),
            ));
        }
    }
    Ok(())
}
