//! Templates print; they compute nothing and type no figure.
//!
//! Every file of `spec/templates/` is checked against this rule.
//!
//! Inside a tag (`{{ }}`, `{% %}`; string literals and the `-` of whitespace
//! control set aside), a template may not:
//! - compute: `+`, `-`, `*`, `/`, `%`;
//! - compare: `==`, `!=`, `<`, `>`, `<=`, `>=`;
//! - pick: `[...]` indexing or lookup, `loop.index`, `loop.first` and the
//!   like; `loop.last` only as `if not loop.last` (a separator or the final
//!   stop after a list);
//! - call a filter other than the formatting ones (`int`, `num`, `pct`,
//!   `capitalize`): so no `first`, `last`, `length`, `filter(...)`;
//! - type a number, except a formatting filter's decimals (`num(d=2)`).
//!
//! In the literal text around the tags, a digit is a figure typed in, and
//! fails, unless it sits in:
//! - a heading id (`{ #id }`), a link or image target (`](...)`), an HTML
//!   comment, or an inline code span (code and formulas quote identifiers,
//!   settings and a formula's own constants, such as `ln(100)`);
//! - a Markdown ordered-list marker at the start of a line (`1. `);
//! - a name whose digits follow letters (`p99`, `p99.9`, `murmur2`, `KIP-578`);
//! - a fixed notation: `M/M/1` and `G/G/1` (Kendall), `O(1)` (complexity), `eq. 1`
//!   (a cited equation), `100% busy` (what a subtask's capacity is measured at).
//!
//! Number words that state an amount of time or of machines ("four weeks",
//! "two cores", "a full day") fail like digits: they are figures too.
//!
//! And every name a template reads must exist in the view, so that a field
//! renamed in `view/` fails here rather than turning an `{% if %}` silently false.

use std::path::Path;

use crate::helpers::repo_root;

const FORMATTING_FILTERS: &[&str] = &["int", "num", "pct", "sig", "approx", "capitalize"];
const NOTATIONS: &[&str] = &["M/M/1", "G/G/1", "O(1)", "eq. 1", "100% busy"];
const NUMBER_WORDS: &[&str] = &[
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "a full",
];
const UNITS: &[&str] = &[
    "second", "minute", "hour", "day", "week", "month", "year", "core",
];

/// Every breach of the rule in one template's text, as `line: what`.
fn violations(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    let line_of = |rest: &str| text[..text.len() - rest.len()].matches('\n').count() + 1;
    while let Some(start) = rest.find(['{']) {
        let (before, from) = rest.split_at(start);
        literal.push_str(before);
        let close = match from.get(..2) {
            Some("{{") => "}}",
            Some("{%") => "%}",
            Some("{#") => "#}",
            _ => {
                literal.push('{');
                rest = &from[1..];
                continue;
            }
        };
        let Some(end) = from.find(close) else {
            out.push(format!("{}: unclosed tag", line_of(from)));
            break;
        };
        let inner = &from[2..end];
        if close != "#}" {
            for problem in tag_problems(inner) {
                out.push(format!("{}: `{}`: {problem}", line_of(from), inner.trim()));
            }
        }
        // A tag stands in for what it prints: keep the lines apart, not the words.
        literal.push_str(&"\n".repeat(inner.matches('\n').count()));
        literal.push(' ');
        rest = &from[end + 2..];
    }
    literal.push_str(rest);
    for (i, line) in literal.lines().enumerate() {
        for problem in text_problems(line) {
            out.push(format!("{}: {problem}", i + 1));
        }
    }
    out
}

/// What a tag's expression does that a template may not.
fn tag_problems(inner: &str) -> Vec<String> {
    let expr = inner.trim();
    let expr = expr.strip_prefix('-').unwrap_or(expr);
    let expr = expr.strip_suffix('-').unwrap_or(expr).trim();
    let code = without_strings(expr);
    let mut out = Vec::new();
    for op in ["==", "!=", "<", ">"] {
        if code.contains(op) {
            out.push(format!("compares with `{op}`"));
            break;
        }
    }
    if let Some(op) = ['+', '-', '*', '/', '%']
        .iter()
        .find(|&&c| code.contains(c))
    {
        out.push(format!("computes with `{op}`"));
    }
    if code.contains('[') {
        out.push("picks with `[...]`".into());
    }
    let mut loop_uses = code.match_indices("loop.").peekable();
    if loop_uses.peek().is_some() && code != "if not loop.last" {
        out.push("uses `loop.` other than `if not loop.last`".into());
    }
    for (at, _) in code.match_indices('|') {
        let name: String = code[at + 1..]
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !FORMATTING_FILTERS.contains(&name.as_str()) {
            out.push(format!("filter `{name}` is not formatting"));
        }
    }
    // A number typed in a tag, other than a formatting filter's decimals.
    let unformatted = code.replace("d=", "d=#");
    let mut prev = ' ';
    for (i, c) in unformatted.char_indices() {
        let starts_number = c.is_ascii_digit() && !(prev.is_ascii_alphanumeric() || prev == '_');
        if starts_number && !unformatted[..i].ends_with("d=#") {
            out.push("types a number".into());
            break;
        }
        prev = c;
    }
    out
}

