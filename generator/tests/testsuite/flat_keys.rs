//! A third future: `tests/data-flat/` has no hot customer today and one
//! onboarding that outweighs all of them. The onboarded customer is a key of
//! its own, so the model must see it as the hottest key and refuse to hash by
//! `customer_id`, where a model that added its traffic to the total alone
//! would have spread it over today's customers and kept the whole-key strategy.

use std::sync::OnceLock;

use specgen::build::{self, Layout, Rendered};
use specgen::inputs;
use specgen::model::strategy::{CustomerRef, Strategy};
use specgen::model::{self, Infeasible, Model};

use crate::helpers::Scratch;

/// The files of `tests/data-flat/` that replace their namesakes in `data/`.
const FLAT_FILES: &[&str] = &[
    "onboardings.csv",
    "keys/hot_customers.csv",
    "keys/tail.toml",
];

pub fn flat_scratch() -> Scratch {
    Scratch::overlay("data-flat", FLAT_FILES)
}

fn flat_model() -> &'static Model {
    static CELL: OnceLock<Model> = OnceLock::new();
    CELL.get_or_init(|| {
        let inputs = inputs::load(&flat_scratch().path("data")).unwrap_or_else(|e| panic!("{e}"));
        model::run(&inputs)
    })
}

pub fn flat_render() -> &'static Rendered {
    static CELL: OnceLock<Rendered> = OnceLock::new();
    CELL.get_or_init(|| {
        let s = flat_scratch();
        build::render(&Layout {
            root: s.root().to_path_buf(),
        })
        .unwrap_or_else(|e| panic!("{e}"))
    })
}

#[test]
fn the_onboarded_customer_is_the_hottest_key_and_rules_out_whole_customer_keys() {
    let m = flat_model();
    // Month 12, base: 9,200 customers × 60 events/s = 552,000 organic, plus
    // Megacorp's 600,000: it carries 600,000 / 1,152,000 = 52.08% of events.
    let last = &m.plan.last().base;
    let heaviest = &last.heaviest_customers[0];
    assert_eq!(heaviest.customer, CustomerRef::Onboarding(0));
    assert!((heaviest.share - 600_000.0 / 1_152_000.0).abs() < 1e-12);
    // Today's 4,000 customers are alike: each carries 1/4,000 of the
    // organic 552,000 / 1,152,000.
    let today = &last.heaviest_customers[1];
    assert!(matches!(today.customer, CustomerRef::Known(_)));
    assert!((today.share - 552_000.0 / 1_152_000.0 / 4000.0).abs() < 1e-15);

    // Before Megacorp (months 1 to 5) a whole customer is a small key and
    // hashing by customer_id fits; from month 6 its one key is too hot.
    for (month, by) in m.strategies.iter() {
        let customer = &by.base.customer_id;
        if month < 6 {
            assert!(customer.feasible, "month {month}: {customer:#?}");
        } else {
            assert!(
                matches!(
                    customer.partitions.partitions,
                    Err(Infeasible::KeyTooHot { .. })
                ),
                "month {month}: {:#?}",
                customer.partitions
            );
        }
    }
    let verdict = m
        .decision
        .verdicts
        .iter()
        .find(|v| v.strategy == Strategy::CustomerId)
        .expect("a verdict");
    assert_eq!(verdict.first_infeasible_month, Some(6));
    assert_eq!(m.decision.chosen, Strategy::SubKeys);
    // The sticky strategy splits Megacorp, and only Megacorp: no customer of
    // today's comes near the per-key limit.
    let split = &last.sub_keys;
    assert_eq!(split.len(), 1, "{split:#?}");
    assert_eq!(split[0].customer, CustomerRef::Onboarding(0));
    // ceil(peak rate / per-key limit), both from the plan.
    let peak = m.growth.last().base.peak_events_per_s;
    let high_peak = m.growth.last().high.peak_events_per_s;
    let high_share = 600_000.0 / m.growth.last().high.avg_events_per_s;
    // The split follows the customer's highest peak of the month's scenarios.
    let rate = (heaviest.share * peak).max(high_share * high_peak);
    assert_eq!(
        split[0].sub_keys,
        (rate / last.sub_key_limit_per_s).ceil() as u32
    );
}

#[test]
fn the_documents_name_the_onboarded_customer_and_its_sub_keys() {
    let r = flat_render();
    let partitioning = String::from_utf8(r.book_src["partitioning.md"].clone()).unwrap();
    let row = partitioning
        .lines()
        .find(|l| l.starts_with("| Megacorp |"))
        .unwrap_or_else(|| panic!("no row names Megacorp:\n{partitioning}"));
    assert!(row.contains("not yet known"), "{row}");
    assert!(row.contains("52.1%"), "{row}");
    // No hot customer is listed; the sub-key table still has Megacorp's
    // row: unsplit before month 6, split from then on.
    let sub_keys = partitioning
        .lines()
        .find(|l| l.starts_with("| Megacorp | 1 | 1 | 1 | 1 | 1 |"))
        .unwrap_or_else(|| panic!("no sub-key row for Megacorp:\n{partitioning}"));
    assert!(
        !sub_keys.contains("| 1 | 1 | 1 | 1 | 1 | 1 |"),
        "{sub_keys}"
    );
    let summary = String::from_utf8(r.book_src["summary.md"].clone()).unwrap();
    assert!(summary.contains("sticky-key sub-partitioning"), "{summary}");
}
