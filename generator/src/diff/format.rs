//! The diff report as Markdown (a pull-request comment), text (a terminal,
//! coloured on request) or JSON.
//!
//! Names and words in the report come from `data/` (customer names,
//! assumption sources), which is untrusted text: Markdown escapes them, so no
//! input can add a link, an image or HTML to a comment.

use std::fmt::Write as _;

use super::{Chapter, Move, Report};

/// The first line of the Markdown report: how a workflow finds its own
/// comment to update it rather than add another.
pub const MARKER: &str = "<!-- specgen-diff -->";

const NOTHING: &str = "No verdict, input, figure or chapter text changed.";

pub fn json(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report).expect("the report serializes");
    s.push('\n');
    s
}

/// Text safe in Markdown prose and table cells.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '#' | '|' | '!' | '{' | '}' | '~'
            | '$' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// An identifier as inline code; in a table cell its pipes are escaped, which
/// GitHub's tables read inside code too.
fn code(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .replace('|', "\\|");
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// A chapter's title, linked to its page when the site is known.
fn chapter_md(c: &Chapter) -> String {
    match &c.link {
        Some(link) => format!(
            "[{}](<{}>)",
            text(&c.title),
            link.replace(['<', '>', ' '], "")
        ),
        None => format!(
            "{} ({})",
            text(&c.title),
            code(&format!("spec/src/{}.md", c.file))
        ),
    }
}

fn or_dash(v: &Option<String>) -> String {
    v.as_deref().map_or_else(|| "—".to_owned(), text)
}

fn change_md(m: &Move) -> String {
    match (&m.delta, &m.pct) {
        (Some(d), Some(p)) => format!("{} ({}%)", text(d), text(p)),
        (Some(d), None) => text(d),
        _ if m.old.is_none() => "new".into(),
        _ if m.new.is_none() => "gone".into(),
        _ => "changed".into(),
    }
}

/// What the rows of a series are: months (`2027-03`) or quarters (`2027-Q1`).
fn period(label: &str) -> &'static str {
    if label.contains('Q') {
        "quarters"
    } else {
        "months"
    }
}

fn months_md(m: &Move) -> String {
    if m.months > 1 {
        format!(
            "{} ({} of {} {})",
            text(&m.month),
            m.months_moved,
            m.months,
            period(&m.month)
        )
    } else {
        text(&m.month)
    }
}

pub fn markdown(r: &Report) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{MARKER}");
    let _ = writeln!(
        o,
        "## Spec changes against {} ({})\n",
        code(&r.base),
        code(&r.base_commit)
    );
    if r.is_empty() {
        let _ = writeln!(o, "{NOTHING}");
        return o;
    }
    if let Some(note) = &r.figures_not_compared {
        let _ = writeln!(o, "> {}\n", text(note));
    }

    let _ = writeln!(o, "### Verdicts that flipped\n");
    if r.verdicts.is_empty() {
        let _ = writeln!(o, "None.\n");
    } else {
        let _ = writeln!(o, "| Verdict | Month | Chapter | Was | Now |");
        let _ = writeln!(o, "|:--|:--|:--|:--|:--|");
        for v in &r.verdicts {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} |",
                code(&v.id),
                text(&v.month),
                chapter_md(&v.chapter),
                or_dash(&v.old),
                or_dash(&v.new)
            );
        }
        o.push('\n');
    }

    let i = &r.inputs;
    let _ = writeln!(o, "### Inputs that changed\n");
    if i.is_empty() {
        let _ = writeln!(o, "None.\n");
    } else {
        let files: Vec<String> = i
            .files
            .iter()
            .map(|f| format!("{} ({})", code(&f.path), f.status))
            .collect();
        let _ = writeln!(o, "Files: {}\n", files.join(", "));
        if let Some(why) = &i.not_compared {
            let _ = writeln!(o, "> {}\n", text(why));
        }
        if !i.assumptions.is_empty() {
            let _ = writeln!(o, "| Assumption | Was | Now | Unit | Source |");
            let _ = writeln!(o, "|:--|--:|--:|:--|:--|");
            for a in &i.assumptions {
                let source = if a.source_changed {
                    format!("{} (changed)", text(&a.source))
                } else {
                    text(&a.source)
                };
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} | {} |",
                    code(&a.name),
                    or_dash(&a.old),
                    or_dash(&a.new),
                    text(&a.unit),
                    source
                );
            }
            o.push('\n');
        }
        for (title, rows) in [
            ("Forecast", &i.forecast),
            ("Onboardings", &i.onboardings),
            ("Metrics (summaries)", &i.metrics),
        ] {
            if rows.is_empty() {
                continue;
            }
            let _ = writeln!(o, "| {title} | Was | Now |");
            let _ = writeln!(o, "|:--|--:|--:|");
            for v in rows {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} |",
                    text(&v.name),
                    text(&v.old),
                    text(&v.new)
                );
            }
            o.push('\n');
        }
    }

    let _ = writeln!(o, "### Figures that moved\n");
    if r.all {
        let _ = writeln!(o, "Every figure that moved, month by month.\n");
    } else {
        let _ = writeln!(
            o,
            "Moves of at least {}%; a series of months shows its latest move and how many months \
             moved (`--all` lists every move).\n",
            r.threshold_pct
        );
    }
    if r.figures.is_empty() {
        let _ = writeln!(o, "None.\n");
    }
    for c in &r.figures {
        let _ = writeln!(o, "#### {}\n", chapter_md(&c.chapter));
        if !c.moves.is_empty() {
            let _ = writeln!(o, "| Figure | Month | Was | Now | Unit | Change |");
            let _ = writeln!(o, "|:--|:--|--:|--:|:--|--:|");
            for m in &c.moves {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} | {} | {} |",
                    code(&m.id),
                    months_md(m),
                    or_dash(&m.old),
                    or_dash(&m.new),
                    text(&m.unit),
                    change_md(m)
                );
            }
            o.push('\n');
        }
        if c.below_threshold > 0 {
            let _ = writeln!(
                o,
                "{} more moved by less than {}%.\n",
                c.below_threshold, r.threshold_pct
            );
        }
    }

    let _ = writeln!(o, "### Chapters whose text changed\n");
    if r.chapters.is_empty() {
        let _ = writeln!(o, "None.");
    }
    for c in &r.chapters {
        let _ = writeln!(
            o,
            "- {}: {}, +{} −{} lines",
            chapter_md(&c.chapter),
            c.status,
            c.lines_added,
            c.lines_removed
        );
    }
    o
}

