//! Charts drawn with `plotters` to SVG strings.
//!
//! Text is measured with Libertinus Serif embedded from `typst-assets` (the
//! PDFs' own body font), registered with plotters' `ab_glyph` backend, so no
//! system font or fontconfig is involved and the SVG is the same everywhere.

use std::sync::Once;

use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::FontStyle;
use plotters::style::text_anchor::{HPos, Pos, VPos};

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
    pub y_scale: YScale,
}

pub const PALETTE: [RGBColor; 4] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0x7f, 0x7f, 0x7f),
];

pub(super) fn register_fonts() -> Result<()> {
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

/// Every plotted chart's canvas, in px: the PDFs scale a chart to the width
/// their page style gives it (two thirds of the spec's text width, three
/// fifths of the readout's, about 320 and 300 pt), so the canvas is what sets
/// how large its text prints. At 480 px a label of [`LABEL_PX`] prints at
/// about 8 pt in the spec and 7.7 pt in the readout; the test suite measures
/// the typeset documents and holds every chart to 7 pt.
pub const CANVAS_WIDTH: u32 = 480;
/// Heights keep the aspect ratio the charts had, so larger text takes no
/// more of the page.
const LINE_CHART_HEIGHT: u32 = 252;
const BAR_CHART_HEIGHT: u32 = 216;

/// Text sizes in px of the canvas: tick labels and legends, axis
/// descriptions, panel titles.
pub const LABEL_PX: f64 = 12.5;
pub const DESC_PX: f64 = 13.0;
pub const TITLE_PX: f64 = 13.5;

/// The font at `px` as plotters sizes it: it sets text at `size / 1.24` px
/// (and writes that as the SVG's `font-size`), so a size is given in its
/// unit. A font description, not a `(family, size)` pair, which plotters
/// would round to whole units.
pub fn font(px: f64) -> FontDesc<'static> {
    FontDesc::new(FontFamily::Name(FONT_FAMILY), px * 1.24, FontStyle::Normal)
}

/// Width and height in px of `text` set at `px`.
pub fn text_size(text: &str, px: f64) -> (u32, u32) {
    font(px).box_size(text).unwrap_or((0, 0))
}

/// The y axis of a line chart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum YScale {
    /// From zero.
    Linear,
    /// Whole decades around the data: for a curve that spans orders of
    /// magnitude, which a linear axis would flatten against zero.
    Log,
}

impl YScale {
    /// Log when the largest positive value is more than `ratio` times the
    /// smallest; linear otherwise, or when a value is not positive.
    pub fn for_span(values: impl IntoIterator<Item = f64>, ratio: f64) -> YScale {
        let (mut lo, mut hi) = (f64::INFINITY, 0.0_f64);
        for v in values {
            if v <= 0.0 {
                return YScale::Linear;
            }
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if lo.is_finite() && hi / lo > ratio {
            YScale::Log
        } else {
            YScale::Linear
        }
    }
}

pub fn line_chart(spec: &LineChart<'_>) -> Result<Chart> {
    draw_panels(spec.file_name, std::slice::from_ref(spec), CANVAS_WIDTH)
}

/// Line charts side by side on one canvas, sharing nothing but the x values'
/// meaning (e.g. demand in events/s beside cost in USD, month by month).
pub struct LinePanels<'a> {
    pub file_name: &'a str,
    pub panels: Vec<LineChart<'a>>,
}

/// Each panel of a [`LinePanels`] is as wide as a one-panel chart is
/// narrow: a document prints the whole at its text width, about 490 pt, so
/// two panels' labels print at about 7.7 pt.
pub const PANEL_WIDTH: u32 = 400;

pub fn line_panels(spec: &LinePanels<'_>) -> Result<Chart> {
    let width = PANEL_WIDTH * spec.panels.len().max(1) as u32;
    draw_panels(spec.file_name, &spec.panels, width)
}

