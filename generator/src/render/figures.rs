//! Which charts the spec shows, drawn from the model.

use super::charts::{self, Chart, Line, LineChart, PALETTE};
use crate::error::Result;
use crate::inputs::Scenario;
use crate::model::Model;

/// Where the chapters find the charts, relative to `spec/src/`.
pub const FIGURE_DIR: &str = "figures";

pub fn all(model: &Model) -> Result<Vec<Chart>> {
    Ok(vec![events_by_month(model)?])
}

fn events_by_month(model: &Model) -> Result<Chart> {
    let series = |scenario: Scenario, peak: bool| -> Vec<(f64, f64)> {
        model
            .growth
            .iter()
            .filter(|g| g.scenario == scenario)
            .map(|g| {
                (
                    g.month as f64,
                    if peak {
                        g.peak_events_per_s
                    } else {
                        g.avg_events_per_s
                    },
                )
            })
            .collect()
    };
    let labels: Vec<(u32, String)> = model
        .growth
        .iter()
        .map(|g| (g.month, g.label.clone()))
        .collect();
    let x_label = move |x: f64| {
        labels
            .iter()
            .find(|(m, _)| (*m as f64 - x).abs() < 1e-9)
            .map(|(_, l)| l.clone())
            .unwrap_or_default()
    };
    charts::line_chart(&LineChart {
        file_name: "events-by-month.svg",
        x_desc: "month",
        y_desc: "events/s",
        x_label: &x_label,
        lines: vec![
            Line {
                label: "base, peak",
                points: series(Scenario::Base, true),
                color: PALETTE[1],
                dashed: false,
            },
            Line {
                label: "high, average",
                points: series(Scenario::High, false),
                color: PALETTE[3],
                dashed: true,
            },
            Line {
                label: "base, average",
                points: series(Scenario::Base, false),
                color: PALETTE[0],
                dashed: false,
            },
            Line {
                label: "low, average",
                points: series(Scenario::Low, false),
                color: PALETTE[2],
                dashed: true,
            },
        ],
    })
}