/// Plain text for a terminal; with `color`, verdicts in red, moves in yellow.
pub fn text_report(r: &Report, color: bool) -> String {
    let paint = |code: &str, s: &str| {
        if color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    };
    let bold = |s: &str| paint("1", s);
    let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".into());
    let plain = |s: &str| -> String {
        s.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect()
    };
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{}",
        bold(&format!(
            "Spec changes against {} ({})",
            plain(&r.base),
            r.base_commit
        ))
    );
    if r.is_empty() {
        let _ = writeln!(o, "{NOTHING}");
        return o;
    }
    if let Some(note) = &r.figures_not_compared {
        let _ = writeln!(o, "note: {}", plain(note));
    }
    let _ = writeln!(o, "\n{}", bold("Verdicts that flipped"));
    if r.verdicts.is_empty() {
        let _ = writeln!(o, "  none");
    }
    for v in &r.verdicts {
        let month = if v.month == "-" {
            String::new()
        } else {
            format!(" [{}]", v.month)
        };
        let _ = writeln!(
            o,
            "  {}{month} ({}): {} -> {}",
            paint("31", &plain(&v.id)),
            plain(&v.chapter.title),
            plain(&dash(&v.old)),
            plain(&dash(&v.new))
        );
    }
    let i = &r.inputs;
    let _ = writeln!(o, "\n{}", bold("Inputs that changed"));
    if i.is_empty() {
        let _ = writeln!(o, "  none");
    }
    for f in &i.files {
        let _ = writeln!(o, "  {} ({})", plain(&f.path), f.status);
    }
    if let Some(why) = &i.not_compared {
        let _ = writeln!(o, "  note: {}", plain(why));
    }
    for a in &i.assumptions {
        let _ = writeln!(
            o,
            "  {}: {} -> {} {} ({})",
            paint("36", &plain(&a.name)),
            plain(&dash(&a.old)),
            plain(&dash(&a.new)),
            plain(&a.unit),
            plain(&a.source)
        );
    }
    for (title, rows) in [
        ("forecast", &i.forecast),
        ("onboarding", &i.onboardings),
        ("metrics", &i.metrics),
    ] {
        for v in rows {
            let _ = writeln!(
                o,
                "  {title} {}: {} -> {}",
                plain(&v.name),
                plain(&v.old),
                plain(&v.new)
            );
        }
    }
    let _ = writeln!(o, "\n{}", bold("Figures that moved"));
    if r.figures.is_empty() {
        let _ = writeln!(o, "  none");
    }
    for c in &r.figures {
        let _ = writeln!(o, "  {}", bold(&plain(&c.chapter.title)));
        for m in &c.moves {
            let months = if m.months > 1 {
                format!(
                    " [{}, {} of {} {}]",
                    m.month,
                    m.months_moved,
                    m.months,
                    period(&m.month)
                )
            } else if m.month != "-" {
                format!(" [{}]", m.month)
            } else {
                String::new()
            };
            let change = match (&m.delta, &m.pct) {
                (Some(d), Some(p)) => format!(" ({d}, {p}%)"),
                (Some(d), None) => format!(" ({d})"),
                _ => String::new(),
            };
            let unit = if m.unit == "-" {
                String::new()
            } else {
                format!(" {}", m.unit)
            };
            let _ = writeln!(
                o,
                "    {}{months}: {} -> {}{unit}{change}",
                paint("33", &plain(&m.id)),
                plain(&dash(&m.old)),
                plain(&dash(&m.new))
            );
        }
        if c.below_threshold > 0 {
            let _ = writeln!(
                o,
                "    {} more moved by less than {}%",
                c.below_threshold, r.threshold_pct
            );
        }
    }
    let _ = writeln!(o, "\n{}", bold("Chapters whose text changed"));
    if r.chapters.is_empty() {
        let _ = writeln!(o, "  none");
    }
    for c in &r.chapters {
        let place = c
            .chapter
            .link
            .clone()
            .unwrap_or_else(|| format!("spec/src/{}.md", c.chapter.file));
        let _ = writeln!(
            o,
            "  {} ({}): {}, +{} -{} lines",
            plain(&c.chapter.title),
            plain(&place),
            c.status,
            c.lines_added,
            c.lines_removed
        );
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_text_cannot_add_markup() {
        assert_eq!(
            text("[x](http://e) <img> {{#include /etc/passwd}}"),
            "\\[x\\]\\(http://e\\) &lt;img&gt; \\{\\{\\#include /etc/passwd\\}\\}"
        );
        assert_eq!(code("a`b|c"), "``a`b\\|c``");
    }
}
