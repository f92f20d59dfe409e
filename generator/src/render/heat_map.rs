//! Heat maps: panels side by side sharing rows (e.g. subtasks) and columns
//! (e.g. hours), each cell a ratio in [0, 1] drawn from white to the panel's
//! colour, with a colour scale that says what a shade means.
//!
//! Laid out by hand on the canvas rather than as plotters charts: rows are
//! labelled by group (one label for an operator's subtasks), which keeps the
//! labels large enough to print when rows are thinner than a line of text.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::charts::{
    CANVAS_WIDTH, Chart, DESC_PX, LABEL_PX, TITLE_PX, font, register_fonts, text_size,
};
use crate::error::{Error, Result};

pub struct HeatMap<'a> {
    pub file_name: &'a str,
    /// Row groups top to bottom, each a label and its number of rows. A group
    /// of one row labels that row.
    pub row_groups: Vec<(String, usize)>,
    pub column_labels: Vec<String>,
    /// Label every `n`-th column; `None` picks a 1-2-5 step whose labels fit.
    pub column_step: Option<usize>,
    pub x_desc: &'a str,
    pub panels: Vec<Panel<'a>>,
    /// What the chart says when it has no cell to draw.
    pub empty_note: &'a str,
}

pub struct Panel<'a> {
    pub title: &'a str,
    pub color: RGBColor,
    /// `values[row][column]`, rows in the order of the row groups.
    pub values: Vec<Vec<f64>>,
}

const MARGIN: i32 = 8;
const PANEL_GAP: i32 = 12;
/// A row's least height, and the least height of the rows together (room
/// for the colour scale's labels).
const MIN_ROW_PX: f64 = 7.0;
const MIN_ROWS_PX: f64 = 56.0;
/// Width of one colour's bar in the scale.
const SCALE_BAR_PX: i32 = 9;
const TICK_PX: i32 = 4;
/// A panel whose every cell is under this share prints as blank white; it
/// says so in words instead.
const BLANK_BELOW: f64 = 0.01;
const FRAME: RGBColor = RGBColor(0x99, 0x99, 0x99);
const INK: RGBColor = RGBColor(0x1a, 0x1a, 0x1a);

/// A share of `color` over white: 0 is white, 1 the full colour.
fn shade(color: RGBColor, v: f64) -> RGBColor {
    let v = v.clamp(0.0, 1.0);
    let mix = |ch: u8| (255.0 - (255.0 - f64::from(ch)) * v).round() as u8;
    RGBColor(mix(color.0), mix(color.1), mix(color.2))
}

/// The smallest step of 1, 2, 5, 10, 20, … at which `count` labels each
/// `label_px` wide fit in `width_px` with room between them.
fn label_step(count: usize, label_px: f64, width_px: f64) -> usize {
    let fits = |step: usize| (count.div_ceil(step) as f64) * (label_px * 2.0 + 6.0) <= width_px;
    let mut magnitude = 1;
    loop {
        for m in [1, 2, 5] {
            let step = m * magnitude;
            if step >= count || fits(step) {
                return step.max(1);
            }
        }
        magnitude *= 10;
    }
}

