//! Single sign-on and self sign-up (issue 16 items 2 and 3).
//!
//! - **OpenID Connect per organization**: an ORG_ADMIN configures the
//!   provider (`/orgs/{org}/sso`; discovery is fetched and validated on
//!   save, the client secret is sealed with AES-256-GCM and never read back
//!   through the API). A person signs in at `/sso/{org}/start`, which keeps
//!   a single-use pending sign-in (hashed state, nonce, PKCE verifier, 10
//!   minutes) and a cookie binding it to the browser; the provider sends
//!   them back to `/sso/{org}/callback`, where the code is exchanged and the
//!   ID token validated ([`oidc`]). The external account (`accounts`:
//!   issuer + `sub`) signs into its linked user; otherwise a user with the
//!   same, provider-verified email is linked, or a new ACTIVE account is
//!   made a CANDIDATE member when the organization accepts sign-ups.
//! - **Self sign-up**: the organization's settings (`/orgs/{org}/sign-up-settings`),
//!   the public `POST /orgs/{org}/sign-up` (202 whatever happens, so
//!   nobody learns which addresses have accounts) and the mailed link's
//!   `POST /auth/sign-up/verify`, which activates the account and makes it
//!   a CANDIDATE member.

pub mod cache;
pub mod http;
pub mod net;
pub mod oidc;
pub mod routes;
pub mod secret;
pub mod service;
pub mod signup;
pub mod views;

use chrono::Duration;

/// A pending sign-in lives this long.
pub const STATE_TTL: Duration = Duration::minutes(10);
/// The sign-up verification link lives this long.
pub const SIGN_UP_TTL: Duration = Duration::hours(24);
