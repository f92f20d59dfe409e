//! Strict TOML reading: unknown keys are rejected, and errors carry the line.

use std::path::Path;

use serde::de::DeserializeOwned;

use crate::error::InputError;

/// A parsed TOML file with its text kept, so later checks can point at a line.
pub struct TomlFile<T> {
    pub value: T,
    text: String,
}

pub fn read<T: DeserializeOwned>(path: &Path) -> Result<TomlFile<T>, InputError> {
    let text = crate::file::read_text(path, crate::file::MAX_DOCUMENT_BYTES)?;
    match toml::from_str::<T>(&text) {
        Ok(value) => Ok(TomlFile { value, text }),
        Err(e) => {
            let message = e.message().trim().to_owned();
            let mut err = InputError::new(path, message.clone());
            if let Some(span) = e.span() {
                err = err.at_line(line_of_offset(&text, span.start));
                if let Some(field) = field_at(&text, span.start, &message) {
                    err = err.in_field(field);
                }
            }
            Err(err)
        }
    }
}

impl<T> TomlFile<T> {
    /// The 1-based line of a byte offset of the text, e.g. a `toml::Spanned` value's start.
    pub fn line_at(&self, offset: usize) -> u64 {
        line_of_offset(&self.text, offset)
    }

    /// An error at a spanned value: its line, the dotted field, the message.
    pub fn spanned_error<V>(
        &self,
        path: &Path,
        value: &toml::Spanned<V>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> InputError {
        InputError::new(path, message)
            .at_line(self.line_at(value.span().start))
            .in_field(field)
    }

    /// The line of `key` inside the `nth` table named `header` (e.g. `[[kafka.topics]]`),
    /// for errors found after parsing. `None` when it cannot be found.
    pub fn line_of(&self, header: &str, nth: usize, key: &str) -> Option<u64> {
        let mut seen = 0;
        // An empty header: the keys before the first table.
        let mut inside = header.is_empty();
        for (i, line) in self.text.lines().enumerate() {
            let trimmed = line.trim();
            if trimmed.starts_with('[') {
                inside = trimmed == header && {
                    seen += 1;
                    seen == nth + 1
                };
                continue;
            }
            if inside {
                let name = trimmed.split('=').next().unwrap_or("").trim();
                if name == key {
                    return Some(i as u64 + 1);
                }
            }
        }
        None
    }

    /// An error at `key` of the `nth` `header` table, with the line when known.
    pub fn error(
        &self,
        path: &Path,
        header: &str,
        nth: usize,
        key: &str,
        field: String,
        message: impl Into<String>,
    ) -> InputError {
        let mut err = InputError::new(path, message).in_field(field);
        if let Some(line) = self.line_of(header, nth, key) {
            err = err.at_line(line);
        }
        err
    }
}

/// The dotted key a parser error at `offset` is about: the table header above
/// it and the key on its line (or, for a missing key, the key the message
/// names), so a type error says which value is wrong.
fn field_at(text: &str, offset: usize, message: &str) -> Option<String> {
    let start = text[..offset.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let line = text[start..].lines().next().unwrap_or("").trim();
    let header_of = |l: &str| {
        l.strip_prefix('[').map(|h| {
            h.trim_start_matches('[')
                .trim_end_matches(']')
                .trim()
                .to_owned()
        })
    };
    // The table the offset lies in: the nearest header at or above its line.
    let table = text[..start]
        .lines()
        .rev()
        .find_map(|l| header_of(l.trim()))
        .unwrap_or_default();
    let join = |table: &str, key: &str| {
        if table.is_empty() {
            key.to_owned()
        } else {
            format!("{table}.{key}")
        }
    };
    if let Some(header) = header_of(line) {
        // The error is about a table: a missing key names itself in the message.
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|m| m.split('`').next());
        return Some(match missing {
            Some(key) => join(&header, key),
            None => header,
        });
    }
    let key = line.split('=').next()?.trim().trim_matches('"');
    (!key.is_empty() && !line.starts_with('#')).then(|| join(&table, key))
}

fn line_of_offset(text: &str, offset: usize) -> u64 {
    text[..offset.min(text.len())].matches('\n').count() as u64 + 1
}
