//! Charts drawn with `plotters` to SVG strings.
//!
//! Text is measured with Libertinus Serif embedded from `typst-assets` (the
//! PDFs' own body font), registered with plotters' `ab_glyph` backend, so no
//! system font or fontconfig is involved and the SVG is the same everywhere.

use std::sync::Once;

use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::error::{Error, Result};

pub const FONT_FAMILY: &str = "Libertinus Serif";

/// An SVG chart and the file name it is published under (in `figures/`).
#[derive(Debug, Clone)]
pub struct Chart {
    pub file_name: String,
    pub svg: String,
}

/// One line on a line chart.
pub struct Line<'a> {
    pub label: &'a str,
    pub points: Vec<(f64, f64)>,
    pub color: RGBColor,
    pub dashed: bool,
}

pub struct LineChart<'a> {
    pub file_name: &'a str,
    pub x_desc: &'a str,
    pub y_desc: &'a str,
    pub lines: Vec<Line<'a>>,
    /// Tick label for an x value (e.g. a month label for its index).
    pub x_label: &'a dyn Fn(f64) -> String,
}

pub const PALETTE: [RGBColor; 4] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0x7f, 0x7f, 0x7f),
];

fn register_fonts() -> Result<()> {
    static ONCE: Once = Once::new();
    let mut outcome = Ok(());
    ONCE.call_once(|| {
        let regular = font_data("Regular");
        let bold = font_data("Bold");
        for (style, data) in [(FontStyle::Normal, regular), (FontStyle::Bold, bold)] {
            let registered = data.map(|d| plotters::style::register_font(FONT_FAMILY, style, d));
            if !matches!(registered, Some(Ok(()))) {
                outcome = Err(Error::Chart {
                    chart: "fonts".into(),
                    message: format!("cannot register the embedded {FONT_FAMILY} font"),
                });
            }
        }
    });
    outcome
}

/// The embedded Libertinus Serif face whose PostScript-style name ends in `style`.
fn font_data(style: &str) -> Option<&'static [u8]> {
    typst_assets::fonts().find(|data| {
        typst::text::Font::new(typst::foundations::Bytes::new(*data), 0).is_some_and(|f| {
            f.info().family == FONT_FAMILY
                && f.post_script_name()
                    .is_some_and(|ps| ps.ends_with(&format!("-{style}")))
        })
    })
}

pub fn line_chart(spec: &LineChart<'_>) -> Result<Chart> {
    register_fonts()?;
    let fail = |e: &dyn std::fmt::Display| Error::Chart {
        chart: spec.file_name.to_owned(),
        message: e.to_string(),
    };
    let (x_min, x_max, y_max) = bounds(&spec.lines);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (800, 420)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(&e))?;
        let mut chart = ChartBuilder::on(&root)
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(72)
            .build_cartesian_2d(x_min..x_max, 0.0..y_max * 1.08)
            .map_err(|e| fail(&e))?;
        chart
            .configure_mesh()
            .light_line_style(RGBColor(0xee, 0xee, 0xee))
            .x_desc(spec.x_desc)
            .y_desc(spec.y_desc)
            .x_labels(12)
            .x_label_formatter(&|x| (spec.x_label)(*x))
            .y_label_formatter(&|y| si(*y))
            .label_style((FONT_FAMILY, 15))
            .axis_desc_style((FONT_FAMILY, 16))
            .draw()
            .map_err(|e| fail(&e))?;
        for line in &spec.lines {
            let style = line.color.stroke_width(2);
            let points = line.points.iter().copied();
            let series = if line.dashed {
                chart.draw_series(DashedLineSeries::new(points, 8, 5, style))
            } else {
                chart.draw_series(LineSeries::new(points, style))
            };
            series
                .map_err(|e| fail(&e))?
                .label(line.label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.9))
            .border_style(RGBColor(0xcc, 0xcc, 0xcc))
            .label_font((FONT_FAMILY, 15))
            .draw()
            .map_err(|e| fail(&e))?;
        root.present().map_err(|e| fail(&e))?;
    }
    Ok(Chart {
        file_name: spec.file_name.to_owned(),
        svg,
    })
}

fn bounds(lines: &[Line<'_>]) -> (f64, f64, f64) {
    let xs = lines.iter().flat_map(|l| l.points.iter().map(|p| p.0));
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for x in xs {
        lo = lo.min(x);
        hi = hi.max(x);
    }
    let y_max = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .fold(0.0_f64, f64::max);
    if lo > hi {
        (0.0, 1.0, 1.0)
    } else {
        (lo, hi.max(lo + 1.0), y_max.max(1.0))
    }
}

/// Axis tick in SI style: 250k, 1.2M.
pub fn si(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        trim(format!("{:.2}", v / 1e6)) + "M"
    } else if a >= 1e3 {
        trim(format!("{:.1}", v / 1e3)) + "k"
    } else {
        trim(format!("{v:.2}"))
    }
}

