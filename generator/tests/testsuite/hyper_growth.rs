//! A future no strategy carries: `tests/data-hyper/` grows the committed
//! forecast tenfold over the year. The documents must say that nothing fits,
//! from which month, what does not fit and what would.

use specgen::build::{self, Layout};
use specgen::inputs;
use specgen::model;

use crate::helpers::Scratch;

const HYPER_FILES: &[&str] = &["forecast.csv", "onboardings.csv"];

pub fn hyper_scratch() -> Scratch {
    Scratch::overlay("data-hyper", HYPER_FILES)
}

#[test]
fn when_nothing_fits_the_documents_say_what_from_when_and_what_would() {
    let s = hyper_scratch();
    let layout = Layout {
        root: s.root().to_path_buf(),
    };
    let inputs = inputs::load(&layout.data()).unwrap_or_else(|e| panic!("{e}"));
    let draft = build::draft(&layout, &inputs).unwrap_or_else(|e| panic!("{e}"));
    let m = &draft.model;
    assert!(
        !m.decision.any_feasible,
        "a strategy carries tenfold growth"
    );
    let chosen = m
        .decision
        .verdicts
        .iter()
        .find(|v| v.strategy == m.decision.chosen)
        .unwrap();
    // The chosen strategy is the one that lasts longest.
    let last_month = |v: &model::decision::Verdict| v.first_infeasible_month.unwrap_or(u32::MAX);
    assert!(
        m.decision
            .verdicts
            .iter()
            .all(|v| last_month(v) <= last_month(chosen))
    );
    let month = chosen.first_infeasible_month.expect("it stops fitting");
    let misfit = chosen.first_misfit.as_ref().expect("with a reason");
    let label = &m.growth.get(month).base.label;

    // A month whose base plan has no TaskManager count is not priced: its
    // Flink line and total are dashes, not 0 and a partial sum.
    let sizing = &draft.chapters["sizing.md"];
    let unpriced = m
        .plan
        .iter()
        .find(|(_, p)| p.base.flink.task_managers.is_none())
        .map(|(month, _)| &m.growth.get(month).base.label)
        .expect("a month without TaskManagers");
    let cost_row = sizing
        .split("Table: Cost by month")
        .next()
        .unwrap()
        .lines()
        .rev()
        .find(|l| l.starts_with(&format!("| {unpriced} |")))
        .expect("the month's cost row");
    let cells: Vec<&str> = cost_row.split('|').map(str::trim).collect();
    assert_eq!((cells[3], cells[6]), ("—", "**—**"), "{cost_row}");

    let summary = &draft.chapters["summary.md"];
    assert!(
        summary.contains("No strategy carries the whole forecast."),
        "{summary}"
    );
    assert!(
        summary.contains(&format!("stops fitting in {label}:")),
        "{summary}"
    );
    assert!(
        !summary.contains("that carries the forecast"),
        "the summary still claims a strategy carries the forecast: {summary}"
    );
    // What does not fit is named: partitions or the job vertex.
    let what = if misfit.what == "partitions" {
        "partition".to_owned()
    } else {
        misfit.what.clone()
    };
    assert!(summary.contains(&what), "{what} not named: {summary}");
    // Failures are taken in the month before: past it no backlog drains.
    let carried = &m.growth.get(month - 1).base.label;
    let readout = &draft.chapters["readout.md"];
    assert!(
        readout.contains(&format!("by {carried}, the last month it carries")),
        "{readout}"
    );
    let faults = &draft.chapters["fault-tolerance.md"];
    assert!(
        faults.contains(&format!(
            "taken in {carried}, the last month the plan carries"
        )),
        "{faults}"
    );
}
