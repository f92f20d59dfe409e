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
    /// Those with a range, which the sensitivity analysis varies: the ones
    /// that move the plan, the PDF's table.
    pub uncertain: Vec<Assumption>,
}

#[derive(Debug, Serialize)]
pub struct Sensitivity {
    pub baseline: Nodes,
    /// Largest cost swing first.
    pub swings: Vec<Swing>,
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

/// The swings, largest first, ranked from 1.
pub fn swings(src: &Source<'_>) -> Vec<Swing> {
    src.model
        .sensitivity
        .swings
        .iter()
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
        })
        .collect()
}

pub fn build(src: &Source<'_>) -> Capacity {
    let assumptions: Vec<Assumption> = src
        .inputs
        .assumptions
        .list()
        .into_iter()
        .map(|a| Assumption {
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
        })
        .collect();
    Capacity {
        sensitivity: Some(Sensitivity {
            baseline: nodes(&src.model.sensitivity.baseline),
            swings: swings(src),
        }),
        uncertain: assumptions
            .iter()
            .filter(|a| a.range.is_some())
            .cloned()
            .collect(),
        assumptions,
    }
}
