//! The role x action matrix of API.md "Who may do what", written out literally and checked
//! against `decide` and `visible_departments`.

use invigil_domain::identity::{
    Action, Decision, Grant, Membership, Role, TakeExamDenied, Visibility, decide,
    may_act_on_session, may_take_exam, visible_departments,
};
use proptest::prelude::*;
use uuid::Uuid;

/// Columns, in this order.
const ACTIONS: [Action; 25] = [
    Action::CreateOrg,
    Action::ManageOrg,
    Action::ReadMembers,
    Action::ManageEnrollments,
    Action::AuthorContent,
    Action::ReadContent,
    Action::ReviewContent,
    Action::ManageExams,
    Action::ReadExams,
    Action::GradeAnswers,
    Action::ReviewSessions,
    Action::SessionActions,
    Action::ReopenDecisions,
    Action::ReadReports,
    Action::ReadAuditLog,
    Action::TakeExams,
    Action::TeachCourses,
    Action::ManageCourses,
    Action::LearnCourses,
    Action::ManagePayments,
    Action::ManageAccounts,
    Action::ManageApiKeys,
    Action::ManageCertificates,
    Action::ManageJobs,
    Action::ViewApplicants,
];

/// What each role may do with an org-wide grant (for SUPER_ADMIN: as the platform super admin,
/// which acts as ORG_ADMIN everywhere and alone creates organizations).
/// Columns: CreateOrg ManageOrg ReadMembers ManageEnrollments AuthorContent ReadContent
/// ReviewContent ManageExams ReadExams GradeAnswers ReviewSessions SessionActions
/// ReopenDecisions ReadReports ReadAuditLog TakeExams TeachCourses ManageCourses LearnCourses
/// ManagePayments ManageAccounts ManageApiKeys ManageCertificates ManageJobs ViewApplicants.
const Y: bool = true;
const N: bool = false;
#[rustfmt::skip]
const MATRIX: [(Role, [bool; 25]); 9] = [
    //                        Crt Mng RdM Enr Aut RdC Rev MEx REx Grd RvS SAc Rop Rpt Aud Take Tch MCo Lrn Pay Acc Key Cer Job App
    (Role::SuperAdmin,        [Y,  Y,  Y,  Y,  N,  N,  N,  N,  Y,  N,  N,  N,  N,  Y,  Y,  N,  Y,  Y,  N,  Y,  Y,  Y,  Y,  Y,  Y]),
    (Role::OrgAdmin,          [N,  Y,  Y,  Y,  N,  N,  N,  N,  Y,  N,  N,  N,  N,  Y,  Y,  N,  Y,  Y,  N,  Y,  N,  Y,  Y,  Y,  Y]),
    (Role::ExamAuthor,        [N,  N,  N,  N,  Y,  Y,  N,  N,  N,  Y,  N,  N,  N,  N,  N,  N,  Y,  N,  N,  N,  N,  N,  N,  N,  N]),
    (Role::ExamCoordinator,   [N,  N,  N,  N,  N,  Y,  N,  Y,  Y,  Y,  N,  Y,  N,  Y,  N,  N,  Y,  N,  N,  N,  N,  N,  Y,  Y,  Y]),
    (Role::EnrollmentManager, [N,  N,  Y,  Y,  N,  N,  N,  N,  Y,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N]),
    (Role::ProctorReviewer,   [N,  N,  N,  N,  N,  N,  N,  N,  Y,  N,  Y,  Y,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N]),
    (Role::QualityAssurance,  [N,  N,  N,  N,  N,  Y,  Y,  N,  Y,  N,  N,  N,  Y,  Y,  Y,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N]),
    (Role::ReportViewer,      [N,  N,  N,  N,  N,  N,  N,  N,  Y,  N,  N,  N,  N,  Y,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  Y]),
    (Role::Candidate,         [N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  Y,  N,  N,  Y,  N,  N,  N,  N,  N,  N]),
];

fn expected(role: Role, action: Action) -> bool {
    let row = MATRIX.iter().find(|(r, _)| *r == role).map(|(_, row)| row);
    let col = ACTIONS.iter().position(|a| *a == action);
    match (row, col) {
        (Some(row), Some(col)) => row[col],
        _ => false,
    }
}

fn dept(n: u8) -> Uuid {
    Uuid::from_u128(0xD000 + u128::from(n))
}

fn allowed(d: Decision) -> bool {
    d == Decision::Allow
}

#[test]
fn the_table_covers_every_role_and_action() {
    assert_eq!(ACTIONS, Action::ALL);
    let rows: Vec<Role> = MATRIX.iter().map(|(r, _)| *r).collect();
    assert_eq!(rows, Role::ALL);
}

#[test]
fn org_wide_grants_follow_the_table() {
    let org_resource = None;
    for (role, row) in MATRIX {
        if role == Role::SuperAdmin {
            continue; // the flag, below
        }
        let grants = [Grant::org_wide(role)];
        for (action, want) in ACTIONS.into_iter().zip(row) {
            for res in [org_resource, Some(dept(1))] {
                let got = allowed(decide(false, &grants, action, res));
                // Org-level actions ignore the department; scoped ones act anywhere.
                assert_eq!(got, want, "{role} {} on {res:?}", action.name());
            }
        }
    }
}

