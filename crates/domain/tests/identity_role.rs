//! Role names: canonical spelling, serde, and the other seeds' names.

use invigil_domain::identity::Role;

#[test]
fn canonical_names_round_trip() {
    for role in Role::ALL {
        assert_eq!(Role::parse(role.as_str()), Some(role));
        assert_eq!(role.to_string(), role.as_str());
        assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        let json = serde_json::to_string(&role).unwrap();
        assert_eq!(json, format!("\"{}\"", role.as_str()));
        assert_eq!(serde_json::from_str::<Role>(&json).unwrap(), role);
    }
    assert_eq!(Role::SuperAdmin.as_str(), "SUPER_ADMIN");
    assert_eq!(Role::QualityAssurance.as_str(), "QUALITY_ASSURANCE");
}

#[test]
fn parse_is_strict() {
    for s in [
        "org_admin",
        "OrgAdmin",
        " ORG_ADMIN",
        "ADMIN",
        "",
        "ORG-ADMIN",
    ] {
        assert_eq!(Role::parse(s), None, "{s:?}");
        assert!(s.parse::<Role>().is_err());
        assert!(serde_json::from_str::<Role>(&format!("\"{s}\"")).is_err());
    }
    let err = "boss".parse::<Role>().unwrap_err();
    assert!(err.to_string().contains("boss"));
}

#[test]
fn legacy_names_map_as_designed() {
    use Role::*;
    let cases: &[(&str, &[Role])] = &[
        ("ADMIN", &[OrgAdmin]),
        ("admin", &[OrgAdmin]),
        ("PROCTOR", &[ProctorReviewer]),
        ("INSTRUCTOR", &[ExamAuthor, ExamCoordinator]),
        ("teacher", &[ExamAuthor, ExamCoordinator]),
        ("Teacher", &[ExamAuthor, ExamCoordinator]),
        ("TRAINEE", &[Candidate]),
        ("student", &[Candidate]),
        (" student\n", &[Candidate]),
        ("super_admin", &[SuperAdmin]),
        ("Exam_Author", &[ExamAuthor]),
        ("janitor", &[]),
        ("", &[]),
    ];
    for (name, want) in cases {
        assert_eq!(Role::from_legacy(name), want.to_vec(), "{name:?}");
    }
    for role in Role::ALL {
        assert_eq!(Role::from_legacy(role.as_str()), vec![role]);
        assert_eq!(Role::from_legacy(&role.as_str().to_lowercase()), vec![role]);
    }
}

#[test]
fn only_super_admin_is_platform_wide() {
    let platform: Vec<Role> = Role::ALL.into_iter().filter(|r| r.is_platform()).collect();
    assert_eq!(platform, vec![Role::SuperAdmin]);
}
