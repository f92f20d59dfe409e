//! The current architecture as a drawn component diagram: producers → Kafka →
//! Flink → ClickHouse → dashboards, left to right.
//!
//! Every label comes from `data/architecture.toml` and every rate from today's
//! [`Workload`]; nothing is typed in here but words. The SVG is written by
//! hand. Text is set in the charts' embedded font ([`FONT_FAMILY`], which
//! Typst's SVG renderer finds among its own fonts; browsers fall back to a
//! serif) and measured with that font, so a label too long for its box wraps
//! at spaces or, failing that, is set smaller until it fits.

use std::fmt::Write as _;

use typst::foundations::Bytes;
use typst::layout::Abs;
use typst::text::{Font, FontInstance, FontVariations};

use super::charts::{Chart, FONT_FAMILY};
use super::markdown::group;
use crate::error::{Error, Result};
use crate::inputs::architecture::{Architecture, CheckpointMode, StateBackend};
use crate::model::workload::Workload;

pub const FILE_NAME: &str = "architecture.svg";

/// The viewBox width; the height follows from the content.
const WIDTH: f64 = 900.0;
const MARGIN: f64 = 10.0;
/// Padding inside a component box, and inside a card.
const BOX_PAD: f64 = 6.0;
const CARD_PAD_X: f64 = 5.0;
const CARD_PAD_Y: f64 = 5.0;
/// Vertical space between cards; between job vertices it holds an arrow.
const CARD_GAP: f64 = 9.0;
const VERTEX_GAP: f64 = 22.0;
/// Smallest size a label is shrunk to before it is left to overflow. The
/// spec prints the diagram across its text width, about 488 pt for these
/// 900 units, so 13 units print at 7 pt: no label is set smaller (the test
/// suite measures the typeset documents).
const MIN_SIZE: f64 = 13.0;

const INK: &str = "#1a1a1a";
const GREY: &str = "#555555";
const ARROW: &str = "#333333";

/// Columns, left to right: (x, width).
const PRODUCERS: (f64, f64) = (MARGIN, 24.0);
const KAFKA: (f64, f64) = (130.0, 192.0);
const FLINK: (f64, f64) = (350.0, 206.0);
const CLICKHOUSE: (f64, f64) = (640.0, 202.0);
const DASHBOARDS: (f64, f64) = (WIDTH - MARGIN - 24.0, 24.0);

/// The diagram of today's pipeline, published as `architecture.svg`.
pub fn architecture(arch: &Architecture, w: &Workload) -> Result<Chart> {
    let faces = Faces::load()?;
    Ok(Chart {
        file_name: FILE_NAME.to_owned(),
        svg: draw(arch, w, &faces).svg,
    })
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Style {
    Title,
    Name,
    Body,
    Small,
}

impl Style {
    fn size(self) -> f64 {
        match self {
            Style::Title => 16.5,
            Style::Name => 14.0,
            Style::Body => 13.5,
            Style::Small => 13.0,
        }
    }

    fn bold(self) -> bool {
        matches!(self, Style::Title | Style::Name)
    }

    fn fill(self) -> &'static str {
        match self {
            Style::Small => GREY,
            _ => INK,
        }
    }

    fn line_height(self) -> f64 {
        self.size() * 1.3
    }
}

/// The embedded regular and bold faces, to measure text with.
struct Faces {
    regular: FontInstance,
    bold: FontInstance,
}

impl Faces {
    fn load() -> Result<Faces> {
        let face = |style: &str| {
            typst_assets::fonts()
                .filter_map(|data| Font::new(Bytes::new(data), 0))
                .find(|f| {
                    f.info().family == FONT_FAMILY
                        && f.post_script_name()
                            .is_some_and(|ps| ps.ends_with(&format!("-{style}")))
                })
                .map(|f| {
                    let variant = f.info().variant;
                    f.instantiate(variant, Abs::pt(12.0), &FontVariations::default())
                })
                .ok_or_else(|| Error::Chart {
                    chart: FILE_NAME.to_owned(),
                    message: format!("cannot find the embedded {FONT_FAMILY} {style} face"),
                })
        };
        Ok(Faces {
            regular: face("Regular")?,
            bold: face("Bold")?,
        })
    }

    /// Advance width of `text` at `size`, without kerning.
    fn width(&self, text: &str, size: f64, bold: bool) -> f64 {
        let face = if bold { &self.bold } else { &self.regular };
        let ems: f64 = text
            .chars()
            .map(|c| {
                face.ttf()
                    .glyph_index(c)
                    .and_then(|g| face.x_advance(g.0))
                    .map_or(0.5, |em| em.get())
            })
            .sum();
        ems * size
    }
}

/// One line of set text.
#[derive(Debug, Clone)]
struct Line {
    text: String,
    style: Style,
    size: f64,
}

impl Line {
    fn height(&self) -> f64 {
        self.style.line_height()
    }
}

