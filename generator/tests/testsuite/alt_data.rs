//! A second future: `tests/data-alt/` overlays slower growth and a flatter key
//! distribution on the committed inputs, and the model's verdict changes with it.

use std::sync::OnceLock;

use specgen::build::{self, Layout, Rendered};
use specgen::inputs;
use specgen::model::decision::Decision;
use specgen::model::strategy::Strategy;
use specgen::model::{self, Model, MonthPlan};
use specgen::view::words;

use crate::helpers::Scratch;

/// The files of `tests/data-alt/` that replace their namesakes in `data/`.
const ALT_FILES: &[&str] = &[
    "forecast.csv",
    "onboardings.csv",
    "keys/hot_customers.csv",
    "keys/tail.toml",
];

/// A scratch project with the alternative growth and key distribution over the committed data.
pub fn alt_scratch() -> Scratch {
    Scratch::overlay("data-alt", ALT_FILES)
}

/// The model of one data set, run once per test binary.
fn run_model(s: &Scratch) -> Model {
    let inputs = inputs::load(&s.path("data")).unwrap_or_else(|e| panic!("{e}"));
    model::run(&inputs)
}

/// The in-memory render of one data set (Markdown, PDFs, workbook), once per test binary.
fn render(s: &Scratch) -> Rendered {
    build::render(&Layout {
        root: s.root().to_path_buf(),
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

fn committed_model() -> &'static Model {
    static CELL: OnceLock<Model> = OnceLock::new();
    CELL.get_or_init(|| run_model(&Scratch::new()))
}

fn alt_model() -> &'static Model {
    static CELL: OnceLock<Model> = OnceLock::new();
    CELL.get_or_init(|| run_model(&alt_scratch()))
}

fn committed_render() -> &'static Rendered {
    static CELL: OnceLock<Rendered> = OnceLock::new();
    CELL.get_or_init(|| render(&Scratch::new()))
}

pub fn alt_render() -> &'static Rendered {
    static CELL: OnceLock<Rendered> = OnceLock::new();
    CELL.get_or_init(|| render(&alt_scratch()))
}

fn last_base(m: &Model) -> &MonthPlan {
    &m.plan.last().base
}

/// A strategy's name as the spec prints it: the view's own words.
fn display_name(s: Strategy) -> String {
    words::strategy_name(s).to_owned()
}

fn summary(r: &Rendered) -> String {
    String::from_utf8(r.book_src["summary.md"].clone()).unwrap()
}

fn last_base_avg_events_per_s(m: &Model) -> f64 {
    m.growth.last().base.avg_events_per_s
}

#[test]
fn alt_data_loads_and_renders_every_output() {
    let r = alt_render();
    for rel in ["SUMMARY.md", "summary.md"] {
        assert!(r.book_src.contains_key(rel), "{rel} not rendered");
    }
    for file in [
        "architecture-spec.pdf",
        "cto-readout.pdf",
        "capacity-model.xlsx",
    ] {
        assert!(r.out.contains_key(file), "{file} not rendered");
    }
    for (name, pages) in &r.pdf_pages {
        assert!(*pages >= 1, "{name} has no pages");
    }
    // The alt forecast, not the committed one, reached the outputs.
    assert_ne!(
        r.out["capacity-model.xlsx"],
        committed_render().out["capacity-model.xlsx"]
    );
}

#[test]
fn alt_data_keeps_hashing_by_customer_id_where_the_committed_data_cannot() {
    let (c, a) = (&committed_model().decision, &alt_model().decision);
    assert_eq!(a.chosen, Strategy::CustomerId, "{a:#?}");
    assert_ne!(a.chosen, c.chosen);
    let verdict = |d: &Decision, s: Strategy| {
        d.verdicts
            .iter()
            .find(|v| v.strategy == s)
            .cloned()
            .expect("every strategy has a verdict")
    };
    let alt_customer = verdict(a, Strategy::CustomerId);
    assert!(alt_customer.feasible_all_months, "{alt_customer:#?}");
    assert_eq!(alt_customer.first_infeasible_month, None);
    // The committed data outgrows per-customer keying within the year.
    let committed_customer = verdict(c, Strategy::CustomerId);
    assert!(
        !committed_customer.feasible_all_months,
        "{committed_customer:#?}"
    );
    // Every base month of the alt set fits with customer_id as the key.
    let months = alt_model()
        .strategies
        .iter()
        .map(|(_, by)| &by.base.customer_id);
    for m in months {
        assert!(m.feasible, "month {} does not fit: {m:#?}", m.month);
    }
}

#[test]
fn alt_data_sizes_a_smaller_pipeline_by_the_last_month() {
    let (cm, am) = (committed_model(), alt_model());
    let (c_avg, a_avg) = (
        last_base_avg_events_per_s(cm),
        last_base_avg_events_per_s(am),
    );
    assert!(a_avg < c_avg, "events/s: alt {a_avg} vs committed {c_avg}");
    let (c, a) = (last_base(cm), last_base(am));
    assert!(
        a.brokers.brokers < c.brokers.brokers,
        "brokers: alt {} vs committed {}",
        a.brokers.brokers,
        c.brokers.brokers
    );
    let (a_tm, c_tm) = (
        a.flink.task_managers.expect("alt fits"),
        c.flink.task_managers.expect("committed fits"),
    );
    assert!(a_tm < c_tm, "TaskManagers: alt {a_tm} vs committed {c_tm}");
    assert!(
        a.clickhouse.shards < c.clickhouse.shards,
        "shards: alt {} vs committed {}",
        a.clickhouse.shards,
        c.clickhouse.shards
    );
    assert_ne!(a.partitions.partitions, c.partitions.partitions);
    assert!(a.cost.total < c.cost.total);
    // Per-customer keying splits no customer into sub-keys.
    assert!(a.sub_keys.is_empty(), "{:?}", a.sub_keys);
}

/// The strategy the text names first: a summary leads with its recommendation.
fn first_named(text: &str) -> Option<Strategy> {
    Strategy::ALL
        .iter()
        .filter_map(|&s| text.find(&display_name(s)).map(|at| (at, s)))
        .min()
        .map(|(_, s)| s)
}

#[test]
fn alt_summary_recommends_the_other_strategy() {
    let (c_text, a_text) = (summary(committed_render()), summary(alt_render()));
    assert_ne!(c_text, a_text);
    let (c_chosen, a_chosen) = (
        committed_model().decision.chosen,
        alt_model().decision.chosen,
    );
    assert_eq!(first_named(&c_text), Some(c_chosen), "{c_text}");
    assert_eq!(first_named(&a_text), Some(a_chosen), "{a_text}");
    assert_ne!(first_named(&c_text), first_named(&a_text));
}
