//! Every template key Invigil sends: its kind, the variables it declares
//! (name, description, sample value) and its default texts per channel.
//! The mail defaults are the texts Invigil always sent; an organization may
//! override any of them (`notification_templates`), checked against the
//! key's variables at save time.

use super::template::{Template, TemplateError};
use super::{Channel, NoticeKind};

/// A variable a template may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Var {
    pub name: &'static str,
    pub description: &'static str,
    pub sample: &'static str,
}

/// The default subject (mail) or title (in-app) and body of one channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Text {
    pub subject: &'static str,
    pub body: &'static str,
}

/// One template key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    pub key: &'static str,
    pub kind: NoticeKind,
    pub description: &'static str,
    pub vars: &'static [Var],
    pub mail: Option<Text>,
    pub in_app: Option<Text>,
}

impl Spec {
    /// The default text of `channel`, if the key is sent there.
    pub fn default_text(&self, channel: Channel) -> Option<Text> {
        match channel {
            Channel::Mail => self.mail,
            Channel::InApp => self.in_app,
        }
    }

    pub fn var_names(&self) -> Vec<&'static str> {
        self.vars.iter().map(|v| v.name).collect()
    }

    /// Parses a source of this key (subject or body).
    pub fn parse(&self, src: &str) -> Result<Template, TemplateError> {
        Template::parse(src, &self.var_names())
    }

    /// The sample value of a variable.
    pub fn sample(&self, name: &str) -> Option<&'static str> {
        self.vars.iter().find(|v| v.name == name).map(|v| v.sample)
    }
}

const NAME: Var = Var {
    name: "name",
    description: "the recipient's name",
    sample: "Ana Lima",
};
const BASE_URL: Var = Var {
    name: "base_url",
    description: "the address of this Invigil (public_base_url), without a trailing slash",
    sample: "https://invigil.example.org",
};
const ORG: Var = Var {
    name: "org",
    description: "the organization's name",
    sample: "Acme University",
};
const LINK: Var = Var {
    name: "link",
    description: "the link with the one-time token (an address of this Invigil)",
    sample: "https://invigil.example.org/verify-email?token=sample",
};
const INVITER: Var = Var {
    name: "inviter",
    description: "the email address of the staff member who invited",
    sample: "registrar@acme.example.org",
};
const ROLES: Var = Var {
    name: "roles",
    description: "the roles given, comma separated",
    sample: "CANDIDATE",
};
const CERTIFICATE: Var = Var {
    name: "certificate",
    description: "the certificate's title",
    sample: "Certified anatomy assistant",
};
const CERTIFICATE_CODE: Var = Var {
    name: "code",
    description: "the certificate's public verification code",
    sample: "K7QW-3MZP-H2XA",
};
const EXAM: Var = Var {
    name: "exam",
    description: "the exam's title",
    sample: "Anatomy final",
};
const COURSE: Var = Var {
    name: "course",
    description: "the course's title",
    sample: "Introduction to anatomy",
};
const TITLE: Var = Var {
    name: "title",
    description: "the live session's title",
    sample: "Week 3: the upper limb",
};
const STARTS_AT: Var = Var {
    name: "starts_at",
    description: "when the live session starts (UTC)",
    sample: "2026-12-07 14:00 UTC",
};