pub fn heat_map(spec: &HeatMap<'_>) -> Result<Chart> {
    register_fonts()?;
    let fail = |e: &dyn std::fmt::Display| Error::Chart {
        chart: spec.file_name.to_owned(),
        message: e.to_string(),
    };
    let rows: usize = spec.row_groups.iter().map(|g| g.1).sum();
    let cols = spec.column_labels.len();
    let panels = spec.panels.len().max(1) as i32;

    // Rows: thin where groups are large, tall enough for a label where a
    // group is a single row.
    let smallest_group = spec.row_groups.iter().map(|g| g.1).filter(|n| *n > 0).min();
    let label_line = LABEL_PX + 4.0;
    let row_px = smallest_group.map_or(MIN_ROW_PX, |n| (label_line / n as f64).max(MIN_ROW_PX));
    let rows_px = (rows as f64 * row_px).max(MIN_ROWS_PX).round() as i32;

    let title_px = if spec.panels.iter().any(|p| !p.title.is_empty()) {
        TITLE_PX.ceil() as i32 + 6
    } else {
        0
    };
    let label_h = LABEL_PX.ceil() as i32;
    let top = MARGIN + title_px;
    let bottom = top + rows_px;
    let height = bottom + TICK_PX + 3 + label_h + 6 + DESC_PX.ceil() as i32 + MARGIN;

    let label_w = spec
        .row_groups
        .iter()
        .map(|g| text_size(&g.0, LABEL_PX).0)
        .max()
        .unwrap_or(0) as i32;
    let scale_labels = ["0%", "25%", "50%", "75%", "100%"];
    let scale_label_w = text_size("100%", LABEL_PX).0 as i32;
    let scale_w = 14 + panels * SCALE_BAR_PX + TICK_PX + 3 + scale_label_w;
    let left = MARGIN + label_w + 6;
    let right = CANVAS_WIDTH as i32 - MARGIN - scale_w;
    let panel_w = ((right - left - (panels - 1) * PANEL_GAP) / panels).max(1);

    let mut svg = String::new();
    {
        let root =
            SVGBackend::with_string(&mut svg, (CANVAS_WIDTH, height as u32)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(&e))?;
        let text = |s: &str, px: f64, at: (i32, i32), h: HPos, v: VPos| {
            Text::new(s.to_owned(), at, font(px).color(&INK).pos(Pos::new(h, v)))
        };
        let y_of =
            |r: usize| top + (r as f64 * f64::from(rows_px) / rows.max(1) as f64).round() as i32;

        if rows == 0 || cols == 0 {
            // Nothing measured: say so rather than show a blank frame.
            root.draw(&text(
                spec.empty_note,
                LABEL_PX,
                (CANVAS_WIDTH as i32 / 2, (top + bottom) / 2),
                HPos::Center,
                VPos::Center,
            ))
            .map_err(|e| fail(&e))?;
        }

        // Row group labels, each at its group's middle.
        let mut first = 0;
        for (label, n) in &spec.row_groups {
            let middle = (y_of(first) + y_of(first + n)) / 2;
            root.draw(&text(
                label,
                LABEL_PX,
                (left - 6, middle),
                HPos::Right,
                VPos::Center,
            ))
            .map_err(|e| fail(&e))?;
            first += n;
        }

        let step = spec.column_step.unwrap_or_else(|| {
            let widest = spec
                .column_labels
                .iter()
                .map(|l| text_size(l, LABEL_PX).0)
                .max()
                .unwrap_or(0);
            label_step(cols, f64::from(widest), f64::from(panel_w))
        });
        for (p, panel) in spec.panels.iter().enumerate() {
            let x0 = left + p as i32 * (panel_w + PANEL_GAP);
            let x_of =
                |c: usize| x0 + (c as f64 * f64::from(panel_w) / cols.max(1) as f64).round() as i32;
            for (r, row) in panel.values.iter().enumerate() {
                for (c, v) in row.iter().enumerate() {
                    root.draw(&Rectangle::new(
                        [(x_of(c), y_of(r)), (x_of(c + 1), y_of(r + 1))],
                        shade(panel.color, *v).filled(),
                    ))
                    .map_err(|e| fail(&e))?;
                }
            }
            // Groups apart by a white rule, the panel framed.
            let mut boundary = 0;
            for (_, n) in spec
                .row_groups
                .iter()
                .take(spec.row_groups.len().saturating_sub(1))
            {
                boundary += n;
                let y = y_of(boundary);
                root.draw(&PathElement::new(
                    vec![(x0, y), (x0 + panel_w, y)],
                    WHITE.stroke_width(2),
                ))
                .map_err(|e| fail(&e))?;
            }
            root.draw(&Rectangle::new(
                [(x0, top), (x0 + panel_w, bottom)],
                FRAME.stroke_width(1),
            ))
            .map_err(|e| fail(&e))?;
            let blank = rows > 0 && panel.values.iter().flatten().all(|v| *v < BLANK_BELOW);
            if blank {
                root.draw(&text(
                    &format!("under {:.0}% throughout", BLANK_BELOW * 100.0),
                    LABEL_PX,
                    (x0 + panel_w / 2, (top + bottom) / 2),
                    HPos::Center,
                    VPos::Center,
                ))
                .map_err(|e| fail(&e))?;
            }
            if !panel.title.is_empty() {
                root.draw(&text(
                    panel.title,
                    TITLE_PX,
                    (x0 + panel_w / 2, MARGIN),
                    HPos::Center,
                    VPos::Top,
                ))
                .map_err(|e| fail(&e))?;
            }
            for c in (0..cols).step_by(step) {
                let x = (x_of(c) + x_of(c + 1)) / 2;
                root.draw(&PathElement::new(
                    vec![(x, bottom), (x, bottom + TICK_PX)],
                    FRAME.stroke_width(1),
                ))
                .map_err(|e| fail(&e))?;
                root.draw(&text(
                    &spec.column_labels[c],
                    LABEL_PX,
                    (x, bottom + TICK_PX + 3),
                    HPos::Center,
                    VPos::Top,
                ))
                .map_err(|e| fail(&e))?;
            }
        }
        root.draw(&text(
            spec.x_desc,
            DESC_PX,
            ((left + right) / 2, height - MARGIN),
            HPos::Center,
            VPos::Bottom,
        ))
        .map_err(|e| fail(&e))?;

        // The colour scale: one bar per panel colour, white at 0% below to
        // the full colour at 100% above, labelled at the quarters.
        let scale_x = right + 14;
        let steps = 40;
        for (p, panel) in spec.panels.iter().enumerate() {
            let x = scale_x + p as i32 * SCALE_BAR_PX;
            for i in 0..steps {
                let y_hi = bottom
                    - (f64::from(rows_px) * f64::from(i + 1) / f64::from(steps)).round() as i32;
                let y_lo =
                    bottom - (f64::from(rows_px) * f64::from(i) / f64::from(steps)).round() as i32;
                let v = (f64::from(i) + 0.5) / f64::from(steps);
                root.draw(&Rectangle::new(
                    [(x, y_hi), (x + SCALE_BAR_PX, y_lo)],
                    shade(panel.color, v).filled(),
                ))
                .map_err(|e| fail(&e))?;
            }
        }
        let scale_right = scale_x + panels * SCALE_BAR_PX;
        root.draw(&Rectangle::new(
            [(scale_x, top), (scale_right, bottom)],
            FRAME.stroke_width(1),
        ))
        .map_err(|e| fail(&e))?;
        // Quarters when the scale is tall enough for five labels, else halves.
        let quarters = f64::from(rows_px) >= 5.0 * (LABEL_PX + 6.0);
        for (i, label) in scale_labels.iter().enumerate() {
            if !quarters && i % 2 == 1 {
                continue;
            }
            let y = bottom - (f64::from(rows_px) * i as f64 / 4.0).round() as i32;
            root.draw(&PathElement::new(
                vec![(scale_right, y), (scale_right + TICK_PX, y)],
                FRAME.stroke_width(1),
            ))
            .map_err(|e| fail(&e))?;
            root.draw(&text(
                label,
                LABEL_PX,
                (scale_right + TICK_PX + 3, y),
                HPos::Left,
                VPos::Center,
            ))
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

    #[test]
    fn column_labels_thin_out_to_a_step_that_fits() {
        // 24 hours of 20 px labels in 150 px: 46 px a label, so three or
        // fewer; a 1-2-5 step of 10 leaves three.
        assert_eq!(label_step(24, 20.0, 150.0), 10);
        assert_eq!(label_step(4, 10.0, 400.0), 1);
        assert_eq!(label_step(256, 18.0, 330.0), 50);
    }

    #[test]
    fn a_heat_map_has_a_colour_scale_from_0_to_100_percent() {
        let chart = heat_map(&HeatMap {
            file_name: "t.svg",
            row_groups: vec![("a".into(), 2), ("b".into(), 1)],
            column_labels: (0..24).map(|h| format!("{h:02}h")).collect(),
            column_step: Some(6),
            x_desc: "hour",
            panels: vec![Panel {
                title: "busy",
                color: RGBColor(0xd6, 0x27, 0x28),
                values: vec![vec![0.5; 24]; 3],
            }],
            empty_note: "none",
        })
        .unwrap();
        for label in ["0%", "50%", "100%", "00h", "18h", "busy", "hour"] {
            assert!(
                chart.svg.contains(&format!(">\n{label}\n<"))
                    || chart.svg.contains(&format!(">{label}<")),
                "{label}"
            );
        }
    }
}
