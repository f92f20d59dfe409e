//! `model.md`: the sensitivity of the last month to each uncertain
//! assumption, and every assumption with its source.

use serde::Serialize;

use super::text::{Code, Text};
use super::{Source, words};
use crate::model::sensitivity::Swing as ModelSwing;

#[derive(Debug, Serialize)]
pub struct Capacity {
    pub sensitivity: Option<Sensitivity>,
    /// Every assumption: the site's full table.
    pub assumptions: Vec<Assumption>,
    /// Those with a range whose ends move the plan's last month (a count or
    /// its cost): the PDF's table.
    pub uncertain: Vec<Assumption>,
}

#[derive(Debug, Serialize)]
pub struct Sensitivity {
    pub baseline: Nodes,
    /// The swings that move the plan, largest cost swing first.
    pub swings: Vec<Swing>,
    /// The uncertain assumptions whose range moves nothing, by name.
    pub still: Vec<Code>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Nodes {
    pub brokers: u32,
    pub task_managers: String,
    pub clickhouse_nodes: u32,
    pub cost_per_month: f64,
}

/// The last month rerun with one uncertain assumption at each end of its range.
#[derive(Debug, Clone, Serialize)]
pub struct Swing {
    /// 1 for the largest cost swing.
    pub rank: usize,
    pub assumption: Code,
    pub unit: Text,
    pub value: f64,
    pub low: f64,
    pub high: f64,
    pub at_low: Nodes,
    pub at_high: Nodes,
    /// The month's cost at the two ends, cheaper first, whichever end gives it.
    pub cost_span: CostSpan,
}

/// A cost range read in order: "between the cheaper and the dearer".
#[derive(Debug, Clone, Serialize)]
pub struct CostSpan {
    pub cheaper: f64,
    /// The assumption's value that gives the cheaper cost.
    pub cheaper_at: f64,
    pub dearer: f64,
    pub dearer_at: f64,
    /// Both ends cost the same to the dollar: the assumption moves no money.
    pub same: bool,
}

impl CostSpan {
    fn of(s: &ModelSwing) -> CostSpan {
        let (low, high) = (s.at_low.cost_per_month, s.at_high.cost_per_month);
        let ((cheaper, cheaper_at), (dearer, dearer_at)) = if high < low {
            ((high, s.high), (low, s.low))
        } else {
            ((low, s.low), (high, s.high))
        };
        CostSpan {
            cheaper,
            cheaper_at,
            dearer,
            dearer_at,
            same: cheaper.round() == dearer.round(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Assumption {
    pub name: Code,
    pub value: f64,
    pub range: Option<Range>,
    pub unit: Text,
    pub source: Text,
}

#[derive(Debug, Clone, Serialize)]
pub struct Range {
    pub low: f64,
    pub high: f64,
}

fn nodes(n: &crate::model::sensitivity::Nodes) -> Nodes {
    Nodes {
        brokers: n.brokers,
        task_managers: words::count(n.task_managers),
        clickhouse_nodes: n.clickhouse_nodes,
        cost_per_month: n.cost_per_month,
    }
}

/// The swings that move the plan, largest first, ranked from 1.
pub fn swings(src: &Source<'_>) -> Vec<Swing> {
    src.model
        .sensitivity
        .movers()
        .enumerate()
        .map(|(i, s): (usize, &ModelSwing)| Swing {
            rank: i + 1,
            assumption: Code::new(&s.assumption),
            unit: Text::new(&s.unit),
            value: s.value,
            low: s.low,
            high: s.high,
            at_low: nodes(&s.at_low),
            at_high: nodes(&s.at_high),
            cost_span: CostSpan::of(s),
        })
        .collect()
}

pub fn build(src: &Source<'_>) -> Capacity {
    let sensitivity = &src.model.sensitivity;
    // An assumption moves the plan when either end of its range changes a
    // count or the cost of the month the sensitivity reruns.
    let moves = |name: &str| sensitivity.movers().any(|s| s.assumption == name);
    let listed = src.inputs.assumptions.list();
    let shown = |a: &crate::inputs::assumptions::NamedAssumption| Assumption {
        name: Code::new(&a.name),
        value: a.assumption.value,
        range: a
            .assumption
            .low
            .zip(a.assumption.high)
            .map(|(low, high)| Range { low, high }),
        unit: Text::new(&words::unit_of(
            a.assumption.value,
            a.assumption.low.is_some(),
            &a.assumption.unit,
        )),
        source: Text::new(&a.assumption.source),
    };
    let uncertain = || {
        listed
            .iter()
            .filter(|a| a.assumption.low.is_some() && moves(&a.name))
    };
    Capacity {
        sensitivity: Some(Sensitivity {
            baseline: nodes(&sensitivity.baseline),
            swings: swings(src),
            still: sensitivity
                .swings
                .iter()
                .filter(|s| !sensitivity.moves(s))
                .map(|s| Code::new(&s.assumption))
                .collect(),
        }),
        uncertain: uncertain().map(shown).collect(),
        assumptions: listed.iter().map(shown).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::sensitivity::Nodes as ModelNodes;

    fn swing(low: f64, high: f64, cost_at_low: f64, cost_at_high: f64) -> ModelSwing {
        let at = |cost_per_month| ModelNodes {
            brokers: 58,
            task_managers: Some(86),
            clickhouse_nodes: 132,
            cost_per_month,
        };
        ModelSwing {
            assumption: "clickhouse.merge_safe_max_parts".into(),
            unit: "parts".into(),
            value: 300.0,
            low,
            high,
            at_low: at(cost_at_low),
            at_high: at(cost_at_high),
            cost_swing: (cost_at_high - cost_at_low).abs(),
        }
    }

    /// More parts allowed means fewer shards: the high end is the cheaper
    /// one, and the range still reads from the cheaper cost to the dearer.
    #[test]
    fn a_cost_range_reads_cheaper_first_whichever_end_gives_it() {
        let span = CostSpan::of(&swing(200.0, 500.0, 276_420.0, 225_978.0));
        assert_eq!(
            (span.cheaper, span.cheaper_at, span.dearer, span.dearer_at),
            (225_978.0, 500.0, 276_420.0, 200.0)
        );
        assert!(!span.same);
        let span = CostSpan::of(&swing(20.0, 100.0, 247_596.0, 430_148.0));
        assert_eq!((span.cheaper_at, span.dearer_at), (20.0, 100.0));
        // Ends that differ by cents cost the same in whole dollars.
        assert!(CostSpan::of(&swing(1.0, 2.0, 80_014.2, 80_014.4)).same);
    }
}