/// The expression with its string literals emptied.
fn without_strings(expr: &str) -> String {
    let mut out = String::new();
    let mut quote = None;
    for c in expr.chars() {
        match quote {
            Some(q) if c == q => {
                quote = None;
                out.push(c);
            }
            Some(_) => {}
            None => {
                if c == '"' || c == '\'' {
                    quote = Some(c);
                }
                out.push(c);
            }
        }
    }
    out
}

/// Removes every `open ... close` region of a line.
fn strip_between(line: &str, open: &str, close: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = rest.find(open) {
        out.push_str(&rest[..start]);
        match rest[start + open.len()..].find(close) {
            Some(end) => rest = &rest[start + open.len() + end + close.len()..],
            None => {
                rest = "";
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Figures typed in one line of literal text.
fn text_problems(line: &str) -> Vec<String> {
    let mut text = line.to_owned();
    for (open, close) in [("{ #", "}"), ("](", ")"), ("<!--", "-->"), ("`", "`")] {
        text = strip_between(&text, open, close);
    }
    let trimmed = text.trim_start();
    let marker = trimmed
        .find(". ")
        .filter(|&i| i > 0 && trimmed[..i].chars().all(|c| c.is_ascii_digit()));
    if let Some(i) = marker {
        text = trimmed[i + 2..].to_owned();
    }
    for notation in NOTATIONS {
        text = text.replace(notation, " ");
    }
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len()
            && (chars[i].is_ascii_digit()
                || (chars[i] == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)))
        {
            i += 1;
        }
        let after_letter = start > 0 && chars[start - 1].is_ascii_alphabetic();
        let proposal =
            start > 1 && chars[start - 1] == '-' && chars[start - 2].is_ascii_uppercase();
        if !(after_letter || proposal) {
            let from = start.saturating_sub(12);
            let to = (i + 12).min(chars.len());
            let context: String = chars[from..to].iter().collect();
            out.push(format!("figure typed in the text: `{}`", context.trim()));
        }
    }
    let lower = text.to_lowercase();
    for word in NUMBER_WORDS {
        for (at, _) in lower.match_indices(word) {
            let starts_word = lower[..at]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_alphanumeric());
            let after = &lower[at + word.len()..];
            let unit = after
                .strip_prefix([' ', '-'])
                .and_then(|a| UNITS.iter().find(|u| a.starts_with(**u)));
            if let (true, Some(unit)) = (starts_word, unit) {
                out.push(format!(
                    "a number of {unit}s typed in words: `{word} {unit}`"
                ));
            }
        }
    }
    out
}

fn check_dir(dir: &Path) -> Vec<String> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no templates in {}", dir.display());
    names
        .iter()
        .flat_map(|path| {
            let text = std::fs::read_to_string(path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            violations(&text)
                .into_iter()
                .map(move |v| format!("{name}:{v}"))
        })
        .collect()
}

#[test]
fn templates_print_and_compute_nothing() {
    let found = check_dir(&repo_root().join("spec/templates"));
    assert!(
        found.is_empty(),
        "templates compute or type figures:\n{}",
        found.join("\n")
    );
}

/// Each of these is what a template once did; the check must refuse every one.
#[test]
fn the_check_refuses_what_templates_used_to_do() {
    let refused = [
        "{{ last.plan.latency.total_p99_ms / 1000 | num(d=1) }}",
        "{{ a.short_window_h * 60 | num(d=0) }}",
        "{% if f.repair_s - 1 %}x{% endif %}",
        "{% if model.fault.keeper.utilization > 1 -%}x{% endif %}",
        "{% if f.events_lost > 0 %}x{% endif %}",
        "{% if last.plan.latency.headroom_ms >= 0 -%}x{% endif %}",
        "{% if q.max_parallelism != workload.keyed.max_parallelism %}x{% endif %}",
        "{% if decision.chosen == \"sub_keys\" -%}x{% endif %}",
        "{{ model.vertices[0].capacity_per_s | int }}",
        "{{ figures[\"bench-latency\"] }}",
        "{{ assumption[\"flink.target_utilization\"].value | pct(d=0) }}",
        "{% set v = decision.verdicts | filter(attribute=\"strategy\", value=decision.chosen) | first -%}",
        "{% for k in plan %}{% if loop.last %}{{ k.label }}{% endif %}{% endfor %}",
        "{% for t in tables %}{% if loop.first %}{{ t.blocks }}{% endif %}{% endfor %}",
        "{% for s in swings %}{% if loop.index <= 3 %}x{% endif %}{% endfor %}",
        "| {{ loop.index }} |",
        "{{ last.plan.sub_keys | length }}",
        "{{ decision.chosen | strategy }}",
        "{{ v.parallelism | fit }}",
        "{{ s.stage | replace(from=\"_\", to=\" \") }}",
        "{{ 1000 }}",
        "an operator of production speed runs on a 2-core machine.",
        "**Up to 1M events/s.** With",
        "Four weeks of production metrics at 5-minute resolution",
        "series is the 99th percentile of its values.",
        "backpressured (over 50%) in most samples",
        "stayed under the limit for a full day, so",
        "- **Two cores for many subtasks.**",
        "over the four-week mean",
        "Table: Sub-keys per hot and onboarded customer by month; 1 means not split",
    ];
    let passed: Vec<&str> = refused
        .iter()
        .copied()
        .filter(|t| violations(t).is_empty())
        .collect();
    assert!(
        passed.is_empty(),
        "the check lets these through: {passed:#?}"
    );
}

/// What a template may do: print, format, branch on a flag, loop, separate.
#[test]
fn the_check_accepts_printing() {
    let accepted = [
        "{{ last.total_p99_s | num(d=1) }} s against {{ last.target_s | num(d=0) }} s",
        "{% if fault.keeper.overloaded -%}x{%- endif %}",
        "{% for c in checks %}{{ c.error | pct(d=1) }}{% if not loop.last %}, {% endif %}{% endfor %}",
        "{% include \"_reasons.md\" %}{% set full_report = true -%}",
        "{{ bench.machine.cores_in_words | capitalize }} for many subtasks.",
        "1. **Source.** Kafka offsets are part of every checkpoint.",
        "## Open questions { #open-questions }",
        "see [the rollout](rollout.md#rollout) and ![chart](figures/a2.svg \"fig-2\")",
        "| p50 (ms) | p99 (ms) | p99.9 (ms) | murmur2 | KIP-578 (eq. 1) |",
        "M/M/1 at the hottest subtask, O(1) per record, at 100% busy",
        "the sojourn time `p99 = ln(100) / (μ − λ)` and `insert_quorum = 2`",
        "<!-- site-only -->",
        "{# a comment with 3 digits and x > 1 #}",
    ];
    let refused: Vec<(&str, Vec<String>)> = accepted
        .iter()
        .map(|t| (*t, violations(t)))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    assert!(refused.is_empty(), "the check refuses these: {refused:#?}");
}

/// Tera treats a name it cannot find as false in `{% if %}`: a flag renamed in
/// the view would silently take the other branch. So every name a template
/// reads must resolve in the view built from the committed data, following
/// `for` bindings into the first element of their list. Below a value that is
/// absent in this data (`null`), nothing can be checked.
#[test]
fn every_name_a_template_reads_is_in_the_view() {
    let inputs = specgen::inputs::load(&repo_root().join("data")).unwrap();
    let model = specgen::model::run(&inputs);
    let charts =
        specgen::render::figures::all(&model, &inputs.architecture, inputs.bench.as_ref()).unwrap();
    let figures = charts
        .iter()
        .map(|c| {
            (
                c.file_name.trim_end_matches(".svg").to_owned(),
                c.file_name.clone(),
            )
        })
        .collect();
    let sheet = specgen::render::capacity_sheet::build(&inputs, &model);
    let csvs = specgen::render::workbook::to_csv(&sheet).unwrap();
    let downloads = specgen::build::downloads(csvs.iter().map(|(name, _)| name.as_str()));
    let view =
        serde_json::to_value(specgen::view::build(&inputs, &model, &figures, downloads).unwrap())
            .unwrap();
    let dir = repo_root().join("spec/templates");
    let mut unknown = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        for problem in unresolved(&text, &view) {
            unknown.push(format!("{name}: {problem}"));
        }
    }
    assert!(
        unknown.is_empty(),
        "names not in the view:\n{}",
        unknown.join("\n")
    );
}