fn trim(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

/// A bar chart with an optional horizontal reference line (e.g. the fair share).
pub struct BarChart<'a> {
    pub file_name: &'a str,
    pub x_desc: &'a str,
    pub y_desc: &'a str,
    pub bars: Vec<(String, f64)>,
    /// Bars drawn in the highlight colour (e.g. the hottest partition).
    pub highlight: Vec<usize>,
    pub reference: Option<(&'a str, f64)>,
    pub y_format: &'a dyn Fn(f64) -> String,
}

pub fn bar_chart(spec: &BarChart<'_>) -> Result<Chart> {
    register_fonts()?;
    let fail = |e: &dyn std::fmt::Display| Error::Chart {
        chart: spec.file_name.to_owned(),
        message: e.to_string(),
    };
    let n = spec.bars.len();
    let y_max = spec
        .bars
        .iter()
        .map(|b| b.1)
        .chain(spec.reference.map(|r| r.1))
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (800, 360)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(&e))?;
        let mut chart = ChartBuilder::on(&root)
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(72)
            .build_cartesian_2d((0..n).into_segmented(), 0.0..y_max * 1.12)
            .map_err(|e| fail(&e))?;
        let labels: Vec<String> = spec.bars.iter().map(|b| b.0.clone()).collect();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(RGBColor(0xee, 0xee, 0xee))
            .x_desc(spec.x_desc)
            .y_desc(spec.y_desc)
            .x_labels(n.min(32))
            .x_label_formatter(&|x| match x {
                SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .y_label_formatter(&|y| (spec.y_format)(*y))
            .label_style((FONT_FAMILY, 14))
            .axis_desc_style((FONT_FAMILY, 16))
            .draw()
            .map_err(|e| fail(&e))?;
        chart
            .draw_series(spec.bars.iter().enumerate().map(|(i, (_, v))| {
                let color = if spec.highlight.contains(&i) {
                    PALETTE[1]
                } else {
                    PALETTE[0]
                };
                let mut bar = Rectangle::new(
                    [
                        (SegmentValue::Exact(i), 0.0),
                        (SegmentValue::Exact(i + 1), *v),
                    ],
                    color.filled(),
                );
                bar.set_margin(0, 0, 2, 2);
                bar
            }))
            .map_err(|e| fail(&e))?;
        if let Some((label, y)) = spec.reference {
            let style = PALETTE[3].stroke_width(2);
            chart
                .draw_series(DashedLineSeries::new(
                    [(SegmentValue::Exact(0), y), (SegmentValue::Exact(n), y)],
                    8,
                    5,
                    style,
                ))
                .map_err(|e| fail(&e))?
                .label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(WHITE.mix(0.9))
                .border_style(RGBColor(0xcc, 0xcc, 0xcc))
                .label_font((FONT_FAMILY, 15))
                .draw()
                .map_err(|e| fail(&e))?;
        }
        root.present().map_err(|e| fail(&e))?;
    }
    Ok(Chart {
        file_name: spec.file_name.to_owned(),
        svg,
    })
}

/// Heat maps side by side sharing rows (e.g. subtasks) and columns (e.g. hours),
/// each cell a ratio in [0, 1] drawn from white to the panel's colour.
pub struct HeatMap<'a> {
    pub file_name: &'a str,
    pub row_labels: Vec<String>,
    pub column_labels: Vec<String>,
    pub x_desc: &'a str,
    /// (title, colour, values[row][column])
    pub panels: Vec<(&'a str, RGBColor, Vec<Vec<f64>>)>,
}

pub fn heat_map(spec: &HeatMap<'_>) -> Result<Chart> {
    register_fonts()?;
    let fail = |e: &dyn std::fmt::Display| Error::Chart {
        chart: spec.file_name.to_owned(),
        message: e.to_string(),
    };
    let rows = spec.row_labels.len();
    let cols = spec.column_labels.len();
    let height = (rows as u32 * 14 + 110).max(240);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (800, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(&e))?;
        let panels = root.split_evenly((1, spec.panels.len().max(1)));
        for (area, (title, color, values)) in panels.iter().zip(&spec.panels) {
            let mut chart = ChartBuilder::on(area)
                .margin(10)
                .caption(*title, (FONT_FAMILY, 17))
                .x_label_area_size(40)
                .y_label_area_size(130)
                .build_cartesian_2d(0..cols, 0..rows)
                .map_err(|e| fail(&e))?;
            chart
                .configure_mesh()
                .disable_mesh()
                .x_desc(spec.x_desc)
                .x_labels(cols.min(8))
                .y_labels(rows)
                .x_label_formatter(&|x| spec.column_labels.get(*x).cloned().unwrap_or_default())
                // Row 0 at the top, like a table.
                .y_label_formatter(&|y| {
                    rows.checked_sub(*y + 1)
                        .and_then(|r| spec.row_labels.get(r))
                        .cloned()
                        .unwrap_or_default()
                })
                .label_style((FONT_FAMILY, 12))
                .axis_desc_style((FONT_FAMILY, 14))
                .draw()
                .map_err(|e| fail(&e))?;
            chart
                .draw_series(values.iter().enumerate().flat_map(|(r, row)| {
                    row.iter().enumerate().map(move |(c, v)| {
                        let v = v.clamp(0.0, 1.0);
                        let mix = |ch: u8| (255.0 - (255.0 - f64::from(ch)) * v).round() as u8;
                        let y = rows - 1 - r;
                        Rectangle::new(
                            [(c, y), (c + 1, y + 1)],
                            RGBColor(mix(color.0), mix(color.1), mix(color.2)).filled(),
                        )
                    })
                }))
                .map_err(|e| fail(&e))?;
        }
        root.present().map_err(|e| fail(&e))?;
    }
    Ok(Chart {
        file_name: spec.file_name.to_owned(),
        svg,
    })
}