fn draw_panels(file_name: &str, panels: &[LineChart<'_>], width: u32) -> Result<Chart> {
    register_fonts()?;
    let fail = |e: &dyn std::fmt::Display| Error::Chart {
        chart: file_name.to_owned(),
        message: e.to_string(),
    };
    let mut svg = String::new();
    {
        let root =
            SVGBackend::with_string(&mut svg, (width, LINE_CHART_HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(&e))?;
        let areas = root.split_evenly((1, panels.len().max(1)));
        for (area, spec) in areas.iter().zip(panels) {
            plot_lines(area, spec).map_err(|e| fail(&e))?;
        }
        root.present().map_err(|e| fail(&e))?;
    }
    Ok(Chart {
        file_name: file_name.to_owned(),
        svg,
    })
}

/// One line chart's axes, lines and legend on `area`.
fn plot_lines(
    area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    spec: &LineChart<'_>,
) -> std::result::Result<(), DrawingAreaErrorKind<std::io::Error>> {
    let (x_min, x_max, y_min, y_max) = bounds(&spec.lines);
    // A little room at both ends, so a curve at the first or last x is not
    // drawn over the axis.
    let pad = (x_max - x_min) * 0.03;
    let (x_min, x_max) = (x_min - pad, x_max + pad);
    let y_label_width = y_label_area(&spec.lines, spec.y_scale);
    let builder = || {
        let mut b = ChartBuilder::on(area);
        b.margin(10)
            .margin_right(16)
            .x_label_area_size(42)
            .y_label_area_size(y_label_width);
        b
    };
    match spec.y_scale {
        YScale::Linear => {
            let chart = builder().build_cartesian_2d(x_min..x_max, 0.0..y_max * 1.08)?;
            draw_lines(chart, spec)
        }
        YScale::Log => {
            let (lo, hi) = decades(y_min, y_max);
            let chart = builder().build_cartesian_2d(x_min..x_max, (lo..hi).log_scale())?;
            draw_lines(chart, spec)
        }
    }
}

/// The powers of ten just around `[lo, hi]`, so a log axis starts and ends
/// on a labelled decade and always shows at least two.
fn decades(lo: f64, hi: f64) -> (f64, f64) {
    let lo = 10f64.powf(lo.log10().floor());
    let hi = 10f64.powf(hi.log10().ceil()).max(lo * 10.0);
    (lo, hi)
}

/// Room for the y tick labels (the widest a line chart can print, from its
/// data's magnitude) and the rotated axis description beside them.
fn y_label_area(lines: &[Line<'_>], scale: YScale) -> u32 {
    let (_, _, lo, hi) = bounds(lines);
    let (lo, hi) = match scale {
        YScale::Linear => (0.0, hi * 1.08),
        YScale::Log => decades(lo, hi),
    };
    let widest = [lo, hi, (lo + hi) / 2.0, hi * 0.95]
        .iter()
        .map(|v| text_size(&si(*v), LABEL_PX).0)
        .max()
        .unwrap_or(0);
    // Tick marks, the gap to the description, and the description's line.
    widest + 10 + DESC_PX.ceil() as u32 + 8
}

/// The grid: light enough that the data stays in front.
const GRID: RGBColor = RGBColor(0xe4, 0xe4, 0xe4);

/// The corner of the plot where the legend covers the least of the lines
/// (upper corners first): a legend over a curve hides the data it names.
fn legend_corner<Y>(
    chart: &ChartContext<'_, SVGBackend<'_>, Cartesian2d<RangedCoordf64, Y>>,
    spec: &LineChart<'_>,
) -> SeriesLabelPosition
where
    Y: Ranged<ValueType = f64>,
{
    let (xs, ys) = chart.plotting_area().get_pixel_range();
    // The legend's box as plotters draws it: a sample line, the widest label,
    // one row per line, inside a margin.
    let widest = spec
        .lines
        .iter()
        .map(|l| text_size(l.label, LABEL_PX).0 as i32)
        .max()
        .unwrap_or(0);
    let (w, h) = (widest + 20 + 16 + 12, spec.lines.len() as i32 * 18 + 12);
    let boxes = [
        (SeriesLabelPosition::UpperLeft, xs.start, ys.start),
        (SeriesLabelPosition::UpperRight, xs.end - w, ys.start),
        (SeriesLabelPosition::LowerRight, xs.end - w, ys.end - h),
        (SeriesLabelPosition::LowerLeft, xs.start, ys.end - h),
    ];
    // Points along every segment, so a line crossing a corner counts there.
    let mut pixels = Vec::new();
    for line in &spec.lines {
        for pair in line.points.windows(2) {
            let (a, b) = (chart.backend_coord(&pair[0]), chart.backend_coord(&pair[1]));
            for i in 0..=8 {
                let t = f64::from(i) / 8.0;
                let lerp = |p: i32, q: i32| p + (f64::from(q - p) * t).round() as i32;
                pixels.push((lerp(a.0, b.0), lerp(a.1, b.1)));
            }
        }
        pixels.extend(line.points.iter().map(|p| chart.backend_coord(p)));
    }
    let covered = |x: i32, y: i32| {
        pixels
            .iter()
            .filter(|p| (x..x + w).contains(&p.0) && (y..y + h).contains(&p.1))
            .count()
    };
    boxes
        .into_iter()
        .min_by_key(|(_, x, y)| covered(*x, *y))
        .map_or(SeriesLabelPosition::UpperLeft, |b| b.0)
}

/// The axes, the lines and their legend on a chart of any y coordinate.
fn draw_lines<'a, Y>(
    mut chart: ChartContext<'a, SVGBackend<'a>, Cartesian2d<RangedCoordf64, Y>>,
    spec: &LineChart<'_>,
) -> std::result::Result<(), DrawingAreaErrorKind<std::io::Error>>
where
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let plot_width = chart.plotting_area().dim_in_pixel().0;
    // As many x labels as fit side by side with room between them; plotters
    // then takes the roundest step that gives no more.
    // Measured on the data's own x values: a label function may name only
    // some x (a month label for a whole month index).
    let xs: Vec<f64> = spec
        .lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.0))
        .collect();
    let widest = xs
        .iter()
        .step_by(xs.len().div_ceil(64).max(1))
        .map(|x| text_size(&(spec.x_label)(*x), LABEL_PX).0)
        .max()
        .unwrap_or(1);
    let x_labels = (plot_width / (widest + 14)).clamp(2, 12) as usize;
    chart
        .configure_mesh()
        .bold_line_style(GRID)
        .max_light_lines(0)
        .x_desc(spec.x_desc)
        .y_desc(spec.y_desc)
        .x_labels(x_labels)
        .y_labels(6)
        .x_label_formatter(&|x| (spec.x_label)(*x))
        .y_label_formatter(&|y| si(*y))
        .label_style(font(LABEL_PX))
        .axis_desc_style(font(DESC_PX))
        .draw()?;
    let legend = legend_corner(&chart, spec);
    for line in &spec.lines {
        let style = line.color.stroke_width(2);
        let points = line.points.iter().copied();
        let series = if line.dashed {
            chart.draw_series(DashedLineSeries::new(points, 6, 4, style))?
        } else {
            chart.draw_series(LineSeries::new(points, style))?
        };
        series
            .label(line.label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], style));
    }
    chart
        .configure_series_labels()
        .position(legend)
        .margin(6)
        .legend_area_size(20)
        .background_style(WHITE.mix(0.9))
        .border_style(RGBColor(0xcc, 0xcc, 0xcc))
        .label_font(font(LABEL_PX))
        .draw()?;
    Ok(())
}

