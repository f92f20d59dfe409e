//! A future no strategy carries: `tests/data-hyper/` grows the committed
//! forecast tenfold over the year. The documents must say that nothing fits,
//! from which month, what does not fit and what would.

use std::sync::OnceLock;

use specgen::build::{self, Layout, Rendered};
use specgen::inputs;
use specgen::model;

use crate::helpers::Scratch;

const HYPER_FILES: &[&str] = &["forecast.csv", "onboardings.csv"];

pub fn hyper_scratch() -> Scratch {
    Scratch::overlay("data-hyper", HYPER_FILES)
}

/// The in-memory render of this data set (Markdown, PDFs, workbook), once per test binary.
pub fn hyper_render() -> &'static Rendered {
    static CELL: OnceLock<Rendered> = OnceLock::new();
    CELL.get_or_init(|| {
        let s = hyper_scratch();
        build::render(&Layout {
            root: s.root().to_path_buf(),
        })
        .unwrap_or_else(|e| panic!("{e}"))
    })
}

/// The inputs under `s` and the model and chapters drafted from them.
fn drafted(s: &Scratch) -> (inputs::Inputs, build::Draft) {
    let layout = Layout {
        root: s.root().to_path_buf(),
    };
    let inputs = inputs::load(&layout.data()).unwrap_or_else(|e| panic!("{e}"));
    let draft = build::draft(&layout, &inputs).unwrap_or_else(|e| panic!("{e}"));
    (inputs, draft)
}

#[test]
fn when_nothing_fits_the_documents_say_what_from_when_and_what_would() {
    let s = hyper_scratch();
    let (_, draft) = drafted(&s);
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
    // Flink and the base total have no price; cross-zone traffic still flows.
    assert_eq!((cells[3], cells[7]), ("—", "**—**"), "{cost_row}");

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

#[test]
fn a_quarter_the_plan_does_not_carry_has_no_price() {
    let s = hyper_scratch();
    let (inputs, draft) = drafted(&s);
    let m = &draft.model;
    let carried_through = m.last_carried_month;
    assert!(
        carried_through < m.plan.months(),
        "hyper growth outgrows the plan"
    );

    // The first quarter, priced by hand from data/: the most any of its
    // months needs of brokers, TaskManagers and ClickHouse nodes, at the
    // unit prices with disks, for each of its months.
    let c = &inputs.assumptions.cost;
    let arch = &inputs.architecture;
    let gb = c.storage_gb_per_month.value;
    let first = &m.rollout.quarters[0];
    let (mut brokers, mut task_managers, mut nodes) = (0, 0, 0);
    for month in first.from_month..=first.to_month {
        let p = &m.plan.get(month).base;
        assert!(p.carried, "month {month} of the first quarter");
        brokers = brokers.max(p.brokers.brokers);
        task_managers = task_managers.max(p.flink.task_managers.unwrap());
        nodes = nodes.max(p.clickhouse.nodes);
    }
    let months = f64::from(first.to_month - first.from_month + 1);
    let by_hand = months
        * (f64::from(brokers)
            * (c.kafka_broker_per_month.value + arch.kafka.disk_per_broker_gb * gb)
            + f64::from(task_managers) * c.flink_task_manager_per_month.value
            + f64::from(nodes)
                * (c.clickhouse_replica_per_month.value
                    + arch.clickhouse.disk_per_replica_gb * gb))
        // Cross-zone traffic is billed by use: each month's own.
        + (first.from_month..=first.to_month)
            .map(|month| m.plan.get(month).base.cost.cross_zone)
            .sum::<f64>();
    let priced = first.cost.expect("the first quarter is carried");
    assert!(
        (priced - by_hand).abs() < 1e-6 * by_hand,
        "{priced} vs {by_hand}"
    );

    // A quarter with a month the base plan does not carry has no price,
    // nor has the year: a sum over it would understate what it takes.
    for q in &m.rollout.quarters {
        assert_eq!(
            q.cost.is_some(),
            q.to_month <= carried_through,
            "{}",
            q.label
        );
    }
    assert_eq!(m.rollout.total_cost, None);
    let readout = &draft.chapters["readout.md"];
    let unpriced = m
        .rollout
        .quarters
        .iter()
        .find(|q| q.cost.is_none())
        .unwrap();
    assert!(
        readout.contains(&format!("| {} | — | ", unpriced.label)),
        "{readout}"
    );
    assert!(readout.contains("| **Year** | | **—** |"), "{readout}");
    assert!(readout.contains("the year has no price"), "{readout}");
    // The risks stand on the last month carried, not on one past it.
    let carried = &m.growth.get(carried_through).base.label;
    let last = &m.growth.get(m.plan.months()).base.label;
    assert!(
        readout.contains(&format!("moves {carried} between")),
        "{readout}"
    );
    assert!(
        !readout.contains(&format!("moves {last} between")),
        "{readout}"
    );
    assert_eq!(m.sensitivity.month, carried_through);
    let summary = &draft.chapters["summary.md"];
    assert!(
        summary.contains(&format!("it carries the load only through {carried}")),
        "{summary}"
    );
}

#[test]
fn when_the_high_forecast_outgrows_the_plan_first_the_risk_says_when() {
    // The hyper forecast with the high scenario eight times as busy per
    // customer from its third month: it stops fitting two months before the
    // base scenario does (2027-05 against 2027-07).
    let s = hyper_scratch();
    let forecast = s.root().join("data/forecast.csv");
    let text = std::fs::read_to_string(&forecast).unwrap();
    let mut lines = text.lines();
    let mut out = format!("{}\n", lines.next().unwrap());
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        let month: u32 = cells[0].parse().unwrap();
        if cells[2] == "high" && month >= 3 {
            let rate: f64 = cells[4].parse().unwrap();
            out.push_str(&format!(
                "{},{},{},{},{}\n",
                cells[0],
                cells[1],
                cells[2],
                cells[3],
                rate * 8.0
            ));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    std::fs::write(&forecast, out).unwrap();
    let (_, draft) = drafted(&s);
    let m = &draft.model;
    let carried = m.last_carried_month;
    let high_stops = (1..=carried)
        .find(|&month| !m.plan.get(month).high.carried)
        .expect("the high forecast stops fitting first");
    let (stops, carried) = (
        &m.growth.get(high_stops).base.label,
        &m.growth.get(carried).base.label,
    );
    let readout = &draft.chapters["readout.md"];
    assert!(
        readout.contains(&format!(
            "outgrows the plan sooner: at the high forecast it stops carrying the load in {stops}, before {carried}."
        )),
        "{readout}"
    );
    let rollout = &draft.chapters["rollout.md"];
    assert!(
        rollout.contains(&format!(
            "the plan stops carrying the load in {stops}, before {carried}, the last month it carries at the base forecast"
        )),
        "{rollout}"
    );
}
