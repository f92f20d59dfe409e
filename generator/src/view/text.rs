//! Data text, escaped once, by construction, for the Markdown the templates
//! write and the HTML and Typst made from it.
//!
//! Everything in `data/` (names, versions, sources, units, the benchmark
//! report's strings) is untrusted text that ends up in a published site. The
//! view holds such text only as [`Text`] or [`Code`], whose only constructors
//! escape and which serialize already escaped, so a template cannot forget:
//!
//! - mdBook expands `{{#include path}}` (and `#playground`, `#rustdoc_include`,
//!   `#title`) anywhere in a chapter's source, code spans included: braces are
//!   escaped, so no directive can be spelled;
//! - Markdown passes raw HTML through and turns `[x](url)` into links: `<`,
//!   `>` and `&` become entities and Markdown's punctuation is backslash
//!   escaped, so no tag, link, image or emphasis can be spelled;
//! - a `|` would end a table cell and a line break would end a table row or
//!   start a block: `|` is escaped and line breaks become spaces.
//!
//! The Markdown → Typst conversion sees the text these escapes decode to,
//! and escapes it for Typst itself (`render::typst_markup`).

use std::fmt;

use serde::{Serialize, Serializer};

/// Data text as Markdown that renders literally, in prose or in a table cell.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Text(String);

impl Text {
    pub fn new(raw: &str) -> Text {
        Text(escape(raw))
    }

    /// The escaped Markdown.
    pub fn as_markdown(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// Data text meant for a code span (a topic, an operator, a command): printed
/// as `` `name` `` when every character is one a name is made of, and as
/// escaped [`Text`] otherwise. Inside a code span neither backslash escapes
/// nor entities work, and mdBook expands directives there too, so text that
/// is not plainly a name does not go into one. Templates print it bare, never
/// between backticks of their own.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Code(String);

impl Code {
    pub fn new(raw: &str) -> Code {
        if is_plain_code(raw) {
            Code(format!("`{raw}`"))
        } else {
            Code(escape(raw))
        }
    }

    pub fn as_markdown(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// Letters, digits, spaces inside, and the punctuation of names, versions,
/// paths and command lines that means nothing to Markdown, HTML or mdBook.
fn is_plain_code(raw: &str) -> bool {
    !raw.is_empty()
        && !raw.starts_with(' ')
        && !raw.ends_with(' ')
        && raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " -_.,:/=@+%".contains(c))
}

/// Characters Markdown (CommonMark with tables, footnotes, strikethrough and
/// heading attributes) or mdBook could read as syntax within a line.
const BACKSLASHED: &[char] = &[
    '\\', '`', '*', '_', '[', ']', '{', '}', '|', '!', '#', '~', '$', '^',
];

fn escape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 8);
    let chars: Vec<char> = raw.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let alphanumeric = |j: Option<usize>| {
            j.and_then(|j| chars.get(j))
                .is_some_and(char::is_ascii_alphanumeric)
        };
        match c {
            // Between two letters or digits `_` can neither open nor close
            // emphasis (CommonMark's flanking rules), so `events_local`
            // stays as written.
            '_' if alphanumeric(i.checked_sub(1)) && alphanumeric(Some(i + 1)) => out.push(c),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' | '\r' => out.push(' '),
            c if BACKSLASHED.contains(&c) => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_unchanged() {
        assert_eq!(
            Text::new("r6i.2xlarge 3.7.1 (RF 3)").as_markdown(),
            "r6i.2xlarge 3.7.1 (RF 3)"
        );
    }

    #[test]
    fn directives_tags_and_links_are_escaped() {
        assert_eq!(
            Text::new("{{#include /etc/passwd}}").as_markdown(),
            "\\{\\{\\#include /etc/passwd\\}\\}"
        );
        assert_eq!(
            Text::new("<img src=x onerror=alert(1)>").as_markdown(),
            "&lt;img src=x onerror=alert(1)&gt;"
        );
        assert_eq!(
            Text::new("[x](javascript:alert(1))").as_markdown(),
            "\\[x\\](javascript:alert(1))"
        );
        assert_eq!(Text::new("a|b\nc").as_markdown(), "a\\|b c");
        assert_eq!(
            Text::new("_x_ max_parts").as_markdown(),
            "\\_x\\_ max_parts"
        );
    }

    #[test]
    fn code_spans_only_for_plain_names() {
        assert_eq!(Code::new("events.raw").as_markdown(), "`events.raw`");
        assert_eq!(
            Code::new("cargo run -p x -- --mode full").as_markdown(),
            "`cargo run -p x -- --mode full`"
        );
        assert_eq!(
            Code::new("a`{{#title x}}").as_markdown(),
            "a\\`\\{\\{\\#title x\\}\\}"
        );
        assert_eq!(Code::new("").as_markdown(), "");
    }
}
