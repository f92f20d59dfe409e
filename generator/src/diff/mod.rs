//! `specgen diff`: what a change to the spec does, for the reviewer of a pull request.
//!
//! Compares a git revision (read from git's objects, no checkout) with the
//! working tree, in the order a reviewer needs it:
//! 1. the verdicts that flipped (the strategy chosen, the month a stage runs
//!    out, feasibility, the latency budget, whether doing nothing carries a quarter);
//! 2. the inputs that changed ([`inputs`]): the cause beside the effect;
//! 3. the figures that moved, by chapter, above a noise threshold; a series of
//!    months shows its last move and how many months moved;
//! 4. the chapters whose text changed, linked to their page on the site.
//!
//! Figures and verdicts come from `spec/figures.tsv` on both sides (the
//! working tree's is the one `specgen build` last wrote). The report is a
//! value ([`Report`]); [`format`] prints it as Markdown, text or JSON. Same
//! inputs, same bytes: everything is sorted and nothing reads the clock.

pub mod format;
pub mod git;
pub mod inputs;

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::render::figure_list::{self, Figure, Kind};
use git::Repo;

/// The figures file and the chapters, relative to the project root.
const FIGURES: &str = "spec/figures.tsv";
const BOOK_SRC: &str = "spec/src";
const SUMMARY: &str = "SUMMARY.md";

pub struct Options {
    /// The revision to compare with.
    pub base: String,
    /// Smallest relative move (in %) reported without `all`.
    pub threshold_pct: f64,
    /// Every move, below the threshold too, each month on its own line.
    pub all: bool,
    /// The published site, for links to chapters (`<url>/<chapter>.html`).
    pub site_url: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Report {
    /// The revision as given, and the commit it names.
    pub base: String,
    pub base_commit: String,
    /// Why figures and verdicts could not be compared, when they could not.
    pub figures_not_compared: Option<String>,
    pub threshold_pct: f64,
    pub all: bool,
    pub verdicts: Vec<Change>,
    pub inputs: inputs::InputChanges,
    pub figures: Vec<ChapterMoves>,
    pub chapters: Vec<ChapterText>,
}

impl Report {
    pub fn verdict_flipped(&self) -> bool {
        !self.verdicts.is_empty()
    }

    pub fn is_empty(&self) -> bool {
        self.verdicts.is_empty()
            && self.inputs.is_empty()
            && self.figures.is_empty()
            && self.chapters.is_empty()
            && self.figures_not_compared.is_none()
    }
}

/// A chapter of the book: its file stem, its title and its page on the site.
#[derive(Debug, Clone, Serialize)]
pub struct Chapter {
    pub file: String,
    pub title: String,
    pub link: Option<String>,
}

/// A verdict that flipped (or appeared, or went away).
#[derive(Debug, Serialize)]
pub struct Change {
    pub id: String,
    pub month: String,
    pub chapter: Chapter,
    pub old: Option<String>,
    pub new: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ChapterMoves {
    pub chapter: Chapter,
    pub moves: Vec<Move>,
    /// Figures of this chapter that moved less than the threshold.
    pub below_threshold: usize,
}

/// A figure that moved; for a series of months (without `all`), its last
/// move above the threshold, with how many of its months moved.
#[derive(Debug, Clone, Serialize)]
pub struct Move {
    pub id: String,
    pub month: String,
    pub scenario: String,
    pub unit: String,
    pub old: Option<String>,
    pub new: Option<String>,
    /// `new - old` and its share of `|old|` in %, when both are numbers.
    pub delta: Option<String>,
    pub pct: Option<String>,
    /// Months of the series that moved above the threshold, out of its months
    /// (both 1 for a figure that is not a series).
    pub months_moved: usize,
    pub months: usize,
}

#[derive(Debug, Serialize)]
pub struct ChapterText {
    pub chapter: Chapter,
    /// `added`, `removed` or `changed`.
    pub status: &'static str,
    pub lines_added: usize,
    pub lines_removed: usize,
}

pub fn run(root: &Path, options: &Options) -> Result<Report> {
    let repo = Repo::new(root);
    let commit = repo.resolve(&options.base)?;
    let chapters = Chapters::read(&repo, root, &commit, options.site_url.as_deref())?;

    let now_text = std::fs::read_to_string(root.join(FIGURES)).map_err(|e| {
        Error::Diff(format!(
            "{FIGURES}: {e} (run `specgen build` first to write it)"
        ))
    })?;
    let now = figure_list::parse(&now_text).map_err(|e| Error::Diff(format!("{FIGURES}: {e}")))?;
    let (verdicts, figures, figures_not_compared) = match repo.show(&commit, FIGURES)? {
        None => (
            Vec::new(),
            Vec::new(),
            Some(format!(
                "{} ({commit}) predates {FIGURES}: figures and verdicts cannot be compared",
                options.base
            )),
        ),
        Some(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            match figure_list::parse(&text) {
                Ok(before) => {
                    let (v, f) = compare_figures(&before, &now, options, &chapters);
                    (v, f, None)
                }
                Err(e) => (
                    Vec::new(),
                    Vec::new(),
                    Some(format!(
                        "{FIGURES} at {commit} is not in today's format ({e})"
                    )),
                ),
            }
        }
    };
    Ok(Report {
        base: options.base.clone(),
        base_commit: commit.clone(),
        figures_not_compared,
        threshold_pct: options.threshold_pct,
        all: options.all,
        verdicts,
        inputs: inputs::compare(&repo, root, &commit)?,
        figures,
        chapters: chapter_texts(&repo, root, &commit, &chapters)?,
    })
}

/// The book's chapters in reading order, with titles from `SUMMARY.md` (the
/// working tree's, then the base's for chapters that went away).
struct Chapters {
    order: Vec<Chapter>,
    site: Option<String>,
}

impl Chapters {
    fn read(repo: &Repo, root: &Path, commit: &str, site: Option<&str>) -> Result<Chapters> {
        let summary_path = format!("{BOOK_SRC}/{SUMMARY}");
        let now = std::fs::read_to_string(root.join(&summary_path)).unwrap_or_default();
        let before = repo
            .show(commit, &summary_path)?
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        let mut order: Vec<Chapter> = Vec::new();
        for text in [now, before] {
            for line in text.lines() {
                let Some((title, rest)) =
                    line.split_once('[').and_then(|(_, r)| r.split_once("]("))
                else {
                    continue;
                };
                let Some(file) = rest
                    .split_once(')')
                    .and_then(|(f, _)| f.strip_suffix(".md"))
                else {
                    continue;
                };
                if !order.iter().any(|c| c.file == file) {
                    order.push(chapter(file, title, site));
                }
            }
        }
        Ok(Chapters {
            order,
            site: site.map(str::to_owned),
        })
    }

