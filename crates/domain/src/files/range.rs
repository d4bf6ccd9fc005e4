//! HTTP range requests of downloads (RFC 9110 §14): one byte range is
//! answered 206, an unsatisfiable one 416, anything else (no header, another
//! unit, several ranges, bad syntax) the whole body.

/// Bytes `start..=end` of a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    /// Inclusive.
    pub end: u64,
}

impl ByteRange {
    pub fn len(self) -> u64 {
        self.end - self.start + 1
    }

    pub fn is_empty(self) -> bool {
        false
    }

    /// The `Content-Range` value of this range of a body of `size` bytes.
    pub fn content_range(self, size: u64) -> String {
        format!("bytes {}-{}/{}", self.start, self.end, size)
    }
}

/// How to answer a download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeAnswer {
    /// 200 with the whole body.
    Full,
    /// 206 with these bytes.
    Partial(ByteRange),
    /// 416 with `Content-Range: bytes */size`.
    Unsatisfiable,
}

/// The answer to a `Range` header (`None`: no header) for a body of `size`
/// bytes.
pub fn parse_range(header: Option<&str>, size: u64) -> RangeAnswer {
    let Some(header) = header else {
        return RangeAnswer::Full;
    };
    let header = header.trim();
    let Some((unit, specs)) = header.split_once('=') else {
        return RangeAnswer::Full;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") {
        return RangeAnswer::Full;
    }
    let mut specs = specs.split(',').map(str::trim).filter(|s| !s.is_empty());
    let (Some(spec), None) = (specs.next(), specs.next()) else {
        // None or several ranges: the whole body.
        return RangeAnswer::Full;
    };
    let Some((first, last)) = spec.split_once('-') else {
        return RangeAnswer::Full;
    };
    let number = |s: &str| -> Option<u64> {
        let s = s.trim();
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            None
        } else {
            s.parse().ok()
        }
    };
    match (first.trim().is_empty(), last.trim().is_empty()) {
        // bytes=-N: the last N bytes.
        (true, false) => match number(last) {
            None => RangeAnswer::Full,
            Some(0) => RangeAnswer::Unsatisfiable,
            Some(_) if size == 0 => RangeAnswer::Unsatisfiable,
            Some(n) => RangeAnswer::Partial(ByteRange {
                start: size.saturating_sub(n),
                end: size - 1,
            }),
        },
        // bytes=N-: from N to the end.
        (false, true) => match number(first) {
            None => RangeAnswer::Full,
            Some(n) if n >= size => RangeAnswer::Unsatisfiable,
            Some(n) => RangeAnswer::Partial(ByteRange {
                start: n,
                end: size - 1,
            }),
        },
        (false, false) => match (number(first), number(last)) {
            (Some(a), Some(b)) if a <= b => {
                if a >= size {
                    RangeAnswer::Unsatisfiable
                } else {
                    RangeAnswer::Partial(ByteRange {
                        start: a,
                        end: b.min(size - 1),
                    })
                }
            }
            _ => RangeAnswer::Full,
        },
        (true, true) => RangeAnswer::Full,
    }
}

/// A `Content-Disposition` value offering `name`: `inline` or
/// `attachment`, an ASCII `filename` fallback and the exact name as
/// `filename*` (RFC 6266 / RFC 8187), so no quote, newline or non-ASCII
/// character of a name can break the header.
pub fn content_disposition(inline: bool, name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'!' | b'#' | b'$' | b'&' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'
            );
        if keep {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    let disposition = if inline { "inline" } else { "attachment" };
    format!("{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(start: u64, end: u64) -> RangeAnswer {
        RangeAnswer::Partial(ByteRange { start, end })
    }

    #[test]
    fn single_ranges() {
        assert_eq!(parse_range(None, 100), RangeAnswer::Full);
        assert_eq!(parse_range(Some("bytes=0-9"), 100), part(0, 9));
        assert_eq!(parse_range(Some("bytes=90-200"), 100), part(90, 99));
        assert_eq!(parse_range(Some("bytes=50-"), 100), part(50, 99));
        assert_eq!(parse_range(Some("bytes=-10"), 100), part(90, 99));
        assert_eq!(parse_range(Some("bytes=-500"), 100), part(0, 99));
        assert_eq!(parse_range(Some("Bytes = 1-1"), 100), part(1, 1));
        assert_eq!(
            part(90, 99),
            RangeAnswer::Partial(ByteRange { start: 90, end: 99 })
        );
        assert_eq!(ByteRange { start: 90, end: 99 }.len(), 10);
        assert_eq!(
            ByteRange { start: 0, end: 9 }.content_range(100),
            "bytes 0-9/100"
        );
    }

    #[test]
    fn unsatisfiable_and_ignored() {
        assert_eq!(
            parse_range(Some("bytes=100-"), 100),
            RangeAnswer::Unsatisfiable
        );
        assert_eq!(
            parse_range(Some("bytes=100-200"), 100),
            RangeAnswer::Unsatisfiable
        );
        assert_eq!(
            parse_range(Some("bytes=-0"), 100),
            RangeAnswer::Unsatisfiable
        );
        assert_eq!(parse_range(Some("bytes=0-"), 0), RangeAnswer::Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=-5"), 0), RangeAnswer::Unsatisfiable);
        // Ignored: the whole body.
        assert_eq!(parse_range(Some("bytes=0-1,5-6"), 100), RangeAnswer::Full);
        assert_eq!(parse_range(Some("items=0-1"), 100), RangeAnswer::Full);
        assert_eq!(parse_range(Some("bytes=9-1"), 100), RangeAnswer::Full);
        assert_eq!(parse_range(Some("bytes=a-b"), 100), RangeAnswer::Full);
        assert_eq!(parse_range(Some("bytes=-"), 100), RangeAnswer::Full);
        assert_eq!(parse_range(Some("bytes=+1-2"), 100), RangeAnswer::Full);
        assert_eq!(parse_range(Some("bytes=1"), 100), RangeAnswer::Full);
        assert_eq!(
            parse_range(Some("bytes=99999999999999999999999-"), 100),
            RangeAnswer::Full
        );
    }

    #[test]
    fn disposition_is_safe() {
        assert_eq!(
            content_disposition(true, "lecture 1.mp4"),
            "inline; filename=\"lecture 1.mp4\"; filename*=UTF-8''lecture%201.mp4"
        );
        let d = content_disposition(false, "Lösung \"final\"\r\n.docx");
        assert!(d.starts_with("attachment; filename=\"L_sung _final___.docx\""));
        assert!(d.ends_with("filename*=UTF-8''L%C3%B6sung%20%22final%22%0D%0A.docx"));
        assert!(!d.contains('\n'));
    }
}
