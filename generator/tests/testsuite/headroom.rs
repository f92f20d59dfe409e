//! What the plan's fleet carries, month by month: the rate at which its
//! busiest stage would be 100% busy, worked by hand on the committed data,
//! the readout's sentence about it, and a plan that stops carrying the
//! forecast, whose fleet line stops with it.

use specgen::build::{self, Layout};
use specgen::inputs::{self, Scenario};
use specgen::model::headroom::Stage;

use crate::helpers::repo_root;
use crate::hyper_growth::hyper_render;

#[test]
fn the_fleet_carries_what_its_shards_merge_worked_by_hand() {
    let layout = Layout { root: repo_root() };
    let inputs = inputs::load(&layout.data()).unwrap_or_else(|e| panic!("{e}"));
    let draft = build::draft(&layout, &inputs).unwrap_or_else(|e| panic!("{e}"));
    let m = &draft.model;
    let p = &m.plan.get(12).base;
    let load = m.growth.get(12).get(Scenario::Base);
    let c = &p.clickhouse;

    // A shard's utilization at the peak: rows/s per shard over R(B).
    let shard = load.peak_events_per_s * m.clickhouse_rows_per_event
        / f64::from(c.shards)
        / c.merge_safe_rows_per_s;
    // The other stages have more to spare in this month.
    let keyed = p.flink.vertices.iter().find(|v| v.keyed).unwrap();
    let source = p.flink.vertices.iter().find(|v| !v.keyed).unwrap();
    for other in [
        p.brokers.throughput_utilization,
        keyed.hottest_utilization,
        source.hottest_utilization,
    ] {
        assert!(other < shard, "{other} vs the shard's {shard}");
    }
    // So the fleet saturates when the shards do: shards × R(B) rows/s,
    // in events.
    let carries = f64::from(c.shards) * c.merge_safe_rows_per_s / m.clickhouse_rows_per_event;
    let h = m
        .headroom
        .iter()
        .find(|h| h.month == 12)
        .expect("month 12 carried");
    assert_eq!(h.stage, Stage::ClickHouseShard);
    assert!((h.carries_events_per_s - carries).abs() < 1e-6 * carries);
    assert!((h.utilization - shard).abs() < 1e-12);
    // Every carried month has its point, and only those.
    assert_eq!(m.headroom.len(), 12);
    // The readout says it in rounded figures: carries / peak, and the high
    // forecast's peak as a share of what the fleet carries.
    let times = carries / load.peak_events_per_s;
    let high = m.growth.get(12).get(Scenario::High).peak_events_per_s;
    let readout = &draft.chapters["readout.md"];
    let share = format!("{:.0}%", high / carries * 100.0);
    let verdict = if high > carries {
        "is beyond it"
    } else {
        "is within it"
    };
    let expected = format!("{:.1}× the base forecast's peak", times);
    assert!(
        readout.contains(&expected),
        "no {expected:?} in the readout"
    );
    assert!(
        readout.contains(&format!("{verdict} ({share})")),
        "no {verdict:?} ({share}) in the readout"
    );
    assert!(readout.contains("before a ClickHouse shard's merge capacity is saturated"));
}

#[test]
fn a_plan_that_stops_carrying_has_no_fleet_past_its_last_month() {
    let r = hyper_render();
    let readout = String::from_utf8(r.book_src["readout.md"].clone()).unwrap();
    // The tenfold future outgrows the plan in 2027-06: the sentence speaks
    // of that month, the last the plan carries.
    assert!(
        readout.contains("In 2027-06 the plan's fleet carries about"),
        "{readout}"
    );
    let svg = String::from_utf8(r.book_src["figures/demand-capacity-cost.svg"].clone()).unwrap();
    for legend in [
        "fleet carries",
        "base forecast",
        "high forecast",
        "plan (base)",
        "footprint",
    ] {
        assert!(svg.contains(legend), "no legend {legend:?}");
    }
}