/// Separates the facts on one line of a card ("24 partitions · RF 3"): a line
/// that must wrap breaks here first, and the separator goes with the break.
const SEPARATOR: &str = " · ";

/// Sets `text` in lines no wider than `max_w`: breaks at a [`SEPARATOR`]
/// first, then at spaces, breaks a word too long for a line after a `.`, `_`,
/// `-` or `/`, and shrinks a piece that still does not fit down to
/// [`MIN_SIZE`].
fn set(faces: &Faces, text: &str, style: Style, max_w: f64) -> Vec<Line> {
    let fits = |s: &str| faces.width(s, style.size(), style.bold()) <= max_w;
    let mut lines: Vec<String> = Vec::new();
    for (i, segment) in text.split(SEPARATOR).enumerate() {
        match lines.last_mut() {
            Some(last) if i > 0 && fits(&format!("{last}{SEPARATOR}{segment}")) => {
                last.push_str(SEPARATOR);
                last.push_str(segment);
            }
            _ => lines.extend(wrap_words(segment, &fits)),
        }
    }
    lines
        .into_iter()
        .map(|text| {
            let natural = faces.width(&text, style.size(), style.bold());
            let size = if natural > max_w {
                // Down to a tenth of a point, as the SVG writes sizes.
                ((style.size() * max_w / natural * 10.0).floor() / 10.0).max(MIN_SIZE)
            } else {
                style.size()
            };
            Line { text, style, size }
        })
        .collect()
}

/// `text` in lines that `fits`, broken at spaces, and a word too long for a
/// line after a `.`, `_`, `-` or `/`.
fn wrap_words(text: &str, fits: &dyn Fn(&str) -> bool) -> Vec<String> {
    // Pieces, each with whether a space goes before it.
    let mut pieces: Vec<(bool, &str)> = Vec::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        if fits(word) {
            pieces.push((true, word));
            continue;
        }
        let mut start = 0;
        for (i, c) in word.char_indices() {
            if matches!(c, '.' | '_' | '-' | '/') && i + 1 < word.len() {
                pieces.push((start == 0, &word[start..=i]));
                start = i + 1;
            }
        }
        pieces.push((start == 0, &word[start..]));
    }
    let mut lines: Vec<String> = Vec::new();
    for (space, piece) in pieces {
        let glue = if space { " " } else { "" };
        match lines.last_mut() {
            Some(last) if fits(&format!("{last}{glue}{piece}")) => {
                last.push_str(glue);
                last.push_str(piece);
            }
            _ => lines.push(piece.to_owned()),
        }
    }
    lines
}

