//! Checks of course input at the boundary (pure): every problem is
//! reported by field, nothing is written when one fails.

use invigil_domain::courses::{is_slug, parse_language, slugify};
use invigil_domain::text::{Text, check_text};

use crate::http::error::FieldError;

/// Longest Markdown text (course description, lecture body).
pub const MAX_MARKDOWN: usize = 100_000;
/// Longest lecture (seven days, in seconds).
pub const MAX_DURATION: i64 = 7 * 24 * 3600;

/// Collects field errors while checking.
#[derive(Debug, Default)]
pub struct Errors(pub Vec<FieldError>);

impl Errors {
    pub fn push(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// A one-line text of 1 to `MAX` printable characters, trimmed.
    pub fn line<const MAX: usize>(&mut self, field: &str, raw: &str) -> String {
        match Text::<MAX>::parse(field, raw) {
            Ok(t) if !t.as_str().trim().is_empty() => t.as_str().trim().to_owned(),
            Ok(_) => {
                self.push(field, format!("must be 1 to {MAX} printable characters"));
                String::new()
            }
            Err(e) => {
                self.0.push(e.into());
                String::new()
            }
        }
    }

    /// Markdown of at most [`MAX_MARKDOWN`] characters without control
    /// characters (rendered through the same sanitizer as question stems).
    pub fn markdown(&mut self, field: &str, raw: &str) -> String {
        if raw.chars().count() > MAX_MARKDOWN {
            self.push(field, format!("must be at most {MAX_MARKDOWN} characters"));
        } else if let Err(m) = check_text(raw) {
            self.push(field, m);
        }
        raw.trim().to_owned()
    }

    /// An optional Markdown text; empty is none.
    pub fn markdown_opt(&mut self, field: &str, raw: Option<&str>) -> Option<String> {
        raw.map(|r| self.markdown(field, r))
            .filter(|s| !s.is_empty())
    }

    /// A list of at most `max_items` lines of at most `MAX` characters.
    pub fn lines<const MAX: usize>(
        &mut self,
        field: &str,
        raw: &[String],
        max_items: usize,
    ) -> Vec<String> {
        if raw.len() > max_items {
            self.push(field, format!("at most {max_items} items"));
            return Vec::new();
        }
        raw.iter()
            .enumerate()
            .map(|(i, r)| self.line::<MAX>(&format!("{field}[{i}]"), r))
            .collect()
    }

    /// The slug given, or one made from `title`.
    pub fn slug(&mut self, given: Option<&str>, title: &str) -> String {
        match given {
            Some(s) if is_slug(s) => s.to_owned(),
            Some(_) => {
                self.push(
                    "slug",
                    "must be 1 to 80 of a-z, 0-9 and single dashes (e.g. intro-to-rust)",
                );
                String::new()
            }
            None => slugify(title).unwrap_or_else(|| {
                if !title.is_empty() {
                    self.push(
                        "slug",
                        "the title has no letters to make a slug of: give one",
                    );
                }
                String::new()
            }),
        }
    }

    pub fn language(&mut self, raw: &str) -> String {
        parse_language(raw).unwrap_or_else(|| {
            self.push("language", "must be a language tag such as en, fr or pt-BR");
            String::new()
        })
    }

    pub fn done<T>(self, value: T) -> Result<T, Vec<FieldError>> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_named() {
        let mut e = Errors::default();
        assert_eq!(e.line::<10>("title", "  Rust "), "Rust");
        e.line::<10>("title", "");
        e.line::<3>("name", "abcd");
        e.markdown("description", "a\u{0}b");
        e.lines::<5>("tags", &["ok".into(), "too long".into()], 3);
        assert_eq!(e.slug(None, "Intro to Rust"), "intro-to-rust");
        e.slug(Some("Bad Slug"), "x");
        e.language("english");
        let fields: Vec<String> = e.0.iter().map(|f| f.field.clone()).collect();
        assert_eq!(
            fields,
            [
                "title",
                "name",
                "description",
                "tags[1]",
                "slug",
                "language"
            ]
        );
    }
}
