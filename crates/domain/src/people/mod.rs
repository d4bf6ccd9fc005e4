//! People (seed 002, issue 16): the rules of a personal profile, an
//! instructor profile, a company profile and an API key's roles. Pure checks
//! of each field; the server turns their messages into 422 field errors.

use crate::identity::Role;
use crate::text::find_forbidden_control;

/// At most this many skills, languages, specializations or certifications.
pub const MAX_LIST: usize = 30;
/// At most this many characters in one item of such a list.
pub const MAX_ITEM: usize = 60;
/// At most this many bytes in the serialized preferences object.
pub const MAX_PREFERENCES_BYTES: usize = 2048;
/// The longest free text (bio, description).
pub const MAX_LONG_TEXT: usize = 4000;

/// The IANA areas a time zone may start with (`Area/City`, possibly
/// `Area/Region/City`), plus the few names without an area.
const TZ_AREAS: [&str; 10] = [
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
];

/// A time zone name: `UTC`, `Etc/UTC`, `Etc/GMT±N` or `Area/Location[/Sub]`
/// with a known IANA area and each location a capitalized word of ASCII
/// letters, digits, `_`, `-` or `+` (the shape of every IANA name).
pub fn check_time_zone(s: &str) -> Result<(), String> {
    const MSG: &str = "must be an IANA time zone such as Europe/Berlin or UTC";
    if s == "UTC" || s == "Etc/UTC" || s == "GMT" {
        return Ok(());
    }
    if let Some(rest) = s.strip_prefix("Etc/GMT") {
        let ok = match rest.split_at_checked(1) {
            Some(("+" | "-", n)) => n.parse::<u8>().is_ok_and(|n| n <= 14) && !n.starts_with('0'),
            _ => false,
        };
        return if ok { Ok(()) } else { Err(MSG.into()) };
    }
    let mut parts = s.split('/');
    let area = parts.next().unwrap_or_default();
    let rest: Vec<&str> = parts.collect();
    let ok = s.len() <= 64
        && TZ_AREAS.contains(&area)
        && (1..=2).contains(&rest.len())
        && rest.iter().all(|p| {
            p.len() >= 2
                && p.starts_with(|c: char| c.is_ascii_uppercase())
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))
        });
    if ok { Ok(()) } else { Err(MSG.into()) }
}

/// A BCP 47 language tag of the common shape: a 2-3 letter language, then
/// optional subtags of 2-8 letters or digits (script, region, variant),
/// separated by `-`; at most 35 characters.
pub fn check_locale(s: &str) -> Result<(), String> {
    const MSG: &str = "must be a BCP 47 language tag such as en, de-CH or zh-Hant-TW";
    let mut parts = s.split('-');
    let lang = parts.next().unwrap_or_default();
    let ok = s.len() <= 35
        && (2..=3).contains(&lang.len())
        && lang.chars().all(|c| c.is_ascii_alphabetic())
        && parts
            .all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if ok { Ok(()) } else { Err(MSG.into()) }
}

/// An http(s) link without credentials, at most 500 characters.
pub fn check_link(s: &str) -> Result<(), String> {
    const MSG: &str = "must be an http:// or https:// address of at most 500 characters";
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    let Some(rest) = rest else {
        return Err(MSG.into());
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let ok = s.len() <= 500
        && !host.is_empty()
        && !host.contains('@')
        && !s.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok { Ok(()) } else { Err(MSG.into()) }
}

/// A phone number: `+` optional, then digits, spaces, `-`, `(`, `)`; 4 to
/// 20 characters with at least 4 digits.
pub fn check_phone(s: &str) -> Result<(), String> {
    let body = s.strip_prefix('+').unwrap_or(s);
    let digits = body.chars().filter(char::is_ascii_digit).count();
    let ok = (4..=20).contains(&s.len())
        && digits >= 4
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')'));
    if ok {
        Ok(())
    } else {
        Err("must be a phone number of 4 to 20 characters (digits, spaces, + - ( ))".into())
    }
}

