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
    let text = std::fs::read_to_string(path)
        .map_err(|e| InputError::new(path, format!("cannot read the file: {e}")))?;
    match toml::from_str::<T>(&text) {
        Ok(value) => Ok(TomlFile { value, text }),
        Err(e) => {
            let mut err = InputError::new(path, e.message().trim().to_owned());
            if let Some(span) = e.span() {
                err = err.at_line(line_of_offset(&text, span.start));
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
        let mut inside = false;
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

fn line_of_offset(text: &str, offset: usize) -> u64 {
    text[..offset.min(text.len())].matches('\n').count() as u64 + 1
}