/// Every key, in the order pages list them.
pub const CATALOG: &[Spec] = &[
    Spec {
        key: "email_verification",
        kind: NoticeKind::Account,
        description: "Sent to a new email address to confirm it.",
        vars: &[
            NAME,
            Var {
                sample: "https://invigil.example.org/verify-email?token=sample",
                ..LINK
            },
        ],
        mail: Some(Text {
            subject: "Confirm your new Invigil email address",
            body: "Hello {{name}},\n\nConfirm this address for your Invigil account within 24 hours:\n\n{{link}}\n",
        }),
        in_app: None,
    },
    Spec {
        key: "email_change_notice",
        kind: NoticeKind::Account,
        description: "Sent to the old address when someone asks to change it, with a link to keep it.",
        vars: &[
            NAME,
            Var {
                name: "new_email",
                description: "the address asked for",
                sample: "ana.new@example.org",
            },
            Var {
                sample: "https://invigil.example.org/revert-email?token=sample",
                ..LINK
            },
        ],
        mail: Some(Text {
            subject: "Your Invigil email address is being changed",
            body: "Hello {{name}},\n\nSomeone signed in to your Invigil account asked to change its email address from this one to {{new_email}}.\n\nIf it was not you, open this link within 7 days to keep this address and sign out every session of the account:\n\n{{link}}\n\nThen choose a new password (\"Forgot password\" on the sign-in page): whoever asked for the change knew your current one.\n",
        }),
        in_app: None,
    },
    Spec {
        key: "password_reset",
        kind: NoticeKind::Account,
        description: "Sent when someone asks to reset a password.",
        vars: &[
            NAME,
            Var {
                sample: "https://invigil.example.org/reset-password?token=sample",
                ..LINK
            },
        ],
        mail: Some(Text {
            subject: "Reset your Invigil password",
            body: "Hello {{name}},\n\nSomeone asked to reset the password of your Invigil account. If it was you, open this link within one hour:\n\n{{link}}\n\nIf it was not you, ignore this mail; your password stays as it is.\n",
        }),
        in_app: None,
    },
    Spec {
        key: "invitation",
        kind: NoticeKind::Account,
        description: "Invites a person to the organization.",
        vars: &[
            NAME,
            INVITER,
            ORG,
            ROLES,
            Var {
                sample: "https://invigil.example.org/accept-invitation?token=sample",
                ..LINK
            },
            Var {
                name: "existing",
                description: "\"yes\" when the person already has an account (empty otherwise; use with {{#if existing}})",
                sample: "",
            },
        ],
        mail: Some(Text {
            subject: "Invitation to {{org}} on Invigil",
            body: "Hello {{name}},\n\n{{inviter}} invited you to {{org}} on Invigil ({{roles}}).\n{{#if existing}}You already have an Invigil account with this address: accept with your current password within 7 days{{else}}Choose your password and sign in within 7 days{{/if}}:\n\n{{link}}\n\nIf you do not want to join, ignore this mail.\n",
        }),
        in_app: None,
    },
    Spec {
        key: "sign_up_verification",
        kind: NoticeKind::Account,
        description: "Sent when someone signs up to an organization: the link that verifies the address and activates the account.",
        vars: &[
            NAME,
            ORG,
            Var {
                sample: "https://invigil.example.org/sign-up/verify?token=sample",
                ..LINK
            },
        ],
        mail: Some(Text {
            subject: "Verify your address to join {{org}} on Invigil",
            body: "Hello {{name}},\n\nSomeone signed up to {{org}} on Invigil with this address. If it was you, open this link within 24 hours to verify it and activate your account:\n\n{{link}}\n\nIf it was not you, ignore this mail; no account is activated.\n",
        }),
        in_app: None,
    },
    Spec {
        key: "sign_up_existing",
        kind: NoticeKind::Account,
        description: "Sent instead of a verification link when someone signs up with an address that already has an account.",
        vars: &[
            NAME,
            ORG,
            Var {
                sample: "https://invigil.example.org/signin",
                ..LINK
            },
        ],
        mail: Some(Text {
            subject: "Someone tried to sign up to {{org}} with your address",
            body: "Hello {{name}},\n\nSomeone tried to sign up to {{org}} on Invigil with this address, which already has an account. Nothing was changed.\n\nIf it was you, sign in instead (or use \"Forgot your password?\" there):\n\n{{link}}\n\nIf it was not you, you can ignore this mail.\n",
        }),
        in_app: None,
    },
    Spec {
        key: "member_added",
        kind: NoticeKind::Account,
        description: "Tells a person with an account that they were added to the organization.",
        vars: &[NAME, INVITER, ORG, ROLES, BASE_URL],
        mail: Some(Text {
            subject: "You were added to {{org}} on Invigil",
            body: "Hello {{name}},\n\n{{inviter}} added you to {{org}} on Invigil with the roles: {{roles}}.\nSign in at {{base_url}}/ with your usual password.\n",
        }),
        in_app: None,
    },
    Spec {
        key: "exam_enrollment",
        kind: NoticeKind::Announcement,
        description: "Tells a candidate they are enrolled in an exam.",
        vars: &[
            NAME,
            ORG,
            EXAM,
            Var {
                name: "window",
                description: "when the exam may be started",
                sample: "from 2026-12-07 09:00 UTC until 2026-12-07 17:00 UTC",
            },
            Var {
                name: "duration_minutes",
                description: "the exam's duration in minutes",
                sample: "90",
            },
            Var {
                name: "attempts",
                description: "how many attempts are allowed",
                sample: "1",
            },
            BASE_URL,
        ],
        mail: Some(Text {
            subject: "You are enrolled in {{exam}}",
            body: "Hello {{name}},\n\n{{org}} enrolled you in the exam \"{{exam}}\" on Invigil.\nYou may start it {{window}} (duration {{duration_minutes}} minutes, {{attempts}} attempt(s)).\nSign in at {{base_url}}/ to see your exams.\n",
        }),
        in_app: Some(Text {
            subject: "Enrolled in {{exam}}",
            body: "{{org}} enrolled you in the exam \"{{exam}}\". You may start it {{window}}.",
        }),
    },
    Spec {
        key: "results_released",
        kind: NoticeKind::TestResult,
        description: "Tells a candidate an exam's results are released.",
        vars: &[NAME, EXAM, BASE_URL],
        mail: Some(Text {
            subject: "Your result for {{exam}} is available",
            body: "Hello {{name}},\n\nThe results of \"{{exam}}\" are released. See them at {{base_url}}/ (My results).\n",
        }),
        in_app: Some(Text {
            subject: "Your result for {{exam}} is available",
            body: "The results of \"{{exam}}\" are released.",
        }),
    },
    Spec {
        key: "course_enrolled",
        kind: NoticeKind::CourseUpdate,
        description: "Welcomes a learner enrolled in a course.",
        vars: &[NAME, COURSE, BASE_URL],
        mail: Some(Text {
            subject: "Welcome to {{course}}",
            body: "Hello {{name}},\n\nYou are enrolled in the course \"{{course}}\". Start learning at {{base_url}}/.\n",
        }),
        in_app: Some(Text {
            subject: "Enrolled in {{course}}",
            body: "You are enrolled in the course \"{{course}}\".",
        }),
    },
    Spec {
        key: "course_completed",
        kind: NoticeKind::Achievement,
        description: "Congratulates a learner who completed a course.",
        vars: &[NAME, COURSE, BASE_URL],
        mail: Some(Text {
            subject: "You completed {{course}}",
            body: "Hello {{name}},\n\nCongratulations: you completed the course \"{{course}}\".\n",
        }),
        in_app: Some(Text {
            subject: "Course completed: {{course}}",
            body: "Congratulations: you completed the course \"{{course}}\".",
        }),
    },
    Spec {
        key: "practice_result",
        kind: NoticeKind::TestResult,
        description: "Shows a learner the result of a practice exam.",
        vars: &[
            NAME,
            EXAM,
            Var {
                name: "score",
                description: "the score, in percent",
                sample: "80 %",
            },
            Var {
                name: "passed",
                description: "\"yes\" when passed (empty otherwise; use with {{#if passed}})",
                sample: "yes",
            },
        ],
        mail: None,
        in_app: Some(Text {
            subject: "Practice result: {{exam}}",
            body: "You scored {{score}} in \"{{exam}}\".{{#if passed}} Passed.{{/if}}",
        }),
    },
    Spec {
        key: "live_session_reminder",
        kind: NoticeKind::LiveSession,
        description: "Reminds a participant that a live session starts soon.",
        vars: &[
            NAME,
            TITLE,
            STARTS_AT,
            Var {
                name: "minutes",
                description: "minutes until the start",
                sample: "15",
            },
            BASE_URL,
        ],
        mail: Some(Text {
            subject: "Starting in {{minutes}} minutes: {{title}}",
            body: "Hello {{name}},\n\nThe live session \"{{title}}\" starts at {{starts_at}}. Join it from {{base_url}}/.\n",
        }),
        in_app: Some(Text {
            subject: "Starting soon: {{title}}",
            body: "The live session \"{{title}}\" starts at {{starts_at}}.",
        }),
    },
    Spec {
        key: "live_session_cancelled",
        kind: NoticeKind::LiveSession,
        description: "Tells the participants a live session is cancelled.",
        vars: &[NAME, TITLE, STARTS_AT],
        mail: Some(Text {
            subject: "Cancelled: {{title}}",
            body: "Hello {{name}},\n\nThe live session \"{{title}}\" planned for {{starts_at}} is cancelled.\n",
        }),
        in_app: Some(Text {
            subject: "Cancelled: {{title}}",
            body: "The live session \"{{title}}\" planned for {{starts_at}} is cancelled.",
        }),
    },
    Spec {
        key: "payment_received",
        kind: NoticeKind::Payment,
        description: "Confirms a payment.",
        vars: &[
            NAME,
            Var {
                name: "amount",
                description: "the amount with its currency",
                sample: "49.00 EUR",
            },
            Var {
                name: "description",
                description: "what was paid for",
                sample: "Introduction to anatomy",
            },
        ],
        mail: Some(Text {
            subject: "Payment received: {{amount}}",
            body: "Hello {{name}},\n\nWe received your payment of {{amount}} for {{description}}. Thank you.\n",
        }),
        in_app: Some(Text {
            subject: "Payment received",
            body: "We received your payment of {{amount}} for {{description}}.",
        }),
    },
    Spec {
        key: "job_application",
        kind: NoticeKind::Announcement,
        description: "Confirms an application to a job posting and points to its assessment.",
        vars: &[
            NAME,
            ORG,
            Var {
                name: "job",
                description: "the job posting's title",
                sample: "Backend engineer",
            },
            EXAM,
            Var {
                name: "window",
                description: "when the assessment may be started",
                sample: "from 2026-12-07 09:00 UTC until 2026-12-07 17:00 UTC",
            },
            Var {
                name: "duration_minutes",
                description: "the assessment's duration in minutes",
                sample: "60",
            },
            BASE_URL,
        ],
        mail: Some(Text {
            subject: "Your application to {{org}}: {{job}}",
            body: "Hello {{name}},\n\nThank you for applying to \"{{job}}\" at {{org}}.\nThe next step is the assessment \"{{exam}}\": you may take it {{window}} ({{duration_minutes}} minutes).\nStart it at {{base_url}}/ (My exams). You can withdraw your application at {{base_url}}/me/applications\n",
        }),
        in_app: Some(Text {
            subject: "Applied: {{job}}",
            body: "Your application to \"{{job}}\" at {{org}} is in. Take the assessment \"{{exam}}\" {{window}}.",
        }),
    },
    Spec {
        key: "certificate_issued",
        kind: NoticeKind::Achievement,
        description: "Tells a candidate they earned a certificate for a passed exam.",
        vars: &[NAME, CERTIFICATE, CERTIFICATE_CODE, BASE_URL],
        mail: Some(Text {
            subject: "Your certificate: {{certificate}}",
            body: "Hello {{name}},\n\nCongratulations: you earned the certificate \"{{certificate}}\" (code {{code}}).\nDownload it, and choose whether others may verify your name on it, at {{base_url}}/me/certificates\n",
        }),
        in_app: Some(Text {
            subject: "Certificate earned: {{certificate}}",
            body: "You earned the certificate \"{{certificate}}\" (code {{code}}).",
        }),
    },
    Spec {
        key: "certificate_revoked",
        kind: NoticeKind::Achievement,
        description: "Tells a holder their certificate was revoked, and why.",
        vars: &[
            NAME,
            CERTIFICATE,
            CERTIFICATE_CODE,
            Var {
                name: "reason",
                description: "why the certificate was revoked",
                sample: "issued in error",
            },
            BASE_URL,
        ],
        mail: Some(Text {
            subject: "Your certificate {{certificate}} was revoked",
            body: "Hello {{name}},\n\nYour certificate \"{{certificate}}\" (code {{code}}) was revoked: {{reason}}.\nSee {{base_url}}/me/certificates\n",
        }),
        in_app: Some(Text {
            subject: "Certificate revoked: {{certificate}}",
            body: "Your certificate \"{{certificate}}\" (code {{code}}) was revoked: {{reason}}.",
        }),
    },
];

