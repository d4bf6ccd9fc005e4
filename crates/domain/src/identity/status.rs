//! Stored identity and tenancy states: an account's status, a membership's
//! status, and the kinds of sign-in and one-time tokens. Each is a column
//! type under the store's `db` feature (see [`crate::stored_enum!`]).

use super::policy::Membership;

crate::stored_enum! {
    /// An account's own status (global, seed 002).
    pub enum AccountStatus {
        Active = "ACTIVE",
        Suspended = "SUSPENDED",
        Deactivated = "DEACTIVATED",
        /// Invited, not accepted yet: no password, cannot sign in.
        PendingVerification = "PENDING_VERIFICATION",
    }
}

crate::stored_enum! {
    /// A membership's status within one organization.
    pub enum MemberStatus {
        Active = "ACTIVE",
        Suspended = "SUSPENDED",
        Deactivated = "DEACTIVATED",
    }
}

impl From<MemberStatus> for Membership {
    fn from(s: MemberStatus) -> Membership {
        match s {
            MemberStatus::Active => Membership::Active,
            MemberStatus::Suspended => Membership::Suspended,
            MemberStatus::Deactivated => Membership::Deactivated,
        }
    }
}

crate::stored_enum! {
    /// The kind of an `auth_tokens` row.
    pub enum TokenKind {
        Access = "ACCESS",
        Refresh = "REFRESH",
        /// A paired phone's session-scoped credential.
        Device = "DEVICE",
        /// A browser sign-in: the hash of the web UI's session cookie, the
        /// session's only credential (no access or refresh token).
        Web = "WEB",
    }
}

crate::stored_enum! {
    /// The kind of a one-time token.
    pub enum OneTimeKind {
        VerifyEmail = "VERIFY_EMAIL",
        PasswordReset = "PASSWORD_RESET",
        Invitation = "INVITATION",
        /// Sent to the old address on an email change: restores it (7 days).
        EmailRevert = "EMAIL_REVERT",
        /// Self sign-up (seed 002): verifies the address of a new account,
        /// which stays PENDING_VERIFICATION until it is used.
        SignUp = "SIGN_UP",
    }
}

crate::stored_enum! {
    /// What an organization is (seed 002): an institution that teaches and
    /// examines, or a company that hires through job postings.
    pub enum OrgKind {
        Institution = "INSTITUTION",
        Company = "COMPANY",
    }
}

crate::stored_enum! {
    /// Why a sign-in session was revoked (`auth_sessions.revoke_reason`).
    pub enum RevokeReason {
        Logout = "logout",
        /// The user revoked one of their sessions.
        UserRevoked = "user_revoked",
        /// A refresh token was replayed outside the retry window.
        RefreshTokenReuse = "refresh_token_reuse",
        PasswordChanged = "password_changed",
        PasswordReset = "password_reset",
        EmailChanged = "email_changed",
        EmailReverted = "email_reverted",
        /// A phone's credential: CANDIDATE was taken away in the organization.
        CandidateRoleRemoved = "candidate_role_removed",
        MemberStatusChanged = "member_status_changed",
        MemberRemoved = "member_removed",
        /// A phone's credential: another phone was paired to the exam session.
        PhoneReplaced = "replaced by a newly paired phone",
        /// A super admin suspended or deactivated the account.
        AccountStatusChanged = "account_status_changed",
        /// The account was erased.
        AccountErased = "account_erased",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_are_the_historical_literals() {
        assert_eq!(
            AccountStatus::ALL
                .iter()
                .map(|s| s.name())
                .collect::<Vec<_>>(),
            ["ACTIVE", "SUSPENDED", "DEACTIVATED", "PENDING_VERIFICATION"]
        );
        assert_eq!(
            MemberStatus::parse("SUSPENDED"),
            Some(MemberStatus::Suspended)
        );
        assert_eq!(MemberStatus::parse("suspended"), None);
        assert_eq!(TokenKind::Device.name(), "DEVICE");
        assert_eq!(OneTimeKind::EmailRevert.name(), "EMAIL_REVERT");
        assert_eq!(
            Membership::from(MemberStatus::Deactivated),
            Membership::Deactivated
        );
    }
}
