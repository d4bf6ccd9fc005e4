//! New-password rules (ASVS 5.0) and the common-password list.

use invigil_domain::identity::password::{
    self, MAX_LEN, MIN_LEN, PasswordError, RECOMMENDED_LEN, check_new_password, is_common,
};

#[test]
fn limits_are_as_documented() {
    assert_eq!((MIN_LEN, RECOMMENDED_LEN, MAX_LEN), (8, 12, 128));
}

#[test]
fn length_is_counted_in_characters_not_bytes() {
    // 7 characters, 14+ bytes: too short.
    assert_eq!(
        check_new_password("ééééééé", None),
        Err(PasswordError::TooShort { min: 8 })
    );
    // 8 characters of 4 bytes each: fine.
    assert_eq!(check_new_password("🦀🦞🦀🦞🦀🦞🦀🦞", None), Ok(()));
    assert_eq!(
        check_new_password("kp7#wq2", None),
        Err(PasswordError::TooShort { min: 8 })
    );
    assert_eq!(check_new_password("kp7#wq2z", None), Ok(()));
    assert_eq!(
        check_new_password("", None),
        Err(PasswordError::TooShort { min: 8 })
    );
    // 128 multi-byte characters (512 bytes) are allowed, 129 are not.
    assert_eq!(check_new_password(&"жы".repeat(64), None), Ok(()));
    assert_eq!(
        check_new_password(&"ж".repeat(129), None),
        Err(PasswordError::TooLong { max: 128 })
    );
    assert_eq!(
        check_new_password(&"x1".repeat(65), None),
        Err(PasswordError::TooLong { max: 128 })
    );
}

#[test]
fn no_composition_rules() {
    for p in [
        "correcthorsebatterystaple",
        "all lower case words here",
        "ЖЖЖЖжжжжЖЖ",
        "99887766554433",
    ] {
        assert_eq!(check_new_password(p, None), Ok(()), "{p:?}");
    }
}

#[test]
fn spaces_count_and_are_kept() {
    // Not trimmed: "  abc  " with padding reaches eight characters.
    assert_eq!(check_new_password(" q7k w2 ", None), Ok(()));
    // Spaces alone are not a password.
    assert_eq!(
        check_new_password("        ", None),
        Err(PasswordError::WhitespaceOnly)
    );
}

#[test]
fn whitespace_only_is_refused_whatever_the_whitespace() {
    for p in [
        " ".repeat(8),
        " ".repeat(128),
        "\u{2003}\u{2002}\u{2003}\u{2002}\u{2003}\u{2002}\u{2003}\u{2002}".to_owned(),
        " \u{a0} \u{a0} \u{a0} \u{a0}".to_owned(),
    ] {
        assert_eq!(
            check_new_password(&p, None),
            Err(PasswordError::WhitespaceOnly),
            "{p:?}"
        );
    }
}

#[test]
fn one_repeated_character_is_refused() {
    for p in [
        "aaaaaaaa".to_owned(),
        "ZZZZZZZZZZZZZZZZ".to_owned(),
        "🦀".repeat(8),
        "ж".repeat(128),
        "11111111".to_owned(),
        "########".to_owned(),
    ] {
        assert_eq!(
            check_new_password(&p, None),
            Err(PasswordError::RepeatedCharacter),
            "{p:?}"
        );
    }
    // Two different characters are enough to pass this rule (case counts).
    assert_eq!(check_new_password("aaaaaaaA", None), Ok(()));
    assert_eq!(check_new_password("abababab-x", None), Ok(()));
}

#[test]
fn control_characters_are_refused() {
    for c in [
        '\0', '\u{1}', '\t', '\n', '\r', '\u{1b}', '\u{1f}', '\u{7f}', '\u{85}', '\u{9f}',
    ] {
        for p in [
            format!("{c}violet-kettle"),
            format!("violet{c}kettle"),
            format!("violet-kettle{c}"),
        ] {
            assert_eq!(
                check_new_password(&p, None),
                Err(PasswordError::ControlCharacter),
                "{p:?}"
            );
        }
    }
    // Eight NULs: the control character is what is reported, not the repetition.
    assert_eq!(
        check_new_password(&"\0".repeat(8), None),
        Err(PasswordError::ControlCharacter)
    );
    // Printable non-ASCII stays allowed.
    assert_eq!(check_new_password("violet\u{a0}kettle", None), Ok(()));
    assert_eq!(check_new_password("grüße-aus-köln", None), Ok(()));
}

