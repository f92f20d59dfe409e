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
