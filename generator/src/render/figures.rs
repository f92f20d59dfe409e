//! Which charts the spec shows, drawn from the model.

use super::charts::{self, BarChart, Chart, Line, LineChart, LinePanels, PALETTE, YScale};
use super::diagram;
use super::heat_map::{self, HeatMap, Panel};
use crate::error::Result;
use crate::inputs::BenchReport;
use crate::inputs::Scenario;
use crate::inputs::architecture::Architecture;
use crate::inputs::scenarios::Strategy as BenchStrategy;
use crate::model::Model;
use crate::model::strategy::Strategy;
use crate::model::validation::Validation;
use crate::model::workload::Workload;

/// Where the chapters find the charts, relative to `spec/src/`.
pub const FIGURE_DIR: &str = "figures";

pub fn all(model: &Model, arch: &Architecture, bench: Option<&BenchReport>) -> Result<Vec<Chart>> {
    let w = &model.workload;
    let mut charts = vec![
        diagram::architecture(arch, w)?,
        events_by_month(model)?,
        demand_capacity_cost(model)?,
        throughput_four_weeks(w)?,
        diurnal_profile(w)?,
        partition_skew(w)?,
        subtask_heat_map(w)?,
        clickhouse_parts(w)?,
        cost_tornado(model)?,
    ];
    if let Some((b, v)) = bench.zip(model.validation.as_ref()) {
        charts.push(bench_latency(b)?);
        charts.push(bench_heat_map(b, v)?);
    }
    Ok(charts)
}

