//! Tera templates (`spec/templates/*.md`) → Markdown chapters.
//!
//! Templates only print: every figure, flag and word arrives in the view
//! (`crate::view`). The filters here format numbers (digit grouping, fixed
//! decimals, percentages); none of them computes a figure or turns a value
//! into words. Data text arrives escaped (`crate::view::text`).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use tera::{Tera, Value};

use crate::error::{Error, Result};

/// Loads every template under `dir`; names starting with `_` are partials.
pub fn load(dir: &Path) -> Result<Tera> {
    let glob = format!("{}/**/*.md", dir.display());
    let mut tera = Tera::new(&glob).map_err(|e| Error::Template {
        template: dir.display().to_string(),
        message: error_chain(&e),
    })?;
    tera.register_filter("int", int);
    tera.register_filter("num", num);
    tera.register_filter("pct", pct);
    tera.register_filter("sig", sig);
    tera.register_filter("approx", approx);
    Ok(tera)
}

/// Renders every non-partial template; returns output name → Markdown, sorted.
pub fn render_all(tera: &Tera, context: &tera::Context) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let mut names: Vec<&str> = tera.get_template_names().collect();
    names.sort_unstable();
    for name in names {
        if name.rsplit('/').next().is_some_and(|f| f.starts_with('_')) {
            continue;
        }
        let text = tera.render(name, context).map_err(|e| Error::Template {
            template: name.to_owned(),
            message: error_chain(&e),
        })?;
        let text = tidy(&text);
        check_published(&text).map_err(|message| Error::Template {
            template: name.to_owned(),
            message,
        })?;
        out.insert(name.to_owned(), text);
    }
    Ok(out)
}

/// What a chapter may hold once published, checked on what was rendered: the
/// view escapes data text (`crate::view::text`), and this catches a template
/// that would publish a link or markup of its own making that no page should
/// carry. Links and images are relative or http(s); raw HTML is only comments
/// (`<!-- pagebreak -->`, `<!-- site-only -->`).
pub fn check_published(markdown: &str) -> std::result::Result<(), String> {
    use pulldown_cmark::{Event, Parser, Tag};
    let options = crate::render::typst_markup::markdown_options();
    for event in Parser::new_ext(markdown, options) {
        match event {
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. })
                if !is_safe_url(&dest_url) =>
            {
                return Err(format!(
                    "a link to `{dest_url}`: only relative and http(s) links are published"
                ));
            }
            Event::Html(html) | Event::InlineHtml(html) if !is_comment(&html) => {
                return Err(format!(
                    "raw HTML `{}`: only comments are published",
                    html.trim()
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

fn is_comment(html: &str) -> bool {
    let html = html.trim();
    html.is_empty() || (html.starts_with("<!--") && html.ends_with("-->"))
}

/// Relative (no scheme before the first `/`, `?` or `#`) or http(s).
fn is_safe_url(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return true;
    }
    let head = lower.split(['/', '?', '#']).next().unwrap_or("");
    !head.contains(':') && !lower.starts_with("//")
}

/// Tera reports the cause of a render error in its source chain.
fn error_chain(e: &tera::Error) -> String {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}

/// One trailing newline, no runs of blank lines left by template control flow.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.trim_start_matches('\n').trim_end().to_owned() + "\n"
}

fn number(value: &Value, filter: &str) -> tera::Result<f64> {
    value
        .as_f64()
        .ok_or_else(|| tera::Error::msg(format!("filter `{filter}` expects a number, got {value}")))
}

fn decimals(args: &HashMap<String, Value>, default: u64) -> usize {
    args.get("d").and_then(Value::as_u64).unwrap_or(default) as usize
}

/// `1234567.8 | int` → `1,234,568`.
fn int(value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    Ok(Value::String(group(number(value, "int")?, 0)))
}

/// `1234.567 | num(d=2)` → `1,234.57`.
fn num(value: &Value, args: &HashMap<String, Value>) -> tera::Result<Value> {
    Ok(Value::String(group(
        number(value, "num")?,
        decimals(args, 1),
    )))
}

/// `0.0833333333333 | sig` → `0.0833333`: six significant digits, as the
/// figure list keeps them, for inputs printed as they were given.
fn sig(value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    Ok(Value::String(crate::render::figure_list::number(number(
        value, "sig",
    )?)))
}

/// A figure rounded for a reader: `2466944 | approx` → `2.47M`,
/// `165668 | approx` → `166k`, `4512 | approx` → `4,510`.
fn approx(value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    Ok(Value::String(rounded(number(value, "approx")?)))
}

/// Three significant figures, with `k` or `M` for thousands and millions.
pub fn rounded(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return group(v, 0);
    }
    let (scaled, suffix) = match v.abs() {
        a if a >= 999_500.0 => (v / 1e6, "M"),
        a if a >= 9_999.5 => (v / 1e3, "k"),
        _ => (v, ""),
    };
    // Three significant figures of what is printed.
    let magnitude = scaled.abs().log10().floor() as i32;
    let decimals = usize::try_from(2 - magnitude).unwrap_or(0);
    let step = 10f64.powi(magnitude - 2);
    let s = group((scaled / step).round() * step, decimals);
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    };
    format!("{s}{suffix}")
}

/// `0.0712 | pct(d=1)` → `7.1%`.
fn pct(value: &Value, args: &HashMap<String, Value>) -> tera::Result<Value> {
    let v = number(value, "pct")? * 100.0;
    Ok(Value::String(format!("{}%", group(v, decimals(args, 1)))))
}

/// Formats with `decimals` places and comma digit grouping.
pub fn group(v: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals, v.abs());
    let (int_part, frac) = s
        .split_once('.')
        .map_or((s.as_str(), None), |(i, f)| (i, Some(f)));
    let mut grouped = String::new();
    for (i, c) in int_part.chars().enumerate() {
        if i > 0 && (int_part.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let negative = v < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0');
    let sign = if negative { "-" } else { "" };
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounded_keeps_three_significant_figures() {
        assert_eq!(rounded(2_466_944.0), "2.47M");
        assert_eq!(rounded(1_002_000.0), "1M");
        assert_eq!(rounded(165_668.0), "166k");
        assert_eq!(rounded(72_929.0), "72.9k");
        assert_eq!(rounded(4_512.0), "4,510");
        assert_eq!(rounded(15.24), "15.2");
        assert_eq!(rounded(999_999.0), "1M");
    }
}