    /// A chapter by file stem; one `SUMMARY.md` does not list is titled by its file.
    fn get(&self, file: &str) -> Chapter {
        self.order
            .iter()
            .find(|c| c.file == file)
            .cloned()
            .unwrap_or_else(|| chapter(file, file, self.site.as_deref()))
    }

    fn rank(&self, file: &str) -> usize {
        self.order
            .iter()
            .position(|c| c.file == file)
            .unwrap_or(usize::MAX)
    }
}

fn chapter(file: &str, title: &str, site: Option<&str>) -> Chapter {
    Chapter {
        file: file.to_owned(),
        title: title.to_owned(),
        link: site.map(|s| format!("{}/{file}.html", s.trim_end_matches('/'))),
    }
}

/// The id of the series a figure belongs to: its month's row key made `*`.
fn series(f: &Figure) -> String {
    if f.month == "-" {
        return f.id.clone();
    }
    f.id.replacen(&format!("[{}", f.month), "[*", 1)
}

fn compare_figures(
    before: &[Figure],
    now: &[Figure],
    options: &Options,
    chapters: &Chapters,
) -> (Vec<Change>, Vec<ChapterMoves>) {
    let index = |fs: &[Figure]| -> BTreeMap<String, Figure> {
        fs.iter().map(|f| (f.id.clone(), f.clone())).collect()
    };
    let (old, new) = (index(before), index(now));
    let mut ids: Vec<&String> = old.keys().chain(new.keys()).collect();
    ids.sort();
    ids.dedup();

    let mut verdicts = Vec::new();
    // Chapter → series → the moves of its months, in id order.
    let mut moved: BTreeMap<String, BTreeMap<String, Vec<Move>>> = BTreeMap::new();
    let mut below: BTreeMap<String, usize> = BTreeMap::new();
    let mut series_size: BTreeMap<String, usize> = BTreeMap::new();
    for f in new.values() {
        *series_size.entry(series(f)).or_default() += 1;
    }
    for id in ids {
        let (o, n) = (old.get(id), new.get(id));
        if o.map(|f| &f.value) == n.map(|f| &f.value) {
            continue;
        }
        let f = n.or(o).expect("on one side");
        let verdict = [o, n].iter().flatten().any(|f| f.kind == Kind::Verdict);
        if verdict {
            verdicts.push(Change {
                id: id.clone(),
                month: f.month.clone(),
                chapter: chapters.get(&f.chapter),
                old: o.map(|f| f.value.clone()),
                new: n.map(|f| f.value.clone()),
            });
            continue;
        }
        let m = moved_figure(f, o, n);
        let significant = options.all
            || match (&m.pct, o, n) {
                (Some(pct), _, _) => pct
                    .parse::<f64>()
                    .map_or(true, |p| p.abs() >= options.threshold_pct),
                // Appeared, went away, or a count became a word (or back).
                _ => true,
            };
        if significant {
            moved
                .entry(f.chapter.clone())
                .or_default()
                .entry(if options.all { id.clone() } else { series(f) })
                .or_default()
                .push(m);
        } else {
            *below.entry(f.chapter.clone()).or_default() += 1;
        }
    }
    // Within a chapter, worded verdicts (the strategy chosen, a month) before flags.
    let flag = |c: &Change| {
        [&c.old, &c.new]
            .iter()
            .all(|v| matches!(v.as_deref(), None | Some("true" | "false")))
    };
    verdicts.sort_by(|a, b| {
        (chapters.rank(&a.chapter.file), flag(a), &a.id).cmp(&(
            chapters.rank(&b.chapter.file),
            flag(b),
            &b.id,
        ))
    });

    let mut files: Vec<&String> = moved.keys().chain(below.keys()).collect();
    files.sort_by_key(|f| (chapters.rank(f), (*f).clone()));
    files.dedup();
    let figures = files
        .into_iter()
        .map(|file| {
            let moves = moved
                .get(file)
                .map(|by_series| {
                    by_series
                        .iter()
                        .map(|(s, months)| {
                            // Ids sort by month: the last is the plan's latest move.
                            let last = months.last().expect("a series has a move");
                            if options.all {
                                return last.clone();
                            }
                            let count = months.len();
                            Move {
                                months_moved: count,
                                months: series_size.get(s).copied().unwrap_or(count).max(count),
                                ..last.clone()
                            }
                        })
                        .collect()
                })
                .unwrap_or_default();
            ChapterMoves {
                chapter: chapters.get(file),
                moves,
                below_threshold: below.get(file).copied().unwrap_or(0),
            }
        })
        .collect();
    (verdicts, figures)
}

fn moved_figure(f: &Figure, o: Option<&Figure>, n: Option<&Figure>) -> Move {
    let num = |f: Option<&Figure>| f.and_then(|f| f.value.parse::<f64>().ok());
    let (delta, pct) = match (num(o), num(n)) {
        (Some(a), Some(b)) => (
            Some(signed(&figure_list::number(b - a))),
            (a != 0.0).then(|| signed(&format!("{:.1}", (b - a) / a.abs() * 100.0))),
        ),
        _ => (None, None),
    };
    Move {
        id: f.id.clone(),
        month: f.month.clone(),
        scenario: f.scenario.clone(),
        unit: f.unit.clone(),
        old: o.map(|f| f.value.clone()),
        new: n.map(|f| f.value.clone()),
        delta,
        pct,
        months_moved: 1,
        months: 1,
    }
}

fn signed(s: &str) -> String {
    if s.starts_with('-') {
        s.to_owned()
    } else {
        format!("+{s}")
    }
}

/// The chapters (`spec/src/*.md`, `SUMMARY.md` aside) whose text differs.
fn chapter_texts(
    repo: &Repo,
    root: &Path,
    commit: &str,
    chapters: &Chapters,
) -> Result<Vec<ChapterText>> {
    let is_chapter = |p: &String| {
        p.strip_prefix(&format!("{BOOK_SRC}/"))
            .is_some_and(|f| f.ends_with(".md") && !f.contains('/') && f != SUMMARY)
    };
    let before: Vec<String> = repo
        .files(commit, BOOK_SRC)?
        .into_iter()
        .filter(is_chapter)
        .collect();
    let now: Vec<String> = git::working_files(root, BOOK_SRC)?
        .into_iter()
        .filter(is_chapter)
        .collect();
    let mut paths: Vec<&String> = before.iter().chain(now.iter()).collect();
    paths.sort();
    paths.dedup();
    let mut out = Vec::new();
    for path in paths {
        let old = if before.contains(path) {
            repo.show(commit, path)?
        } else {
            None
        };
        let new = if now.contains(path) {
            Some(std::fs::read(root.join(path)).map_err(|e| Error::io(&root.join(path), e))?)
        } else {
            None
        };
        if old == new {
            continue;
        }
        let text = |b: &Option<Vec<u8>>| {
            b.as_deref()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default()
        };
        let (added, removed) = line_changes(&text(&old), &text(&new));
        let file = path
            .trim_start_matches(&format!("{BOOK_SRC}/"))
            .trim_end_matches(".md");
        out.push(ChapterText {
            chapter: chapters.get(file),
            status: match (&old, &new) {
                (None, _) => "added",
                (_, None) => "removed",
                _ => "changed",
            },
            lines_added: added,
            lines_removed: removed,
        });
    }
    out.sort_by_key(|c| (chapters.rank(&c.chapter.file), c.chapter.file.clone()));
    Ok(out)
}

/// Lines added and removed, counted as multisets (a moved line counts as neither).
fn line_changes(old: &str, new: &str) -> (usize, usize) {
    let mut count: BTreeMap<&str, i64> = BTreeMap::new();
    for l in new.lines() {
        *count.entry(l).or_default() += 1;
    }
    for l in old.lines() {
        *count.entry(l).or_default() -= 1;
    }
    let added = count
        .values()
        .filter(|&&c| c > 0)
        .map(|&c| c as usize)
        .sum();
    let removed = count
        .values()
        .filter(|&&c| c < 0)
        .map(|&c| (-c) as usize)
        .sum();
    (added, removed)
}