const KEYWORDS: &[&str] = &[
    "if", "elif", "else", "endif", "for", "in", "endfor", "not", "and", "or", "set", "include",
    "true", "false", "loop",
];

/// Names read by the template's tags that the view does not have.
fn unresolved(text: &str, view: &serde_json::Value) -> Vec<String> {
    use serde_json::Value;
    // Name → what it is bound to; `None` when it cannot be followed (a value
    // set by the template itself, or an element of an empty list).
    let mut scopes: Vec<(String, Option<Value>)> = Vec::new();
    let mut out = Vec::new();
    let resolve =
        |scopes: &[(String, Option<Value>)], path: &str| -> Result<Option<Value>, String> {
            let mut parts = path.split('.');
            let root = parts.next().unwrap_or_default();
            let mut node = match scopes.iter().rev().find(|(n, _)| n == root) {
                Some((_, None)) => return Ok(None),
                Some((_, Some(v))) => v.clone(),
                None => match view.get(root) {
                    Some(v) => v.clone(),
                    None => return Err(format!("`{root}`")),
                },
            };
            for part in parts {
                if node.is_null() {
                    return Ok(None);
                }
                node = match node.get(part) {
                    Some(v) => v.clone(),
                    None => return Err(format!("`{path}` (no `{part}`)")),
                };
            }
            Ok(Some(node))
        };
    let mut rest = text;
    while let Some(start) = rest.find("{{").into_iter().chain(rest.find("{%")).min() {
        let close = if rest[start..].starts_with("{{") {
            "}}"
        } else {
            "%}"
        };
        let Some(end) = rest[start..].find(close) else {
            break;
        };
        let inner =
            rest[start + 2..start + end].trim_matches(|c: char| c == '-' || c.is_whitespace());
        rest = &rest[start + end + 2..];
        let code = without_strings(inner);
        let words: Vec<&str> = code.split_whitespace().collect();
        match words.as_slice() {
            ["endfor"] => {
                scopes.pop();
                continue;
            }
            ["for", var, "in", list] => {
                let first = match resolve(&scopes, list) {
                    Ok(Some(Value::Array(items))) => items.first().cloned(),
                    Ok(Some(other)) => {
                        out.push(format!("`{list}` is not a list: {other}"));
                        None
                    }
                    Ok(None) => None,
                    Err(e) => {
                        out.push(e);
                        None
                    }
                };
                scopes.push(((*var).to_owned(), first));
                continue;
            }
            ["set", var, "=", ..] => {
                // Bound for the rest of the template and for the partials it includes.
                scopes.insert(0, ((*var).to_owned(), None));
                continue;
            }
            _ => {}
        }
        for path in names(&code) {
            if let Err(e) = resolve(&scopes, &path) {
                // A partial reads what its includer sets.
                if !text_sets_in_any_template(&path) {
                    out.push(e);
                }
            }
        }
    }
    out
}

/// Whether some template sets `name` before including a partial that reads it.
fn text_sets_in_any_template(path: &str) -> bool {
    let root = path.split('.').next().unwrap_or_default();
    std::fs::read_dir(repo_root().join("spec/templates"))
        .unwrap()
        .any(|e| {
            let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
            text.contains(&format!("{{% set {root} ="))
        })
}

/// The dotted names an expression reads: not keywords, filters or argument names.
fn names(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if !(c.is_ascii_alphabetic() || c == '_') {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len()
            && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '.')
        {
            i += 1;
        }
        let name: String = chars[start..i].iter().collect();
        let before = chars[..start].iter().rev().find(|c| !c.is_whitespace());
        let after = chars[i..].iter().find(|c| !c.is_whitespace());
        let filter = before == Some(&'|');
        let argument = after == Some(&'=') && chars.get(i + 1) != Some(&'=');
        let root = name.split('.').next().unwrap_or_default();
        if !filter && !argument && !KEYWORDS.contains(&root) {
            out.push(name);
        }
    }
    out
}
