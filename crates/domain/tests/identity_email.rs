//! Email parsing and normalisation.

use invigil_domain::identity::{Email, EmailError};

#[test]
fn valid_addresses_are_normalised() {
    let cases = [
        ("alice@example.org", "alice@example.org"),
        ("  Alice@Example.ORG \n", "alice@example.org"),
        (
            "first.last+tag@sub.example.co.uk",
            "first.last+tag@sub.example.co.uk",
        ),
        ("o'brien@example.ie", "o'brien@example.ie"),
        ("a@b.c", "a@b.c"),
        (
            "x_y-z!#$%&*/=?^`{|}~@my-host.example",
            "x_y-z!#$%&*/=?^`{|}~@my-host.example",
        ),
        ("user@xn--bcher-kva.de", "user@xn--bcher-kva.de"),
        ("123@456.example", "123@456.example"),
    ];
    for (input, want) in cases {
        let email = Email::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
        assert_eq!(email.as_str(), want);
        assert_eq!(email.to_string(), want);
    }
}

#[test]
fn utf8_local_parts_are_accepted_and_lower_cased() {
    let email = Email::parse("JÖRG.Müller@Example.DE").unwrap();
    assert_eq!(email.as_str(), "jörg.müller@example.de");
    assert_eq!(email.local_part(), "jörg.müller");
    assert_eq!(email.domain(), "example.de");
    assert_eq!(
        Email::parse("ΑΛΦΑ@example.gr").unwrap().local_part(),
        "αλφα"
    );
    // Internationalised domains must be written in their xn-- form.
    assert_eq!(
        Email::parse("user@bücher.de"),
        Err(EmailError::InvalidDomain)
    );
}

#[test]
fn case_variants_are_the_same_email() {
    let a = Email::parse("Bob@Example.com").unwrap();
    let b = Email::parse("bOB@eXAMPLE.COM").unwrap();
    assert_eq!(a, b);
    assert_eq!(a.domain(), "example.com");
    assert_eq!(a.local_part(), "bob");
}

#[test]
fn invalid_addresses_are_refused_with_a_reason() {
    use EmailError::*;
    let long_local = format!("{}@example.org", "a".repeat(65));
    let long_total = format!(
        "{}@{}.example.org",
        "a".repeat(60),
        vec!["b".repeat(60); 4].join(".")
    );
    let long_label = format!("a@{}.org", "b".repeat(64));
    let cases: Vec<(&str, EmailError)> = vec![
        ("", Empty),
        ("   ", Empty),
        ("alice", MissingAt),
        ("alice.example.org", MissingAt),
        ("a@b@example.org", MultipleAt),
        ("@example.org", EmptyLocalPart),
        ("alice@", InvalidDomain),
        ("alice@localhost", InvalidDomain),
        ("alice@.example.org", InvalidDomain),
        ("alice@example.org.", InvalidDomain),
        ("alice@example..org", InvalidDomain),
        ("alice@-example.org", InvalidDomain),
        ("alice@example-.org", InvalidDomain),
        ("alice@exa_mple.org", InvalidDomain),
        ("alice@192.168.0.1", InvalidDomain),
        ("alice@[192.168.0.1]", InvalidDomain),
        ("al ice@example.org", Whitespace),
        ("alice@exam ple.org", Whitespace),
        ("alice@example.org\r\nBcc: x@y.z", Whitespace),
        ("ali\tce@example.org", Whitespace),
        ("ali\u{0}ce@example.org", Whitespace),
        ("ali\u{200B}ce@example.org", Whitespace),
        ("ali\u{202E}ce@example.org", Whitespace),
        ("ali\u{a0}ce@example.org", Whitespace),
        (".alice@example.org", InvalidLocalDots),
        ("alice.@example.org", InvalidLocalDots),
        ("al..ice@example.org", InvalidLocalDots),
        ("\"alice\"@example.org", InvalidLocalChar('"')),
        ("<alice>@example.org", InvalidLocalChar('<')),
        ("a,b@example.org", InvalidLocalChar(',')),
        ("a;b@example.org", InvalidLocalChar(';')),
        ("a(b)@example.org", InvalidLocalChar('(')),
        ("a\\b@example.org", InvalidLocalChar('\\')),
        (&long_local, LocalPartTooLong { max: 64 }),
        (&long_label, InvalidDomain),
        (&long_total, TooLong { max: 254 }),
    ];
    for (input, want) in cases {
        let got = Email::parse(input);
        assert_eq!(got, Err(want.clone()), "{input:?}");
        assert!(!want.to_string().is_empty());
    }
}

#[test]
fn length_limits_are_inclusive() {
    let local64 = format!("{}@example.org", "a".repeat(64));
    assert!(Email::parse(&local64).is_ok());
    // 254 bytes exactly: 64 + 1 + 189.
    let domain = format!(
        "{}.{}.{}.example",
        "b".repeat(63),
        "c".repeat(63),
        "d".repeat(53)
    );
    let at_limit = format!("{}@{domain}", "a".repeat(64));
    assert_eq!(at_limit.len(), 254);
    assert!(Email::parse(&at_limit).is_ok());
    let over = format!("{}@e{domain}", "a".repeat(64));
    assert_eq!(Email::parse(&over), Err(EmailError::TooLong { max: 254 }));
}

#[test]
fn serde_uses_the_normalised_string_and_parses_on_the_way_in() {
    let email = Email::parse("Carol@Example.org").unwrap();
    assert_eq!(
        serde_json::to_string(&email).unwrap(),
        "\"carol@example.org\""
    );
    let back: Email = serde_json::from_str("\" CAROL@example.ORG \"").unwrap();
    assert_eq!(back, email);
    let err = serde_json::from_str::<Email>("\"not an email\"").unwrap_err();
    assert!(err.to_string().contains("spaces"), "{err}");
    assert!(serde_json::from_str::<Email>("42").is_err());
}

#[test]
fn conversions() {
    let email: Email = "dave@example.org".parse().unwrap();
    assert_eq!(Email::try_from("dave@example.org"), Ok(email.clone()));
    assert_eq!(
        Email::try_from(String::from("DAVE@example.org")),
        Ok(email.clone())
    );
    assert_eq!(String::from(email.clone()), "dave@example.org");
    assert_eq!(email.as_ref(), "dave@example.org");
    assert_eq!(email.into_string(), "dave@example.org");
}
