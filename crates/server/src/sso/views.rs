//! Request and response bodies of the SSO and sign-up routes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `PUT /orgs/{org}/sso`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SsoConfigBody {
    /// The provider's issuer (https; http only on loopback).
    pub issuer_url: String,
    pub client_id: String,
    /// Write-only. Required on the first save; omitted, the stored secret
    /// is kept.
    pub client_secret: Option<String>,
    /// Shown on the button: "Sign in with <display_name>".
    pub display_name: String,
    pub enabled: bool,
    /// Email domains allowed to sign in this way; empty or omitted: any.
    pub allowed_domains: Option<Vec<String>>,
}

/// An organization's SSO configuration (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct SsoConfigView {
    pub issuer_url: String,
    pub client_id: String,
    /// Always true: a secret is stored (it is never returned).
    pub has_client_secret: bool,
    pub display_name: String,
    pub enabled: bool,
    pub allowed_domains: Vec<String>,
    /// The address to register at the provider as the redirect URI.
    pub redirect_uri: String,
    pub updated_at: DateTime<Utc>,
}

/// `PUT /orgs/{org}/sign-up-settings`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignUpSettingsBody {
    pub enabled: bool,
    /// Email domains that may sign up; empty or omitted: any.
    pub allowed_domains: Option<Vec<String>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignUpSettingsView {
    pub enabled: bool,
    pub allowed_domains: Vec<String>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// `POST /orgs/{org}/sign-up`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignUpBody {
    pub email: String,
    pub name: String,
    pub password: String,
}

/// The one answer of a sign-up, whatever happened.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignUpAccepted {
    /// Always `accepted`.
    pub status: &'static str,
    pub message: &'static str,
}

pub const SIGN_UP_ACCEPTED: SignUpAccepted = SignUpAccepted {
    status: "accepted",
    message: "If this address can be used, a link to verify it is on its way. The link works for 24 hours.",
};

/// `POST /auth/sign-up/verify`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignUpVerifyBody {
    pub token: String,
}