/// x from its least to its greatest, y's least positive value and its
/// greatest (at least 1, so an empty chart still has axes).
fn bounds(lines: &[Line<'_>]) -> (f64, f64, f64, f64) {
    let xs = lines.iter().flat_map(|l| l.points.iter().map(|p| p.0));
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for x in xs {
        lo = lo.min(x);
        hi = hi.max(x);
    }
    let ys = || lines.iter().flat_map(|l| l.points.iter().map(|p| p.1));
    let y_max = ys().fold(0.0_f64, f64::max).max(1.0);
    let y_min = ys().filter(|y| *y > 0.0).fold(f64::INFINITY, f64::min);
    let y_min = if y_min.is_finite() { y_min } else { 1.0 };
    if lo > hi {
        (0.0, 1.0, y_min, y_max)
    } else {
        (lo, hi.max(lo + 1.0), y_min, y_max)
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
    /// What the panel says when there is no bar to draw.
    pub empty_note: &'a str,
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
    let y_top = y_max * 1.12;
    let widest_y = [0.0, y_top / 2.0, y_top]
        .iter()
        .map(|v| text_size(&(spec.y_format)(*v), LABEL_PX).0)
        .max()
        .unwrap_or(0);
    let mut svg = String::new();
    {
        let root =
            SVGBackend::with_string(&mut svg, (CANVAS_WIDTH, BAR_CHART_HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(&e))?;
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .margin_right(16)
            .x_label_area_size(42)
            .y_label_area_size(widest_y + 10 + DESC_PX.ceil() as u32 + 8)
            // Segments 0..=last: one per bar, none left empty at the end
            // (a range needs two ends, so a lone bar keeps a spare one).
            .build_cartesian_2d((0..n.saturating_sub(1).max(1)).into_segmented(), 0.0..y_top)
            .map_err(|e| fail(&e))?;
        // Every bar's label when they fit side by side, else every k-th.
        let plot_width = chart.plotting_area().dim_in_pixel().0;
        let widest_x = spec
            .bars
            .iter()
            .map(|b| text_size(&b.0, LABEL_PX).0)
            .max()
            .unwrap_or(0);
        let per_bar = f64::from(plot_width) / n.max(1) as f64;
        let every = ((f64::from(widest_x) + 6.0) / per_bar).ceil().max(1.0) as usize;
        let labels: Vec<String> = spec.bars.iter().map(|b| b.0.clone()).collect();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .bold_line_style(GRID)
            // No light lines, as on the line charts; not by a limit of 0,
            // which sends plotters' integer key points into an endless loop.
            .light_line_style(TRANSPARENT)
            .x_desc(spec.x_desc)
            .y_desc(spec.y_desc)
            .x_labels(n.max(1))
            .y_labels(6)
            .x_label_formatter(&|x| match x {
                SegmentValue::CenterOf(i) if i % every == 0 => {
                    labels.get(*i).cloned().unwrap_or_default()
                }
                _ => String::new(),
            })
            .y_label_formatter(&|y| (spec.y_format)(*y))
            .label_style(font(LABEL_PX))
            .axis_desc_style(font(DESC_PX))
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
                bar.set_margin(0, 0, 1, 1);
                bar
            }))
            .map_err(|e| fail(&e))?;
        if n == 0 {
            // No bar to draw: the panel says why rather than standing empty.
            let (w, h) = chart.plotting_area().dim_in_pixel();
            let area = chart.plotting_area().strip_coord_spec();
            area.draw(&Text::new(
                spec.empty_note,
                (w as i32 / 2, h as i32 / 2),
                font(LABEL_PX)
                    .color(&RGBColor(0x55, 0x55, 0x55))
                    .pos(Pos::new(HPos::Center, VPos::Center)),
            ))
            .map_err(|e| fail(&e))?;
        }
        if let Some((label, y)) = spec.reference {
            let style = PALETTE[3].stroke_width(2);
            chart
                .draw_series(DashedLineSeries::new(
                    [(SegmentValue::Exact(0), y), (SegmentValue::Exact(n), y)],
                    6,
                    4,
                    style,
                ))
                .map_err(|e| fail(&e))?
                .label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], style));
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .margin(6)
                .legend_area_size(20)
                .background_style(WHITE.mix(0.9))
                .border_style(RGBColor(0xcc, 0xcc, 0xcc))
                .label_font(font(LABEL_PX))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The text of every `<text>` element, trimmed.
    fn texts(svg: &str) -> Vec<String> {
        svg.split("<text")
            .skip(1)
            .filter_map(|t| t.split_once('>'))
            .map(|(_, rest)| rest.split('<').next().unwrap_or_default().trim().to_owned())
            .collect()
    }

    #[test]
    fn the_y_axis_turns_logarithmic_past_a_span_of_twenty() {
        assert_eq!(YScale::for_span([85.0, 124.0], 20.0), YScale::Linear);
        assert_eq!(YScale::for_span([2.0, 41.0], 20.0), YScale::Log);
        assert_eq!(YScale::for_span([0.0, 500.0], 20.0), YScale::Linear);
        assert_eq!(YScale::for_span([], 20.0), YScale::Linear);
        assert_eq!(decades(2.0, 600.0), (1.0, 1000.0));
        assert_eq!(decades(20.0, 30.0), (10.0, 100.0));
    }

    #[test]
    fn a_log_axis_is_labelled_at_whole_decades() {
        let label = |x: f64| format!("{x:.0}");
        let chart = line_chart(&LineChart {
            file_name: "t.svg",
            x_desc: "rate",
            y_desc: "p99 (ms)",
            lines: vec![Line {
                label: "a",
                points: vec![(0.0, 2.0), (1.0, 30.0), (2.0, 600.0)],
                color: PALETTE[0],
                dashed: false,
            }],
            x_label: &label,
            y_scale: YScale::Log,
        })
        .unwrap();
        let texts = texts(&chart.svg);
        for tick in ["1", "10", "100", "1k"] {
            assert!(texts.iter().any(|t| t == tick), "no tick {tick}: {texts:?}");
        }
    }
}