#[test]
fn allowed_roles_agrees_with_the_table() {
    for action in ACTIONS {
        let mut from_table: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| *r != Role::SuperAdmin && expected(*r, action))
            .collect();
        if action.is_platform() {
            from_table.push(Role::SuperAdmin);
        }
        let mut declared = action.allowed_roles().to_vec();
        from_table.sort();
        declared.sort();
        assert_eq!(declared, from_table, "{}", action.name());
    }
}

#[test]
fn super_admin_is_an_org_admin_everywhere_and_creates_orgs() {
    for action in ACTIONS {
        let want = expected(Role::SuperAdmin, action);
        for res in [None, Some(dept(1))] {
            assert_eq!(
                allowed(decide(true, &[], action, res)),
                want,
                "{}",
                action.name()
            );
        }
        // The same with an unrelated grant in the org: a union, never less.
        let with_candidate = decide(true, &[Grant::org_wide(Role::Candidate)], action, None);
        assert_eq!(
            allowed(with_candidate),
            want || matches!(action, Action::TakeExams | Action::LearnCourses),
            "{}",
            action.name()
        );
    }
}

#[test]
fn a_super_admin_grant_in_an_org_confers_nothing() {
    for action in ACTIONS {
        for grant in [
            Grant::org_wide(Role::SuperAdmin),
            Grant::in_department(Role::SuperAdmin, dept(1)),
        ] {
            assert_eq!(
                decide(false, &[grant], action, None),
                Decision::Deny,
                "{}",
                action.name()
            );
            assert_eq!(
                visible_departments(false, &[grant], action),
                Visibility::Nothing
            );
        }
    }
}

#[test]
fn no_roles_means_no_access() {
    for action in ACTIONS {
        for res in [None, Some(dept(1))] {
            assert_eq!(
                decide(false, &[], action, res),
                Decision::Deny,
                "{}",
                action.name()
            );
        }
        assert_eq!(visible_departments(false, &[], action), Visibility::Nothing);
    }
}

#[test]
fn department_grants_act_only_in_their_department() {
    let (mine, other) = (dept(1), dept(2));
    for (role, row) in MATRIX {
        if role == Role::SuperAdmin {
            continue;
        }
        let grants = [Grant::in_department(role, mine)];
        for (action, want) in ACTIONS.into_iter().zip(row) {
            let scoped = action.is_department_scoped();
            let name = action.name();
            assert_eq!(
                allowed(decide(false, &grants, action, Some(mine))),
                want && scoped,
                "{role} {name} same dept"
            );
            assert_eq!(
                decide(false, &grants, action, Some(other)),
                Decision::Deny,
                "{role} {name} other dept"
            );
            assert_eq!(
                decide(false, &grants, action, None),
                Decision::Deny,
                "{role} {name} org-wide resource"
            );
            let want_vis = if want && scoped {
                Visibility::Departments(vec![mine])
            } else {
                Visibility::Nothing
            };
            assert_eq!(
                visible_departments(false, &grants, action),
                want_vis,
                "{role} {name}"
            );
        }
    }
}

#[test]
fn department_scoping_is_declared_as_documented() {
    let org_level = [
        Action::CreateOrg,
        Action::ManageOrg,
        Action::ReadMembers,
        Action::ReadAuditLog,
        Action::TeachCourses,
        Action::ManageCourses,
        Action::LearnCourses,
        Action::ManagePayments,
        Action::ManageAccounts,
        Action::ManageApiKeys,
        Action::ManageCertificates,
        Action::ManageJobs,
        Action::ViewApplicants,
    ];
    for action in ACTIONS {
        assert_eq!(
            action.is_department_scoped(),
            !org_level.contains(&action),
            "{}",
            action.name()
        );
    }
}

#[test]
fn multi_role_users_get_the_union() {
    // The INSTRUCTOR of other products: author and coordinator at once.
    let grants = Role::from_legacy("instructor")
        .into_iter()
        .map(Grant::org_wide)
        .collect::<Vec<_>>();
    for action in ACTIONS {
        let want = expected(Role::ExamAuthor, action) || expected(Role::ExamCoordinator, action);
        assert_eq!(
            allowed(decide(false, &grants, action, Some(dept(3)))),
            want,
            "{}",
            action.name()
        );
    }
    // Org-wide REPORT_VIEWER plus an author in one department.
    let grants = [
        Grant::org_wide(Role::ReportViewer),
        Grant::in_department(Role::ExamAuthor, dept(1)),
    ];
    assert!(allowed(decide(false, &grants, Action::ReadReports, None)));
    assert!(allowed(decide(
        false,
        &grants,
        Action::ReadReports,
        Some(dept(2))
    )));
    assert!(allowed(decide(
        false,
        &grants,
        Action::AuthorContent,
        Some(dept(1))
    )));
    assert!(!allowed(decide(
        false,
        &grants,
        Action::AuthorContent,
        Some(dept(2))
    )));
    assert!(!allowed(decide(
        false,
        &grants,
        Action::AuthorContent,
        None
    )));
    assert_eq!(
        visible_departments(false, &grants, Action::ReadReports),
        Visibility::All
    );
    assert_eq!(
        visible_departments(false, &grants, Action::AuthorContent),
        Visibility::Departments(vec![dept(1)])
    );
}

