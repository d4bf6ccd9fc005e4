//! A user's notification preferences per kind: in-app and/or mail (both
//! by default). ACCOUNT mails (confirmations, resets, invitations) are
//! always sent and are not a preference.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::notify::NoticeKind;
use invigil_store::notify as store;

use crate::http::error::{ApiError, FieldError};
use crate::state::AppState;
use crate::tenancy::service::{begin, commit};

/// One kind's preference.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PreferenceItem {
    #[schema(value_type = String, example = "TEST_RESULT")]
    pub kind: NoticeKind,
    pub in_app: bool,
    pub mail: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Preferences {
    /// Every kind but ACCOUNT (GET); the kinds to change (PUT).
    pub preferences: Vec<PreferenceItem>,
}

/// The kinds a user can choose for.
pub fn choosable() -> impl Iterator<Item = NoticeKind> {
    NoticeKind::ALL
        .iter()
        .copied()
        .filter(|k| *k != NoticeKind::Account)
}

/// (in-app, mail) wanted for `kind` given the user's stored preference:
/// ACCOUNT mails always, no preference means both.
pub fn wanted_of(kind: NoticeKind, stored: Option<&store::Preference>) -> (bool, bool) {
    if kind == NoticeKind::Account {
        return (false, true);
    }
    stored.map_or((true, true), |p| (p.in_app, p.mail))
}

/// Every choosable kind with the stored preference or the default.
pub fn view(stored: &[store::Preference]) -> Preferences {
    Preferences {
        preferences: choosable()
            .map(|kind| {
                let p = stored.iter().find(|p| p.kind == kind);
                PreferenceItem {
                    kind,
                    in_app: p.is_none_or(|p| p.in_app),
                    mail: p.is_none_or(|p| p.mail),
                }
            })
            .collect(),
    }
}

pub async fn get(state: &AppState, user_id: Uuid) -> Result<Preferences, ApiError> {
    Ok(view(
        &store::preferences_of(state.db.read(), user_id).await?,
    ))
}

/// Stores the kinds given (the others keep theirs).
pub async fn put(
    state: &AppState,
    user_id: Uuid,
    body: Preferences,
) -> Result<Preferences, ApiError> {
    let mut errors = Vec::new();
    for (i, p) in body.preferences.iter().enumerate() {
        if p.kind == NoticeKind::Account {
            errors.push(FieldError::new(
                format!("preferences[{i}].kind"),
                "ACCOUNT mails are always sent",
            ));
        }
        if body.preferences[..i].iter().any(|q| q.kind == p.kind) {
            errors.push(FieldError::new(
                format!("preferences[{i}].kind"),
                format!("{} is given twice", p.kind),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let now = state.now();
    let tx = begin(state).await?;
    for p in &body.preferences {
        store::set_preference(&tx, user_id, p.kind, p.in_app, p.mail, now).await?;
    }
    let out = view(&store::preferences_of(&tx, user_id).await?);
    commit(tx).await?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(in_app: bool, mail: bool) -> store::Preference {
        store::Preference {
            user_id: Uuid::nil(),
            kind: NoticeKind::TestResult,
            in_app,
            mail,
            updated_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn account_mails_are_always_sent_and_never_in_app() {
        let off = stored(false, false);
        assert_eq!(wanted_of(NoticeKind::Account, Some(&off)), (false, true));
        assert_eq!(wanted_of(NoticeKind::Account, None), (false, true));
    }

    #[test]
    fn no_preference_means_both_and_a_stored_one_is_obeyed() {
        assert_eq!(wanted_of(NoticeKind::TestResult, None), (true, true));
        let p = stored(true, false);
        assert_eq!(wanted_of(NoticeKind::TestResult, Some(&p)), (true, false));
    }
}