/// A bounded list of short printable items (skills, languages...):
/// trimmed, none empty, no duplicates (case-insensitive).
pub fn clean_list(items: &[String]) -> Result<Vec<String>, String> {
    if items.len() > MAX_LIST {
        return Err(format!("at most {MAX_LIST} items"));
    }
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        let t = item.trim();
        if t.is_empty() || t.chars().count() > MAX_ITEM || t.chars().any(char::is_control) {
            return Err(format!(
                "each item must be 1 to {MAX_ITEM} printable characters"
            ));
        }
        if out.iter().any(|o| o.eq_ignore_ascii_case(t)) {
            return Err(format!("\"{t}\" is listed twice"));
        }
        out.push(t.to_owned());
    }
    Ok(out)
}

/// Free text of at most `max` characters: trimmed; tab and line ends are
/// allowed, other control characters are not. Empty means none.
pub fn clean_text(s: &str, max: usize) -> Result<Option<String>, String> {
    let t = s.trim();
    if let Some((i, c)) = find_forbidden_control(t) {
        return Err(crate::text::control_message(i, c));
    }
    if t.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err("must not contain control characters".into());
    }
    if t.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    Ok((!t.is_empty()).then(|| t.to_owned()))
}

/// The preferences object: known keys with their types, at most
/// [`MAX_PREFERENCES_BYTES`] serialized. `(key, message)` on a bad one.
pub fn check_preferences(v: &serde_json::Value) -> Result<(), (String, String)> {
    let Some(obj) = v.as_object() else {
        return Err(("preferences".into(), "must be a JSON object".into()));
    };
    if serde_json::to_string(v).map_or(usize::MAX, |s| s.len()) > MAX_PREFERENCES_BYTES {
        return Err((
            "preferences".into(),
            format!("must be at most {MAX_PREFERENCES_BYTES} bytes"),
        ));
    }
    for (k, val) in obj {
        let field = format!("preferences.{k}");
        let ok = match k.as_str() {
            "email_notifications" | "sms_notifications" | "marketing_emails" => val.is_boolean(),
            "theme" => matches!(val.as_str(), Some("light" | "dark" | "system")),
            "language" => val.as_str().is_some_and(|s| check_locale(s).is_ok()),
            _ => return Err((field, "is not a known preference".into())),
        };
        if !ok {
            let msg = match k.as_str() {
                "theme" => "must be \"light\", \"dark\" or \"system\"",
                "language" => "must be a BCP 47 language tag",
                _ => "must be true or false",
            };
            return Err((field, msg.into()));
        }
    }
    Ok(())
}

/// The company sizes of seed 002.
pub const COMPANY_SIZES: [&str; 5] = ["1-10", "11-50", "51-200", "201-500", "501+"];

pub fn check_company_size(s: &str) -> Result<(), String> {
    if COMPANY_SIZES.contains(&s) {
        Ok(())
    } else {
        Err(format!("must be one of {}", COMPANY_SIZES.join(", ")))
    }
}

/// An ISO 3166-1 alpha-2 country code (two upper-case letters; the
/// user-assigned ranges AA, QM-QZ, XA-XZ and ZZ are refused).
pub fn check_country(s: &str) -> Result<(), String> {
    let b = s.as_bytes();
    let ok = b.len() == 2
        && b.iter().all(u8::is_ascii_uppercase)
        && s != "AA"
        && s != "ZZ"
        && !(b[0] == b'Q' && b[1] >= b'M')
        && b[0] != b'X';
    if ok {
        Ok(())
    } else {
        Err("must be an ISO 3166-1 alpha-2 country code such as DE".into())
    }
}

/// Years of experience: 0 to 80.
pub fn check_years(n: i32) -> Result<(), String> {
    if (0..=80).contains(&n) {
        Ok(())
    } else {
        Err("must be between 0 and 80".into())
    }
}

/// The roles an API key may carry: any organization role except
/// SUPER_ADMIN and CANDIDATE; at least one, no duplicates.
pub fn check_key_roles(roles: &[Role]) -> Result<Vec<Role>, String> {
    if roles.is_empty() {
        return Err("at least one role".into());
    }
    let mut out = Vec::new();
    for r in roles {
        if matches!(r, Role::SuperAdmin | Role::Candidate) {
            return Err(format!("{} cannot be given to an API key", r.as_str()));
        }
        if !out.contains(r) {
            out.push(*r);
        }
    }
    out.sort();
    Ok(out)
}