#[test]
fn common_passwords_are_refused_in_any_case() {
    for p in [
        "password",
        "PASSWORD",
        "Password",
        "12345678",
        "iloveyou",
        "Sunshine",
        "qwertyuiop",
        "1qaz2wsx",
        "trustno1",
        "baseball",
        "FOOTBALL",
    ] {
        assert!(is_common(p), "{p:?}");
        assert_eq!(
            check_new_password(p, None),
            Err(PasswordError::TooCommon),
            "{p:?}"
        );
    }
    // The last entry of the list is on it too.
    assert!(is_common("felicidade"));
    assert!(is_common("FeLiCiDaDe"));
}

#[test]
fn uncommon_passwords_pass() {
    for p in [
        "password!x9",
        "violet-kettle-harbor",
        "Tr0ub4dor&3-zzq",
        "password password",
    ] {
        assert!(!is_common(p), "{p:?}");
    }
    // Comment lines of the shipped file are not entries.
    assert!(!is_common("# mit license"));
    assert!(!is_common(""));
}

#[test]
fn the_list_is_the_real_one() {
    assert_eq!(password::common_list_len(), 10_000);
}

#[test]
fn short_common_passwords_fail_on_length_first() {
    assert_eq!(
        check_new_password("123456", None),
        Err(PasswordError::TooShort { min: 8 })
    );
    assert!(
        !is_common("123456"),
        "entries under 8 characters are not shipped"
    );
}

#[test]
fn the_email_or_its_local_part_is_refused() {
    let email = Some("Margaret.Hamilton@Example.org");
    for p in [
        "margaret.hamilton@example.org",
        "Margaret.Hamilton@Example.org",
        "MARGARET.HAMILTON",
        "margaret.hamilton",
    ] {
        assert_eq!(
            check_new_password(p, email),
            Err(PasswordError::SameAsEmail),
            "{p:?}"
        );
    }
    assert_eq!(check_new_password("margaret.hamilton1", email), Ok(()));
    assert_eq!(check_new_password("margaret.hamilton", None), Ok(()));
    // A raw, untrimmed email works too.
    assert_eq!(
        check_new_password("longlocalpart", Some("  LongLocalPart@x.org ")),
        Err(PasswordError::SameAsEmail)
    );
    // No email given, or an empty one: nothing to compare.
    assert_eq!(check_new_password("longlocalpart", Some("")), Ok(()));
}

#[test]
fn checks_run_in_a_stable_order() {
    // Too short beats same-as-email; same-as-email beats too common.
    assert_eq!(
        check_new_password("a@b.org", Some("a@b.org")),
        Err(PasswordError::TooShort { min: 8 })
    );
    assert_eq!(
        check_new_password("password", Some("password@example.org")),
        Err(PasswordError::SameAsEmail)
    );
}

#[test]
fn messages_speak_to_the_user() {
    assert_eq!(
        PasswordError::TooShort { min: 8 }.to_string(),
        "the password must be at least 8 characters long"
    );
    assert_eq!(
        PasswordError::TooLong { max: 128 }.to_string(),
        "the password must be at most 128 characters long"
    );
    assert!(
        PasswordError::TooCommon
            .to_string()
            .contains("commonly used")
    );
    assert!(PasswordError::SameAsEmail.to_string().contains("email"));
    assert!(
        PasswordError::ControlCharacter
            .to_string()
            .contains("control")
    );
    assert!(
        PasswordError::WhitespaceOnly
            .to_string()
            .contains("whitespace")
    );
    assert!(
        PasswordError::RepeatedCharacter
            .to_string()
            .contains("repeated")
    );
    assert!(PasswordError::SameAsCurrent.to_string().contains("current"));
}