fn lines_height(lines: &[Line]) -> f64 {
    lines.iter().map(Line::height).sum()
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Rect {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

impl Rect {
    fn right(&self) -> f64 {
        self.x + self.w
    }
    fn bottom(&self) -> f64 {
        self.y + self.h
    }
    fn cy(&self) -> f64 {
        self.y + self.h / 2.0
    }
}

#[derive(Debug, Clone, Copy)]
enum Anchor {
    Start,
    Middle,
}

/// A box's look: fill, stroke, stroke width, dashed.
#[derive(Debug, Clone, Copy)]
struct Look {
    fill: &'static str,
    stroke: &'static str,
    stroke_width: f64,
    dashed: bool,
}

const CARD: Look = Look {
    fill: "#ffffff",
    stroke: "#888888",
    stroke_width: 1.0,
    dashed: false,
};

/// The SVG under construction, and every line of text with the width it had
/// to fit in and the width it takes (for the tests).
struct Svg {
    out: String,
    texts: Vec<Placed>,
}

/// Read by the tests only: whether today's labels fit.
#[derive(Debug, Clone)]
#[cfg_attr(not(test), allow(dead_code))]
struct Placed {
    text: String,
    width: f64,
    room: f64,
    /// Set smaller than its style to fit.
    shrunk: bool,
}

struct Drawn {
    svg: String,
    #[cfg_attr(not(test), allow(dead_code))]
    texts: Vec<Placed>,
}

/// A coordinate or size to a tenth, without a trailing `.0`.
fn n(v: f64) -> String {
    let s = format!("{v:.1}");
    match s.strip_suffix(".0") {
        Some(whole) => whole.to_owned(),
        None => s,
    }
}

/// Escapes text and attribute values for XML.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

impl Svg {
    fn rect(&mut self, r: Rect, look: Look, rx: f64) {
        let dash = if look.dashed {
            r#" stroke-dasharray="5 3""#
        } else {
            ""
        };
        let _ = writeln!(
            self.out,
            r#"<rect x="{}" y="{}" width="{}" height="{}" rx="{}" fill="{}" stroke="{}" stroke-width="{}"{dash}/>"#,
            n(r.x),
            n(r.y),
            n(r.w),
            n(r.h),
            n(rx),
            look.fill,
            look.stroke,
            n(look.stroke_width),
        );
    }

    fn text(&mut self, faces: &Faces, x: f64, baseline: f64, line: &Line, anchor: Anchor) {
        self.text_rotated(faces, x, baseline, line, anchor, false);
    }

    fn text_rotated(
        &mut self,
        faces: &Faces,
        x: f64,
        baseline: f64,
        line: &Line,
        anchor: Anchor,
        rotated: bool,
    ) {
        let weight = if line.style.bold() {
            r#" font-weight="bold""#
        } else {
            ""
        };
        let anchor_attr = match anchor {
            Anchor::Start => "",
            Anchor::Middle => r#" text-anchor="middle""#,
        };
        let transform = if rotated {
            format!(r#" transform="rotate(-90 {} {})""#, n(x), n(baseline))
        } else {
            String::new()
        };
        let _ = writeln!(
            self.out,
            r#"<text x="{}" y="{}" font-size="{}" fill="{}"{weight}{anchor_attr}{transform}>{}</text>"#,
            n(x),
            n(baseline),
            n(line.size),
            line.style.fill(),
            escape(&line.text),
        );
        self.texts.push(Placed {
            text: line.text.clone(),
            width: faces.width(&line.text, line.size, line.style.bold()),
            room: f64::INFINITY,
            shrunk: line.size < line.style.size(),
        });
    }

    /// Lines stacked from `top`, left-aligned at `x` or centred on it, that had
    /// `room` to fit in; returns the bottom.
    fn lines(
        &mut self,
        faces: &Faces,
        x: f64,
        top: f64,
        lines: &[Line],
        anchor: Anchor,
        room: f64,
    ) -> f64 {
        let mut y = top;
        for line in lines {
            // Baseline about an ascender below the line's top.
            self.text(faces, x, y + line.height() * 0.76, line, anchor);
            if let Some(last) = self.texts.last_mut() {
                last.room = room;
            }
            y += line.height();
        }
        y
    }

    /// A polyline ending in an arrowhead at its last point.
    fn arrow(&mut self, points: &[(f64, f64)]) {
        let [.., (x0, y0), (x1, y1)] = points else {
            return;
        };
        let (dx, dy) = (x1 - x0, y1 - y0);
        let len = dx.hypot(dy).max(f64::MIN_POSITIVE);
        let (ux, uy) = (dx / len, dy / len);
        let (head, half) = (8.0, 3.5);
        // The line stops where the head begins, so its end does not poke through.
        let mut shaft: Vec<(f64, f64)> = points.to_vec();
        if let Some(last) = shaft.last_mut() {
            *last = (x1 - ux * head, y1 - uy * head);
        }
        let path: Vec<String> = shaft
            .iter()
            .map(|(x, y)| format!("{},{}", n(*x), n(*y)))
            .collect();
        let _ = writeln!(
            self.out,
            r#"<polyline points="{}" fill="none" stroke="{ARROW}" stroke-width="1.4"/>"#,
            path.join(" ")
        );
        let (bx, by) = (x1 - ux * head, y1 - uy * head);
        let _ = writeln!(
            self.out,
            r#"<polygon points="{},{} {},{} {},{}" fill="{ARROW}"/>"#,
            n(*x1),
            n(*y1),
            n(bx - uy * half),
            n(by + ux * half),
            n(bx + uy * half),
            n(by - ux * half),
        );
    }
}

/// A connector from the right edge of `from` to the left edge of `to`: straight
/// across where the two overlap enough vertically, else right-angled between
/// their middles, turning at `x_turn`.
fn connect(from: &Rect, to: &Rect, x_turn: f64) -> Vec<(f64, f64)> {
    let (lo, hi) = (from.y.max(to.y), from.bottom().min(to.bottom()));
    if hi - lo >= 16.0 {
        let y = (lo + hi) / 2.0;
        vec![(from.right(), y), (to.x, y)]
    } else {
        vec![
            (from.right(), from.cy()),
            (x_turn, from.cy()),
            (x_turn, to.cy()),
            (to.x, to.cy()),
        ]
    }
}

/// A number as the spec prints it: whole if whole, else to one decimal.
fn num(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        group(v, 0)
    } else {
        group(v, 1)
    }
}

fn count(k: u32, one: &str, many: &str) -> String {
    format!("{k} {}", if k == 1 { one } else { many })
}

/// `r6i.2xlarge (8 vCPU, …)` → (`r6i.2xlarge`, `(8 vCPU, …)`).
fn split_instance(instance: &str) -> (&str, Option<&str>) {
    match instance.find(" (") {
        Some(i) => (&instance[..i], Some(instance[i..].trim())),
        None => (instance, None),
    }
}

/// A card's lines and the place it was given.
struct Card {
    lines: Vec<Line>,
    rect: Rect,
    look: Look,
}

/// Stacks cards of `(lines, look)` down a column from `top`, `gap` apart.
fn stack(column: (f64, f64), top: f64, gap: f64, cards: Vec<(Vec<Line>, Look)>) -> Vec<Card> {
    let mut y = top;
    cards
        .into_iter()
        .map(|(lines, look)| {
            let h = lines_height(&lines) + 2.0 * CARD_PAD_Y;
            let rect = Rect {
                x: column.0 + BOX_PAD,
                y,
                w: column.1 - 2.0 * BOX_PAD,
                h,
            };
            y += h + gap;
            Card { lines, rect, look }
        })
        .collect()
}

fn draw(arch: &Architecture, w: &Workload, faces: &Faces) -> Drawn {
    let header_room = |c: (f64, f64)| c.1 - 2.0 * BOX_PAD;
    let card_room = |c: (f64, f64)| c.1 - 2.0 * BOX_PAD - 2.0 * CARD_PAD_X;
    let k = &arch.kafka;
    let f = &arch.flink;
    let c = &arch.clickhouse;
    let keyed_topic = arch.keyed_topic();

    // Headers: what each cluster is and runs on.
    let header = |column: (f64, f64), items: Vec<(String, Style)>| -> Vec<Line> {
        items
            .iter()
            .flat_map(|(t, s)| set(faces, t, *s, header_room(column)))
            .collect()
    };
    let instance_lines = |instance: &str| {
        let (name, detail) = split_instance(instance);
        let mut v = vec![(name.to_owned(), Style::Body)];
        v.extend(detail.map(|d| (d.to_owned(), Style::Small)));
        v
    };
    let mut kafka_items = vec![
        (format!("Kafka {}", k.version), Style::Title),
        (count(k.brokers, "broker", "brokers"), Style::Body),
    ];
    kafka_items.extend(instance_lines(&k.instance));
    let kafka_header = header(KAFKA, kafka_items);
    let flink_header = header(
        FLINK,
        vec![
            (format!("Flink {}", f.version), Style::Title),
            (
                format!(
                    "{} × {}",
                    count(f.task_managers, "TaskManager", "TaskManagers"),
                    count(f.slots_per_task_manager, "slot", "slots")
                ),
                Style::Body,
            ),
            (
                format!(
                    "{} state backend",
                    match f.state_backend {
                        StateBackend::Rocksdb => "RocksDB",
                        StateBackend::Heap => "heap",
                    }
                ),
                Style::Body,
            ),
            (
                format!(
                    "{} checkpoints every {} s",
                    match f.checkpoint_mode {
                        CheckpointMode::ExactlyOnce => "exactly-once",
                        CheckpointMode::AtLeastOnce => "at-least-once",
                    },
                    num(f.checkpoint_interval_ms / 1000.0)
                ),
                Style::Body,
            ),
        ],
    );
    let mut ch_items = vec![
        (format!("ClickHouse {}", c.version), Style::Title),
        (
            format!(
                "{} × {}",
                count(c.shards, "shard", "shards"),
                count(c.replicas, "replica", "replicas")
            ),
            Style::Body,
        ),
    ];
    ch_items.extend(instance_lines(&c.instance));
    let ch_header = header(CLICKHOUSE, ch_items);

    let top = MARGIN;
    let cards_top = top
        + BOX_PAD
        + [&kafka_header, &flink_header, &ch_header]
            .iter()
            .map(|h| lines_height(h))
            .fold(0.0, f64::max)
        + 8.0;

    // Cards: topics, job vertices in order, tables and the Keeper ensemble.
    let card_lines = |column: (f64, f64), items: Vec<(String, Style)>| -> Vec<Line> {
        items
            .iter()
            .flat_map(|(t, s)| set(faces, t, *s, card_room(column)))
            .collect()
    };
    let topics = stack(
        KAFKA,
        cards_top,
        CARD_GAP,
        k.topics
            .iter()
            .map(|t| {
                let key = if t.key == "none" {
                    "no record key".to_owned()
                } else {
                    format!("keyed by {}", t.key)
                };
                let lines = card_lines(
                    KAFKA,
                    vec![
                        (t.name.clone(), Style::Name),
                        (
                            format!(
                                "{} · RF {} · min ISR {}",
                                count(t.partitions, "partition", "partitions"),
                                t.replication_factor,
                                t.min_insync_replicas
                            ),
                            Style::Body,
                        ),
                        (
                            format!("retention {} h", num(t.retention_hours)),
                            Style::Body,
                        ),
                        (key, Style::Small),
                    ],
                );
                (lines, CARD)
            })
            .collect(),
    );
    let vertices = stack(
        FLINK,
        cards_top,
        VERTEX_GAP,
        f.operators
            .iter()
            .map(|o| {
                let mut items = vec![
                    (o.name.clone(), Style::Name),
                    (
                        format!(
                            "parallelism {}{}",
                            o.parallelism,
                            if o.keyed { " · keyed" } else { "" }
                        ),
                        Style::Body,
                    ),
                ];
                if o.keyed {
                    items.push((
                        format!("{} s event-time windows", num(f.window_s)),
                        Style::Body,
                    ));
                }
                if let Some(p) = w.operators.iter().find(|p| p.name == o.name) {
                    items.push((
                        format!("{} records/s in (mean)", group(p.mean_records_in_per_s, 0)),
                        Style::Small,
                    ));
                }
                let look = if o.keyed {
                    Look {
                        stroke: KEYED_STROKE,
                        stroke_width: 1.6,
                        ..CARD
                    }
                } else {
                    CARD
                };
                (card_lines(FLINK, items), look)
            })
            .collect(),
    );
    let mut ch_cards: Vec<(Vec<Line>, Look)> = c
        .tables
        .iter()
        .map(|t| {
            (
                card_lines(
                    CLICKHOUSE,
                    vec![
                        (t.name.clone(), Style::Name),
                        (t.engine.clone(), Style::Body),
                    ],
                ),
                CARD,
            )
        })
        .collect();
    ch_cards.push((
        card_lines(
            CLICKHOUSE,
            vec![
                ("ClickHouse Keeper".to_owned(), Style::Name),
                (
                    format!("ensemble of {}", count(c.keeper_nodes, "node", "nodes")),
                    Style::Body,
                ),
            ],
        ),
        Look {
            dashed: true,
            ..CARD
        },
    ));
    let tables = stack(CLICKHOUSE, cards_top, CARD_GAP, ch_cards);

    let bottom = [&topics, &vertices, &tables]
        .iter()
        .filter_map(|cards| cards.last())
        .map(|card| card.rect.bottom())
        .fold(cards_top, f64::max)
        + BOX_PAD;
    let column_rect = |c: (f64, f64)| Rect {
        x: c.0,
        y: top,
        w: c.1,
        h: bottom - top,
    };

    // Availability zones: a band of one cell per zone under the three clusters.
    let zones = arch.deployment.availability_zones.max(1);
    let band = Rect {
        x: KAFKA.0,
        y: bottom + 12.0,
        w: CLICKHOUSE.0 + CLICKHOUSE.1 - KAFKA.0,
        h: 20.0,
    };
    let zone_note = set(
        faces,
        &format!(
            "Brokers, TaskManagers, ClickHouse replicas and Keeper nodes are spread over {}.",
            count(zones, "availability zone", "availability zones")
        ),
        Style::Small,
        band.w,
    );
    let height = (band.bottom() + 4.0 + lines_height(&zone_note) + MARGIN).ceil();

    let mut svg = Svg {
        out: String::new(),
        texts: Vec::new(),
    };
    let _ = writeln!(
        svg.out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="100%" viewBox="0 0 {} {}" font-family="{}, serif">"#,
        n(WIDTH),
        n(height),
        escape(FONT_FAMILY)
    );
    let _ = writeln!(
        svg.out,
        "<title>{}</title>",
        escape(&format!(
            "Current architecture: producers, Kafka {}, Flink {}, ClickHouse {}, dashboards",
            k.version, f.version, c.version
        ))
    );
    let _ = writeln!(
        svg.out,
        r##"<rect x="0" y="0" width="{}" height="{}" fill="#ffffff"/>"##,
        n(WIDTH),
        n(height)
    );

    // Component boxes and their headers.
    for (column, lines, look) in [
        (KAFKA, &kafka_header, cluster(0)),
        (FLINK, &flink_header, cluster(1)),
        (CLICKHOUSE, &ch_header, cluster(2)),
    ] {
        svg.rect(column_rect(column), look, 6.0);
        svg.lines(
            faces,
            column.0 + BOX_PAD,
            top + BOX_PAD,
            lines,
            Anchor::Start,
            header_room(column),
        );
    }
    for (column, label) in [
        (PRODUCERS, "producers"),
        (DASHBOARDS, "dashboards and queries"),
    ] {
        let r = column_rect(column);
        svg.rect(r, cluster(3), 6.0);
        let line = Line {
            text: label.to_owned(),
            style: Style::Name,
            size: Style::Name.size(),
        };
        // Rotated a quarter turn, reading upwards, centred in the bar.
        let x = r.x + r.w / 2.0 + line.size * 0.35;
        svg.text_rotated(faces, x, r.cy(), &line, Anchor::Middle, true);
        if let Some(last) = svg.texts.last_mut() {
            last.room = r.h - 2.0 * BOX_PAD;
        }
    }
    for card in topics.iter().chain(&vertices).chain(&tables) {
        svg.rect(card.rect, card.look, 3.0);
        svg.lines(
            faces,
            card.rect.x + CARD_PAD_X,
            card.rect.y + CARD_PAD_Y,
            &card.lines,
            Anchor::Start,
            card.rect.w - 2.0 * CARD_PAD_X,
        );
    }

    // Producers → the keyed topic, with today's mean and peak rates.
    let keyed_card = k
        .topics
        .iter()
        .position(|t| t.name == keyed_topic.name)
        .map(|i| &topics[i]);
    if let Some(card) = keyed_card {
        let y = card.rect.cy();
        let gap = (PRODUCERS.0 + PRODUCERS.1, KAFKA.0);
        svg.arrow(&[(gap.0, y), (card.rect.x, y)]);
        if let Some(t) = w.topics.iter().find(|t| t.topic == keyed_topic.name) {
            let room = gap.1 - gap.0 - 8.0;
            let rate_lines = |label: &str, events: f64, bytes: f64| {
                let mut v = set(faces, label, Style::Small, room);
                v.extend(set(
                    faces,
                    &format!("{} events/s", group(events, 0)),
                    Style::Body,
                    room,
                ));
                v.extend(set(
                    faces,
                    &format!("{} MB/s", group(bytes / 1e6, 1)),
                    Style::Body,
                    room,
                ));
                v
            };
            let x = (gap.0 + gap.1) / 2.0;
            let mean = rate_lines("mean", t.mean_events_per_s, t.mean_bytes_per_s);
            let peak = rate_lines("peak", t.peak_events_per_s, t.peak_bytes_per_s);
            svg.lines(
                faces,
                x,
                y - 6.0 - lines_height(&mean),
                &mean,
                Anchor::Middle,
                room,
            );
            svg.lines(faces, x, y + 3.0, &peak, Anchor::Middle, room);
        }
    }

    // The keyed topic → the first job vertex (the source).
    if let (Some(card), Some(first)) = (keyed_card, vertices.first()) {
        svg.arrow(&connect(
            &card.rect,
            &first.rect,
            (KAFKA.0 + KAFKA.1 + FLINK.0) / 2.0,
        ));
    }

    // Job vertex → job vertex, in order; the edge into the keyed vertex is the keyBy.
    for (i, pair) in vertices.windows(2).enumerate() {
        let x = pair[0].rect.x + 28.0;
        svg.arrow(&[(x, pair[0].rect.bottom()), (x, pair[1].rect.y)]);
        if f.operators.get(i + 1).is_some_and(|o| o.keyed) {
            let label = set(
                faces,
                &format!("keyBy({})", keyed_topic.key),
                Style::Small,
                pair[0].rect.w - 40.0,
            );
            let mid = (pair[0].rect.bottom() + pair[1].rect.y) / 2.0;
            svg.lines(
                faces,
                x + 7.0,
                mid - lines_height(&label) / 2.0,
                &label,
                Anchor::Start,
                pair[0].rect.w - 40.0,
            );
        }
    }

    // Sinks: each table from the vertex that writes it, with today's rows/s into ClickHouse.
    let gap = (FLINK.0 + FLINK.1, CLICKHOUSE.0);
    let writers: Vec<(usize, usize)> = c
        .tables
        .iter()
        .enumerate()
        .filter_map(|(ti, t)| {
            f.operators
                .iter()
                .position(|o| o.name == t.written_by)
                .map(|vi| (ti, vi))
        })
        .collect();
    let mut highest = f64::INFINITY;
    for (i, (ti, vi)) in writers.iter().enumerate() {
        let (from, to) = (&vertices[*vi].rect, &tables[*ti].rect);
        let x_turn = gap.0 + (gap.1 - gap.0) * (i + 1) as f64 / (writers.len() + 1) as f64;
        let points = connect(from, to, x_turn);
        highest = points.iter().map(|p| p.1).fold(highest, f64::min);
        svg.arrow(&points);
    }
    if highest.is_finite() {
        let room = gap.1 - gap.0 - 8.0;
        let ch = &w.clickhouse;
        let mut rows = set(faces, "mean", Style::Small, room);
        rows.extend(set(
            faces,
            &format!("{} rows/s", group(ch.mean_rows_per_s, 0)),
            Style::Body,
            room,
        ));
        rows.extend(set(faces, "peak", Style::Small, room));
        rows.extend(set(
            faces,
            &format!("{} rows/s", group(ch.peak_rows_per_s, 0)),
            Style::Body,
            room,
        ));
        svg.lines(
            faces,
            (gap.0 + gap.1) / 2.0,
            highest - 6.0 - lines_height(&rows),
            &rows,
            Anchor::Middle,
            room,
        );
    }

    // ClickHouse → the dashboards.
    let ch_box = column_rect(CLICKHOUSE);
    svg.arrow(&[(ch_box.right(), ch_box.cy()), (DASHBOARDS.0, ch_box.cy())]);

    // Availability zones.
    let zone_gap = 6.0;
    let cell_w = (band.w - zone_gap * f64::from(zones - 1)) / f64::from(zones);
    for z in 0..zones {
        let cell = Rect {
            x: band.x + f64::from(z) * (cell_w + zone_gap),
            w: cell_w,
            ..band
        };
        svg.rect(
            cell,
            Look {
                fill: "#f2f2f2",
                stroke: "#bbbbbb",
                stroke_width: 1.0,
                dashed: false,
            },
            3.0,
        );
        let label = set(
            faces,
            &format!("availability zone {}", z + 1),
            Style::Small,
            cell_w - 6.0,
        );
        svg.lines(
            faces,
            cell.x + cell.w / 2.0,
            cell.cy() - lines_height(&label) / 2.0,
            &label,
            Anchor::Middle,
            cell_w - 6.0,
        );
    }
    svg.lines(
        faces,
        band.x + band.w / 2.0,
        band.bottom() + 4.0,
        &zone_note,
        Anchor::Middle,
        band.w,
    );

    svg.out.push_str("</svg>\n");
    Drawn {
        svg: svg.out,
        texts: svg.texts,
    }
}

/// The keyed vertex is outlined in the charts' highlight red.
const KEYED_STROKE: &str = "#d62728";

/// Box looks, in the charts' palette: Kafka, Flink, ClickHouse, and the
/// producers and dashboards.
fn cluster(i: usize) -> Look {
    let (fill, stroke) = match i {
        0 => ("#eaf2fa", "#1f77b4"),
        1 => ("#eaf6ea", "#2ca02c"),
        2 => ("#fdf3e6", "#e08a1e"),
        _ => ("#f2f2f2", "#7f7f7f"),
    };
    Look {
        fill,
        stroke,
        stroke_width: 1.4,
        dashed: false,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use super::*;
    use crate::inputs::{self, Inputs};
    use crate::model::workload;
    use crate::render::pdf::{self, TypstDocument};

    fn real() -> (Inputs, Workload) {
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data");
        let inputs = inputs::load(&data).expect("the committed inputs load");
        let w = workload::characterize(&inputs);
        (inputs, w)
    }

    /// Element nesting balances, every `&` starts an entity, and no text or
    /// attribute value holds a raw `<` or `>`.
    fn assert_well_formed(svg: &str) {
        let mut stack: Vec<String> = Vec::new();
        let mut rest = svg;
        while let Some(open) = rest.find('<') {
            check_text(&rest[..open]);
            let close = rest[open..].find('>').expect("every tag closes") + open;
            let tag = &rest[open + 1..close];
            assert!(!tag.contains('<'), "raw `<` inside a tag: {tag}");
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(stack.pop().as_deref(), Some(name), "mismatched </{name}>");
            } else if !tag.ends_with('/') {
                let name = tag.split_whitespace().next().unwrap_or_default();
                stack.push(name.to_owned());
            }
            for value in tag.split('"').skip(1).step_by(2) {
                check_text(value);
                assert!(!value.contains('>'), "raw `>` in an attribute: {value}");
            }
            rest = &rest[close + 1..];
        }
        check_text(rest);
        assert!(stack.is_empty(), "unclosed elements: {stack:?}");
    }

    fn check_text(text: &str) {
        assert!(!text.contains('>'), "raw `>` in text: {text}");
        for (i, _) in text.match_indices('&') {
            let entity = &text[i..text[i..].find(';').map_or(text.len(), |e| i + e + 1)];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"].contains(&entity),
                "bare `&` in {text}"
            );
        }
    }

    #[test]
    fn shows_every_component_and_todays_rates() {
        let (inputs, w) = real();
        let arch = &inputs.architecture;
        let chart = architecture(arch, &w).unwrap();
        assert_eq!(chart.file_name, "architecture.svg");
        let svg = &chart.svg;
        assert_well_formed(svg);
        assert!(svg.contains(r#"font-family="Libertinus Serif, serif""#));

        // A long name may wrap after a `_` or `.`: its lines, read in
        // order, spell it whole.
        let lines: Vec<&str> = svg
            .split("</text>")
            .filter_map(|t| t.rsplit_once('>').map(|(_, text)| text))
            .collect();
        let read = lines.concat();
        // A phrase may wrap at a space.
        let phrases = lines.join(" ");
        for t in &arch.kafka.topics {
            assert!(read.contains(&escape(&t.name)), "topic {}", t.name);
        }
        for o in &arch.flink.operators {
            assert!(read.contains(&escape(&o.name)), "vertex {}", o.name);
        }
        for t in &arch.clickhouse.tables {
            assert!(read.contains(&escape(&t.name)), "table {}", t.name);
            assert!(read.contains(&escape(&t.engine)), "engine {}", t.engine);
        }
        let keyed = w.topic(&arch.keyed_topic().name);
        for expected in [
            format!("Kafka {}", arch.kafka.version),
            format!("{} brokers", arch.kafka.brokers),
            format!("Flink {}", arch.flink.version),
            format!("ClickHouse {}", arch.clickhouse.version),
            format!(
                "{} shards × {} replicas",
                arch.clickhouse.shards, arch.clickhouse.replicas
            ),
            format!("ensemble of {} nodes", arch.clickhouse.keeper_nodes),
            format!("{} events/s", group(keyed.mean_events_per_s, 0)),
            format!("{} events/s", group(keyed.peak_events_per_s, 0)),
            format!("{} MB/s", group(keyed.mean_bytes_per_s / 1e6, 1)),
            format!("{} rows/s", group(w.clickhouse.mean_rows_per_s, 0)),
            format!("{} rows/s", group(w.clickhouse.peak_rows_per_s, 0)),
            format!("{} s event-time windows", num(arch.flink.window_s)),
            format!(
                "spread over {} availability zones",
                arch.deployment.availability_zones
            ),
        ] {
            assert!(phrases.contains(&expected), "missing {expected:?}");
        }
        for p in &w.operators {
            assert!(phrases.contains(&format!(
                "{} records/s in (mean)",
                group(p.mean_records_in_per_s, 0)
            )));
        }
    }

    /// Today's labels fit their boxes at their own size: none had to shrink.
    #[test]
    fn every_label_fits_its_box() {
        let (inputs, w) = real();
        let drawn = draw(&inputs.architecture, &w, &Faces::load().unwrap());
        for t in drawn.texts.iter().filter(|t| t.shrunk || t.width > t.room) {
            eprintln!("{:?} {:.1} in {:.1}", t.text, t.width, t.room);
        }
        for t in &drawn.texts {
            assert!(
                t.width <= t.room + 0.01 && !t.shrunk,
                "{:?} is {:.1} wide in {:.1} (shrunk: {})",
                t.text,
                t.width,
                t.room,
                t.shrunk
            );
        }
    }

    #[test]
    fn a_long_name_wraps_or_shrinks_to_fit() {
        let (inputs, w) = real();
        let mut arch = inputs.architecture.clone();
        arch.kafka.topics[0].name = "a.topic.name.far.too.long.for.any.card.in.this.diagram".into();
        arch.kafka.instance =
            "r6i.2xlarge (a parenthetical that will not fit on one line at all)".into();
        let drawn = draw(&arch, &w, &Faces::load().unwrap());
        for t in &drawn.texts {
            assert!(t.width <= t.room + 0.01, "{:?} overflows", t.text);
            assert!(!t.shrunk, "{:?} shrank rather than wrapped", t.text);
        }
        assert!(drawn.texts.iter().any(|t| t.text.starts_with("a.topic.")));

        // A word with nowhere to break is set smaller, if a little smaller
        // fits; never below MIN_SIZE, which prints at 7 pt.
        let faces = Faces::load().unwrap();
        let natural = faces.width("unbreakableword", Style::Body.size(), false);
        let lines = set(&faces, "unbreakableword", Style::Body, natural * 0.98);
        assert_eq!(lines.len(), 1);
        assert!(lines[0].size < Style::Body.size());
        assert!(lines[0].size >= MIN_SIZE);
        assert!(faces.width(&lines[0].text, lines[0].size, false) <= natural * 0.98);
        let lines = set(&faces, "unbreakableword", Style::Body, natural * 0.5);
        assert_eq!(lines[0].size, MIN_SIZE, "smaller would not print legibly");
    }

    #[test]
    fn a_line_of_facts_breaks_at_its_separators_first() {
        let faces = Faces::load().unwrap();
        let text = "24 partitions · RF 3 · min ISR 2";
        let room = faces.width("24 partitions · RF 3", Style::Body.size(), false) + 1.0;
        let lines: Vec<String> = set(&faces, text, Style::Body, room)
            .into_iter()
            .map(|l| l.text)
            .collect();
        assert_eq!(lines, ["24 partitions · RF 3", "min ISR 2"]);
    }

    #[test]
    fn escapes_names_and_follows_the_inputs() {
        let (inputs, w) = real();
        let before = architecture(&inputs.architecture, &w).unwrap().svg;
        let again = architecture(&inputs.architecture, &w).unwrap().svg;
        assert_eq!(before, again, "deterministic");

        let mut arch = inputs.architecture.clone();
        arch.kafka.brokers += 3;
        let more = architecture(&arch, &w).unwrap().svg;
        assert_ne!(before, more);
        assert!(more.contains(&format!("{} brokers", arch.kafka.brokers)));

        let unkeyed = arch
            .kafka
            .topics
            .iter_mut()
            .find(|t| t.key == "none")
            .expect("an unkeyed topic");
        unkeyed.name = "a&b<c>".into();
        arch.clickhouse.tables[0].name = "t\"1'&".into();
        let odd = architecture(&arch, &w).unwrap().svg;
        assert_well_formed(&odd);
        assert!(odd.contains("a&amp;b&lt;c&gt;"));
        assert!(odd.contains("t&quot;1&apos;&amp;"));
        assert!(!odd.contains("a&b"));
    }

    #[test]
    fn typst_renders_it() {
        let (inputs, w) = real();
        let svg = architecture(&inputs.architecture, &w).unwrap().svg;
        let doc = pdf::layout(&TypstDocument {
            name: "diagram".into(),
            main: "#image(\"/figures/architecture.svg\", width: 100%)".into(),
            files: BTreeMap::from([("/figures/architecture.svg".to_owned(), svg.into_bytes())]),
            date: (2026, 1, 1),
        });
        assert!(doc.is_ok(), "{:?}", doc.err());
    }
}