/// The image types an avatar or logo may have, recognised by their first
/// bytes: PNG, JPEG, WebP. The declared content type must match.
pub fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// The largest avatar or logo, in bytes.
pub const MAX_IMAGE_BYTES: usize = 2 * 1024 * 1024;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn time_zones() {
        for ok in [
            "UTC",
            "Europe/Berlin",
            "America/Argentina/Buenos_Aires",
            "America/Port-au-Prince",
            "Etc/GMT+5",
            "Etc/GMT-14",
            "Asia/Ho_Chi_Minh",
        ] {
            assert!(check_time_zone(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "Berlin",
            "Mars/Olympus",
            "Europe/",
            "europe/berlin",
            "Europe/berlin",
            "Europe/Ber lin",
            "Etc/GMT+15",
            "Etc/GMT+05",
            "Europe/A/B/C",
            "../etc/passwd",
        ] {
            assert!(check_time_zone(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn locales() {
        for ok in ["en", "de-CH", "zh-Hant-TW", "es-419", "gsw"] {
            assert!(check_locale(ok).is_ok(), "{ok}");
        }
        for bad in ["", "e", "english", "en_US", "en-", "de-CH-", "12"] {
            assert!(check_locale(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn links() {
        assert!(check_link("https://github.com/ada").is_ok());
        assert!(check_link("http://example.org").is_ok());
        for bad in [
            "javascript:alert(1)",
            "ftp://x.org",
            "https://",
            "https://user@evil.example/",
            "https://a b.org",
        ] {
            assert!(check_link(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phones() {
        assert!(check_phone("+49 30 1234567").is_ok());
        assert!(check_phone("(030) 123-45").is_ok());
        assert!(check_phone("12").is_err());
        assert!(check_phone("call me").is_err());
        assert!(check_phone("+1 234 567 890 123 456 789").is_err());
    }

    #[test]
    fn lists_are_bounded_and_clean() {
        let many: Vec<String> = (0..31).map(|i| format!("s{i}")).collect();
        assert!(clean_list(&many).is_err());
        assert_eq!(
            clean_list(&[" Rust ".into(), "SQL".into()]).unwrap(),
            vec!["Rust", "SQL"]
        );
        assert!(clean_list(&["a".into(), "A".into()]).is_err());
        assert!(clean_list(&["".into()]).is_err());
        assert!(clean_list(&["a\u{7}".into()]).is_err());
        assert!(clean_list(&["x".repeat(61)]).is_err());
    }

    #[test]
    fn preferences() {
        assert!(
            check_preferences(
                &json!({"email_notifications": true, "theme": "dark", "language": "de"})
            )
            .is_ok()
        );
        assert!(check_preferences(&json!([])).is_err());
        assert_eq!(
            check_preferences(&json!({"colour": "red"})).unwrap_err().0,
            "preferences.colour"
        );
        assert!(check_preferences(&json!({"theme": "pink"})).is_err());
        assert!(check_preferences(&json!({"email_notifications": "yes"})).is_err());
    }

    #[test]
    fn companies() {
        assert!(check_company_size("51-200").is_ok());
        assert!(check_company_size("50").is_err());
        assert!(check_country("DE").is_ok());
        for bad in ["de", "DEU", "ZZ", "XK", "QM", ""] {
            assert!(check_country(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn key_roles() {
        assert_eq!(
            check_key_roles(&[Role::ReportViewer, Role::ReportViewer]).unwrap(),
            vec![Role::ReportViewer]
        );
        assert!(check_key_roles(&[]).is_err());
        assert!(check_key_roles(&[Role::SuperAdmin]).is_err());
        assert!(check_key_roles(&[Role::Candidate]).is_err());
    }

    #[test]
    fn images() {
        assert_eq!(sniff_image(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(sniff_image(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff_image(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff_image(b"GIF89a"), None);
        assert_eq!(sniff_image(b"<svg"), None);
    }

    #[test]
    fn free_text() {
        assert_eq!(
            clean_text("  hi\nthere ", 100).unwrap().as_deref(),
            Some("hi\nthere")
        );
        assert_eq!(clean_text("   ", 100).unwrap(), None);
        assert!(clean_text("a\u{1b}b", 100).is_err());
        assert!(clean_text(&"x".repeat(101), 100).is_err());
    }
}