#[test]
fn separation_of_duties_for_org_admins() {
    let admin = [Grant::org_wide(Role::OrgAdmin)];
    for action in [
        Action::AuthorContent,
        Action::ReviewContent,
        Action::GradeAnswers,
        Action::ReviewSessions,
        Action::ReopenDecisions,
        Action::ManageExams,
    ] {
        assert_eq!(
            decide(false, &admin, action, None),
            Decision::Deny,
            "{}",
            action.name()
        );
        assert_eq!(
            decide(true, &[], action, None),
            Decision::Deny,
            "super admin {}",
            action.name()
        );
    }
}

#[test]
fn nobody_acts_as_staff_on_their_own_session() {
    let me = Uuid::from_u128(7);
    let other = Uuid::from_u128(8);
    assert_eq!(may_act_on_session(me, me), Decision::Deny);
    assert_eq!(may_act_on_session(me, other), Decision::Allow);
    assert_eq!(may_act_on_session(other, me), Decision::Allow);
}

#[test]
fn taking_an_exam_needs_an_active_candidate_membership() {
    let cand = [Grant::org_wide(Role::Candidate)];
    assert_eq!(may_take_exam(Membership::Active, &cand, None), Ok(()));
    assert_eq!(
        may_take_exam(Membership::Active, &cand, Some(dept(1))),
        Ok(())
    );
    assert_eq!(
        may_take_exam(Membership::Suspended, &cand, None),
        Err(TakeExamDenied::Suspended)
    );
    assert_eq!(
        may_take_exam(Membership::Deactivated, &cand, None),
        Err(TakeExamDenied::Deactivated)
    );
    assert_eq!(
        may_take_exam(Membership::None, &cand, None),
        Err(TakeExamDenied::NotMember)
    );
    // Staff roles (the org admin included) do not take exams.
    for role in Role::ALL.into_iter().filter(|r| *r != Role::Candidate) {
        assert_eq!(
            may_take_exam(Membership::Active, &[Grant::org_wide(role)], None),
            Err(TakeExamDenied::NotCandidate),
            "{role}"
        );
    }
    assert_eq!(
        may_take_exam(Membership::Active, &[], None),
        Err(TakeExamDenied::NotCandidate)
    );
    // A candidate of one department takes only that department's exams.
    let in_one = [Grant::in_department(Role::Candidate, dept(1))];
    assert_eq!(
        may_take_exam(Membership::Active, &in_one, Some(dept(1))),
        Ok(())
    );
    assert_eq!(
        may_take_exam(Membership::Active, &in_one, Some(dept(2))),
        Err(TakeExamDenied::NotCandidate)
    );
    assert_eq!(
        may_take_exam(Membership::Active, &in_one, None),
        Err(TakeExamDenied::NotCandidate)
    );
    // Every refusal explains itself.
    for d in [
        TakeExamDenied::NotMember,
        TakeExamDenied::Suspended,
        TakeExamDenied::Deactivated,
        TakeExamDenied::NotCandidate,
    ] {
        assert!(!d.to_string().is_empty());
    }
}

fn grant_strategy() -> impl Strategy<Value = Grant> {
    (0usize..9, prop::option::of(0u8..4)).prop_map(|(r, d)| Grant {
        role: Role::ALL[r],
        department_id: d.map(dept),
    })
}

proptest! {
    /// Listing and deciding never disagree, and adding a grant never takes anything away.
    #[test]
    fn visibility_agrees_with_decide(
        is_super_admin in any::<bool>(),
        grants in prop::collection::vec(grant_strategy(), 0..5),
        extra in grant_strategy(),
        action in (0usize..20).prop_map(|i| ACTIONS[i]),
        res in prop::option::of(0u8..5),
    ) {
        let res = res.map(dept);
        let vis = visible_departments(is_super_admin, &grants, action);
        let decision = decide(is_super_admin, &grants, action, res);
        prop_assert_eq!(vis.includes(res), allowed(decision));
        if let Visibility::Departments(ds) = &vis {
            prop_assert!(!ds.is_empty());
            prop_assert!(ds.windows(2).all(|w| w[0] < w[1]));
        }
        let mut more = grants.clone();
        more.push(extra);
        if allowed(decision) {
            prop_assert!(allowed(decide(is_super_admin, &more, action, res)));
        }
        // The union: allowed with all grants iff allowed by one of them alone.
        let by_one = (is_super_admin && allowed(decide(true, &[], action, res)))
            || grants.iter().any(|g| allowed(decide(false, std::slice::from_ref(g), action, res)));
        prop_assert_eq!(allowed(decision), by_one);
    }
}