/// The spec of a key.
pub fn spec(key: &str) -> Option<&'static Spec> {
    CATALOG.iter().find(|s| s.key == key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::template::Escape;

    #[test]
    fn every_default_parses_against_its_own_variables() {
        for s in CATALOG {
            assert!(s.mail.is_some() || s.in_app.is_some(), "{}", s.key);
            for ch in Channel::ALL {
                if let Some(t) = s.default_text(*ch) {
                    s.parse(t.subject).unwrap();
                    s.parse(t.body).unwrap();
                }
            }
            let mut names = s.var_names();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), s.vars.len(), "{}: a variable twice", s.key);
        }
        let mut keys: Vec<_> = CATALOG.iter().map(|s| s.key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), CATALOG.len());
    }

    #[test]
    fn defaults_render_todays_texts() {
        let s = spec("invitation").unwrap();
        let body = s.parse(s.mail.unwrap().body).unwrap();
        let vals = |existing: &'static str| {
            move |k: &str| match k {
                "existing" => Some(existing),
                other => s.sample(other),
            }
        };
        let new = body.render(vals(""), Escape::None);
        assert!(
            new.contains(
                "(CANDIDATE).\nChoose your password and sign in within 7 days:\n\nhttps://"
            ),
            "{new}"
        );
        let old = body.render(vals("yes"), Escape::None);
        assert!(
            old.contains("accept with your current password within 7 days:"),
            "{old}"
        );
        assert!(spec("nope").is_none());
    }
}