/// `YYYY-MM-DD` of a Unix time (UTC), by the civil-from-days algorithm.
pub fn utc_date(ts: i64) -> String {
    let z = ts.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

fn throughput_four_weeks(w: &Workload) -> Result<Chart> {
    let lines: Vec<Line<'_>> = w
        .topics
        .iter()
        .take(1)
        .map(|t| Line {
            label: &t.topic,
            points: t
                .hourly_events_per_s
                .iter()
                .enumerate()
                .map(|(h, v)| (h as f64 / 24.0, *v))
                .collect(),
            color: PALETTE[0],
            dashed: false,
        })
        .collect();
    let first = w.first_ts;
    let x_label = move |x: f64| utc_date(first + (x * 86_400.0).round() as i64)[5..].to_owned();
    charts::line_chart(&LineChart {
        file_name: "throughput-four-weeks.svg",
        x_desc: "day (UTC)",
        y_desc: "events/s (hourly mean)",
        x_label: &x_label,
        lines,
        y_scale: YScale::Linear,
    })
}

fn diurnal_profile(w: &Workload) -> Result<Chart> {
    let t = &w.topics[0];
    let x_label = |x: f64| format!("{:02}h", x.round() as i64);
    charts::line_chart(&LineChart {
        file_name: "diurnal-profile.svg",
        x_desc: "hour of day (UTC)",
        y_desc: "rate ÷ mean",
        x_label: &x_label,
        lines: vec![Line {
            label: &t.topic,
            points: t
                .diurnal
                .iter()
                .enumerate()
                .map(|(h, v)| (h as f64, *v))
                .collect(),
            color: PALETTE[0],
            dashed: false,
        }],
        y_scale: YScale::Linear,
    })
}

fn partition_skew(w: &Workload) -> Result<Chart> {
    let s = &w.partition_skew;
    let pct = |y: f64| format!("{:.0}%", y * 100.0);
    charts::bar_chart(&BarChart {
        file_name: "partition-skew.svg",
        x_desc: "partition",
        y_desc: "share of events",
        bars: s
            .shares
            .iter()
            .enumerate()
            .map(|(p, v)| (p.to_string(), *v))
            .collect(),
        highlight: vec![s.hottest_partition as usize],
        reference: Some(("fair share", s.fair_share)),
        y_format: &pct,
        empty_note: "no partition measured",
    })
}

fn subtask_heat_map(w: &Workload) -> Result<Chart> {
    let subtasks = || w.operators.iter().flat_map(|o| o.subtasks.iter());
    heat_map::heat_map(&HeatMap {
        file_name: "subtask-heat-map.svg",
        // An operator's subtasks in order under one label: a row is thinner
        // than a line of text.
        row_groups: w
            .operators
            .iter()
            .map(|o| (o.name.clone(), o.subtasks.len()))
            .collect(),
        column_labels: (0..24).map(|h| format!("{h:02}h")).collect(),
        column_step: Some(6),
        x_desc: "hour of day (UTC)",
        panels: vec![
            Panel {
                title: "busy",
                color: PALETTE[1],
                values: subtasks().map(|s| s.busy_by_hour.clone()).collect(),
            },
            Panel {
                title: "backpressured",
                color: PALETTE[0],
                values: subtasks()
                    .map(|s| s.backpressured_by_hour.clone())
                    .collect(),
            },
        ],
        empty_note: "no subtask measured",
    })
}

fn clickhouse_parts(w: &Workload) -> Result<Chart> {
    let c = &w.clickhouse;
    let first = w.first_ts;
    let x_label = move |x: f64| utc_date(first + (x * 86_400.0).round() as i64)[5..].to_owned();
    let days = c.hourly_max_active_parts.len() as f64 / 24.0;
    charts::line_chart(&LineChart {
        file_name: "clickhouse-parts.svg",
        x_desc: "day (UTC)",
        y_desc: "active parts (max over shards)",
        x_label: &x_label,
        y_scale: YScale::Linear,
        lines: vec![
            Line {
                label: "active parts",
                points: c
                    .hourly_max_active_parts
                    .iter()
                    .enumerate()
                    .map(|(h, v)| (h as f64 / 24.0, *v))
                    .collect(),
                color: PALETTE[0],
                dashed: false,
            },
            Line {
                label: "parts_to_delay_insert",
                points: vec![
                    (0.0, c.parts_to_delay_insert),
                    (days, c.parts_to_delay_insert),
                ],
                color: PALETTE[1],
                dashed: true,
            },
        ],
    })
}

fn events_by_month(model: &Model) -> Result<Chart> {
    let series = |scenario: Scenario, peak: bool| -> Vec<(f64, f64)> {
        model
            .growth
            .iter()
            .map(|(_, by)| by.get(scenario))
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
        .flat()
        .map(|(m, _, g)| (m, g.label.clone()))
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
        y_scale: YScale::Linear,
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

/// The readout's one chart: the base forecast's peak against what the plan's
/// fleet carries (left), and what the plan costs against today's footprint
/// (right), month by month. Months the plan does not carry have neither a
/// fleet nor a price, so their points are left out rather than drawn.
fn demand_capacity_cost(model: &Model) -> Result<Chart> {
    let peak = |scenario: Scenario| -> Vec<(f64, f64)> {
        model
            .growth
            .iter()
            .map(|(m, by)| (f64::from(m), by.get(scenario).peak_events_per_s))
            .collect()
    };
    let carries = model
        .headroom
        .iter()
        .map(|h| (f64::from(h.month), h.carries_events_per_s))
        .collect();
    let plan_cost = model
        .plan
        .iter()
        .map(|(m, by)| (m, &by.base))
        .filter(|(_, p)| p.carried)
        .map(|(m, p)| (f64::from(m), p.cost.total))
        .collect();
    let months = model.growth.months();
    let today = vec![
        (1.0, model.cost_today.total),
        (f64::from(months), model.cost_today.total),
    ];
    let labels: Vec<(u32, String)> = model
        .growth
        .flat()
        .map(|(m, _, g)| (m, g.label.clone()))
        .collect();
    let x_label = move |x: f64| {
        labels
            .iter()
            .find(|(m, _)| (f64::from(*m) - x).abs() < 1e-9)
            .map(|(_, l)| l.clone())
            .unwrap_or_default()
    };
    charts::line_panels(&LinePanels {
        file_name: "demand-capacity-cost.svg",
        panels: vec![
            LineChart {
                file_name: "demand-capacity-cost.svg",
                x_desc: "month",
                y_desc: "events/s at the daily peak",
                x_label: &x_label,
                y_scale: YScale::Linear,
                lines: vec![
                    Line {
                        label: "plan's fleet carries",
                        points: carries,
                        color: PALETTE[0],
                        dashed: false,
                    },
                    Line {
                        label: "base forecast",
                        points: peak(Scenario::Base),
                        color: PALETTE[1],
                        dashed: false,
                    },
                    Line {
                        label: "high forecast",
                        points: peak(Scenario::High),
                        color: PALETTE[3],
                        dashed: true,
                    },
                ],
            },
            LineChart {
                file_name: "demand-capacity-cost.svg",
                x_desc: "month",
                y_desc: "USD per month",
                x_label: &x_label,
                y_scale: YScale::Linear,
                lines: vec![
                    Line {
                        label: "plan (base)",
                        points: plan_cost,
                        color: PALETTE[0],
                        dashed: false,
                    },
                    Line {
                        label: "today's footprint",
                        points: today,
                        color: PALETTE[3],
                        dashed: true,
                    },
                ],
            },
        ],
    })
}

/// The sensitivity as a tornado: each uncertain assumption's cost swing
/// (cost at its high end minus at its low end), largest first, numbered as in
/// the sensitivity table, which lists those that move the plan.
fn cost_tornado(model: &Model) -> Result<Chart> {
    let usd = |y: f64| {
        if y == 0.0 {
            "0".to_owned()
        } else {
            format!("{:.0}k", y / 1000.0)
        }
    };
    // Only the assumptions that move the plan: the others have no bar.
    let swings: Vec<_> = model.sensitivity.movers().collect();
    charts::bar_chart(&BarChart {
        file_name: "cost-tornado.svg",
        x_desc: "uncertain assumption (numbered as in the table)",
        y_desc: "cost swing, USD per month",
        bars: swings
            .iter()
            .enumerate()
            .map(|(i, s)| ((i + 1).to_string(), s.cost_swing))
            .collect(),
        highlight: if swings.is_empty() { vec![] } else { vec![0] },
        reference: None,
        y_format: &usd,
        empty_note: "no uncertain assumption moves the plan",
    })
}

/// A strategy's name in the benchmark charts' legends.
fn chart_label(strategy: BenchStrategy) -> &'static str {
    match Strategy::from(strategy) {
        Strategy::CustomerId => "customer_id",
        Strategy::Composite => "composite key",
        Strategy::SubKeys => "sticky sub-keys",
    }
}

/// How many times the slowest p99 may be the fastest before the latency
/// chart's axis turns logarithmic.
const LOG_AXIS_SPAN: f64 = 20.0;

/// Throughput against p99 latency, one curve per strategy, from the bisections' probes.
fn bench_latency(b: &BenchReport) -> Result<Chart> {
    let lines = BenchStrategy::ALL
        .iter()
        .enumerate()
        .filter_map(|(i, strategy)| {
            let sweep = b.sweep.get(strategy)?;
            // Rates at the plan's scale; where repeats probed the same rate
            // (the peak), the worst p99 of them. Only sustained probes: an
            // overloaded run's latency grows with its length (and one that
            // completed no window has none), so it is no point of a curve.
            let mut points: Vec<(f64, f64)> = Vec::new();
            for p in sweep.points.iter().filter(|p| p.sustained) {
                let x = p.offered_rate * b.parameters.time_scale;
                match points.last_mut() {
                    Some(last) if last.0 == x => last.1 = last.1.max(p.latency_p99_ms),
                    _ => points.push((x, p.latency_p99_ms)),
                }
            }
            Some(Line {
                label: chart_label(*strategy),
                points,
                color: PALETTE[i % PALETTE.len()],
                dashed: false,
            })
        })
        .collect();
    let lines: Vec<Line<'_>> = lines;
    // A curve that spans orders of magnitude (a strategy near its limit
    // beside one far from it) reads on a log axis; a linear one would press
    // all but the slowest against zero.
    let y_scale = YScale::for_span(
        lines.iter().flat_map(|l| l.points.iter().map(|p| p.1)),
        LOG_AXIS_SPAN,
    );
    charts::line_chart(&LineChart {
        file_name: "bench-latency.svg",
        x_desc: "offered records/s, at the plan's scale",
        y_desc: "p99 latency (ms)",
        x_label: &charts::si,
        lines,
        y_scale,
    })
}

/// Busy ratio of every subtask at the plan's peak, one row per strategy.
fn bench_heat_map(b: &BenchReport, v: &Validation) -> Result<Chart> {
    let rows: Vec<(String, Vec<f64>)> = BenchStrategy::ALL
        .iter()
        .filter_map(|strategy| {
            let sweep = b.sweep.get(strategy)?;
            // The first repeat's probe at the plan's peak: the probes that
            // keep their per-subtask ratios.
            let peak = (v.peak_rate / v.time_scale).round();
            let point = sweep
                .points
                .iter()
                .find(|p| p.offered_rate == peak && !p.busy_ratio.is_empty())?;
            Some((chart_label(*strategy).to_owned(), point.busy_ratio.clone()))
        })
        .collect();
    let width = rows.iter().map(|r| r.1.len()).max().unwrap_or(0);
    heat_map::heat_map(&HeatMap {
        file_name: "bench-heat-map.svg",
        row_groups: rows.iter().map(|r| (r.0.clone(), 1)).collect(),
        column_labels: (0..width).map(|i| i.to_string()).collect(),
        column_step: None,
        x_desc: "subtask",
        panels: vec![Panel {
            title: "busy",
            color: PALETTE[1],
            values: rows.into_iter().map(|r| r.1).collect(),
        }],
        empty_note: "no probe at the plan's peak kept its subtasks' busy ratios",
    })
}
