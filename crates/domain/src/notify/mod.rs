//! Notifications (seed 004): the kinds and priorities of a notice, the
//! channels a template is written for, the catalog of template keys with
//! their variables and default texts ([`catalog`]), the safe template
//! language ([`template`]) and the rule for links a notice may carry.

pub mod catalog;
pub mod live;
pub mod template;

crate::stored_enum! {
    /// What a notification is about (seed 004's notification_type, plus
    /// ACCOUNT for sign-in and address mails).
    pub enum NoticeKind {
        CourseUpdate = "COURSE_UPDATE",
        Payment = "PAYMENT",
        Achievement = "ACHIEVEMENT",
        Reminder = "REMINDER",
        Announcement = "ANNOUNCEMENT",
        LiveSession = "LIVE_SESSION",
        TestResult = "TEST_RESULT",
        Violation = "VIOLATION",
        /// Account mails (address confirmation, password reset,
        /// invitations): always mailed, whatever the preferences say.
        Account = "ACCOUNT",
    }
}

crate::stored_enum! {
    /// How urgent a notification is (seed 004).
    pub enum Priority {
        Low = "LOW",
        Medium = "MEDIUM",
        High = "HIGH",
        Urgent = "URGENT",
    }
}

crate::stored_enum! {
    /// Where a template's text goes.
    pub enum Channel {
        Mail = "MAIL",
        InApp = "IN_APP",
    }
}

/// Longest title of an in-app notification or subject of a mail template.
pub const MAX_SUBJECT: usize = 200;
/// Longest link of a notification.
pub const MAX_LINK: usize = 500;

/// A notification's link must be a path of our own UI: starts with one `/`,
/// no scheme, host, backslash, whitespace or control character.
pub fn is_local_link(link: &str) -> bool {
    link.starts_with('/')
        && !link.starts_with("//")
        && link.len() <= MAX_LINK
        && !link
            .chars()
            .any(|c| c == '\\' || c.is_whitespace() || c.is_control())
}

/// A subject or title is one line: line breaks become spaces (a mail
/// subject with a newline would be a header injection).
pub fn one_line(s: &str) -> String {
    s.split(['\r', '\n'])
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_stay_inside_our_ui() {
        assert!(is_local_link("/me/results"));
        assert!(is_local_link("/me/exams?x=1#a"));
        for bad in [
            "",
            "me/results",
            "//evil.example/x",
            "https://evil.example",
            "/\\evil.example",
            "/a b",
            "/a\nb",
            "javascript:alert(1)",
        ] {
            assert!(!is_local_link(bad), "{bad:?}");
        }
        assert!(!is_local_link(&format!("/{}", "a".repeat(MAX_LINK))));
    }

    #[test]
    fn subjects_are_one_line() {
        assert_eq!(one_line("a\r\nb\nc"), "a b c");
        assert_eq!(one_line("plain"), "plain");
    }
}
