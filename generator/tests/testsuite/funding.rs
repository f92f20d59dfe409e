//! What the plan asks to fund: capacity bought by the quarter, and the year
//! beside today's run-rate in every branch of the prose.

use specgen::build::{self, Layout};
use specgen::inputs;

use crate::helpers::repo_root;

/// Today's footprint made far larger than any month needs: the plan costs
/// no more than doing nothing, and no document calls its cost headroom.
#[test]
fn a_plan_no_dearer_than_today_is_not_sold_as_headroom() {
    let layout = Layout { root: repo_root() };
    let mut inputs = inputs::load(&layout.data()).unwrap_or_else(|e| panic!("{e}"));
    inputs.architecture.kafka.brokers = 400;
    inputs.architecture.flink.task_managers = 600;
    inputs.architecture.clickhouse.shards = 300;
    // Cross-zone traffic grows with the load whatever the fleet, so only a
    // pipeline in one zone, which sends nothing across, stays no dearer.
    inputs.architecture.deployment.availability_zones = 1;
    let draft = build::draft(&layout, &inputs).unwrap_or_else(|e| panic!("{e}"));
    let r = &draft.model.rollout;
    let increment = r.increment_over_today.expect("a priced year");
    // Today's fleet for twelve months, by hand: 400 brokers at 368 + 12,000 GB
    // × 0.08, 600 TaskManagers at 140, 300 shards × 2 replicas at 561 + 8,000
    // GB × 0.08: (531,200 + 84,000 + 720,600) × 12 = 16,029,600 USD, and no
    // cross-zone traffic.
    assert_eq!(draft.model.cost_today.cross_zone, 0.0);
    assert!((r.total_cost_doing_nothing - 16_029_600.0).abs() < 1e-6);
    assert!(increment <= 0.0, "{increment}");

    let readout = &draft.chapters["readout.md"];
    let summary = &draft.chapters["summary.md"];
    let rollout = &draft.chapters["rollout.md"];
    for (name, text) in [
        ("readout", readout),
        ("summary", summary),
        ("rollout", rollout),
    ] {
        for wrong in ["buys headroom", "cheaper only on paper", "USD more"] {
            assert!(!text.contains(wrong), "{name} says `{wrong}`: {text}");
        }
    }
    if increment.round() < 0.0 {
        let rounded = specgen::render::markdown::rounded(-increment);
        assert!(
            readout.contains(&format!("{rounded} less than today's run-rate")),
            "{readout}"
        );
        let amount = specgen::render::markdown::group(-increment, 0);
        assert!(
            summary.contains(&format!("({amount} USD less than today's run-rate)")),
            "{summary}"
        );
    }
}
