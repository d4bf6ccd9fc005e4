//! A person's profile (seed 002 Profile), avatar and instructor profile,
//! and an organization's company profile (seed 002 CompanyProfile, one per
//! COMPANY organization). Validation is `invigil_domain::people`'s; every
//! change is audited with the names of the fields it changed (never a
//! phone number's value).

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::identity::{Action, Decision, OrgKind, decide};
use invigil_domain::people::{
    MAX_IMAGE_BYTES, MAX_LONG_TEXT, check_company_size, check_country, check_link, check_locale,
    check_phone, check_preferences, check_time_zone, check_years, clean_list, clean_text,
    sniff_image,
};
use invigil_domain::text::Text;
use invigil_store::identity::users;
use invigil_store::people::{self, CompanyProfile, InstructorProfile, Profile};
use invigil_store::tenancy;

use crate::audit::{Audit, AuditAction};
use crate::authz::{Authorized, parse_grants};
use crate::files::blob::BlobKey;
use crate::http::auth::CurrentUser;
use crate::http::error::{ApiError, FieldError};
use crate::state::AppState;
use crate::tenancy::service::double_option;

// ---------- personal profile ----------

/// A person's profile; `null` fields are unset.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonProfileView {
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub bio: Option<String>,
    pub phone: Option<String>,
    pub time_zone: Option<String>,
    pub locale: Option<String>,
    pub skills: Vec<String>,
    pub languages: Vec<String>,
    pub location: Option<String>,
    pub links: LinksView,
    #[schema(value_type = PreferencesDoc)]
    pub preferences: serde_json::Value,
    pub avatar_url: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct LinksView {
    pub linkedin: Option<String>,
    pub github: Option<String>,
    pub website: Option<String>,
}

/// `PATCH /me`: each field given is replaced, `null` clears it, an absent
/// one stays.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchMeBody {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub bio: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    /// An IANA time zone (`Europe/Berlin`, `UTC`).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub time_zone: Option<Option<String>>,
    /// A BCP 47 language tag.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub locale: Option<Option<String>>,
    /// At most 30 items of at most 60 characters.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Vec<String>>)]
    pub skills: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Vec<String>>)]
    pub languages: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub location: Option<Option<String>>,
    /// http(s) links; each key given replaces that link, `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<LinksView>)]
    pub links: Option<Option<LinksView>>,
    /// Known keys: email_notifications, sms_notifications, marketing_emails
    /// (booleans), theme (light, dark, system), language (BCP 47).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<PreferencesDoc>)]
    pub preferences: Option<Option<serde_json::Value>>,
}

/// The known preferences (the document's description of the object; the
/// service checks each key).
#[derive(Debug, Serialize, ToSchema)]
pub struct PreferencesDoc {
    pub email_notifications: Option<bool>,
    pub sms_notifications: Option<bool>,
    pub marketing_emails: Option<bool>,
    /// light, dark or system.
    pub theme: Option<String>,
    /// A BCP 47 language tag.
    pub language: Option<String>,
}

pub fn avatar_url(user_id: Uuid, p: Option<&Profile>) -> Option<String> {
    p.and_then(|p| p.avatar_key.as_ref())
        .map(|_| format!("/api/v1/users/{user_id}/avatar"))
}

fn list(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

fn empty_profile(user_id: Uuid, now: DateTime<Utc>) -> Profile {
    Profile {
        user_id,
        bio: None,
        phone: None,
        time_zone: None,
        locale: None,
        skills: "[]".into(),
        languages: "[]".into(),
        location: None,
        linkedin: None,
        github: None,
        website: None,
        preferences: "{}".into(),
        avatar_key: None,
        avatar_type: None,
        created_at: now,
        updated_at: now,
    }
}

fn view(user: &users::User, p: Option<Profile>) -> PersonProfileView {
    let avatar = avatar_url(user.id, p.as_ref());
    let p = p.map(|p| (true, p));
    let (stored, p) = p.unwrap_or_else(|| (false, empty_profile(user.id, user.created_at)));
    PersonProfileView {
        user_id: user.id,
        name: user.name.clone(),
        email: user.email.clone(),
        bio: p.bio,
        phone: p.phone,
        time_zone: p.time_zone,
        locale: p.locale,
        skills: list(&p.skills),
        languages: list(&p.languages),
        location: p.location,
        links: LinksView {
            linkedin: p.linkedin,
            github: p.github,
            website: p.website,
        },
        preferences: serde_json::from_str(&p.preferences).unwrap_or_default(),
        avatar_url: avatar,
        updated_at: stored.then_some(p.updated_at),
    }
}

pub async fn get_profile(
    state: &AppState,
    me: &CurrentUser,
) -> Result<PersonProfileView, ApiError> {
    let p = people::profile(state.db.read(), me.id()).await?;
    Ok(view(&me.user, p))
}

/// A field check: `Err` carries the message shown next to the field.
type Check = fn(&str) -> Result<(), String>;

fn opt_text(
    field: &str,
    v: Option<String>,
    max: usize,
    check: Option<Check>,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let v = v?;
    match clean_text(&v, max) {
        Err(m) => {
            errors.push(FieldError::new(field, m));
            None
        }
        Ok(None) => None,
        Ok(Some(t)) => match check.map(|c| c(&t)) {
            Some(Err(m)) => {
                errors.push(FieldError::new(field, m));
                None
            }
            _ => Some(t),
        },
    }
}

fn single_line(s: &str) -> Result<(), String> {
    if s.contains(['\n', '\r', '\t']) {
        Err("must be one line".into())
    } else {
        Ok(())
    }
}

/// `PATCH /me` (`profile.updated` with the changed fields' names).
pub async fn patch_me(
    state: &AppState,
    me: &CurrentUser,
    body: PatchMeBody,
) -> Result<PersonProfileView, ApiError> {
    let now = state.now();
    let mut errors = Vec::new();
    let mut changed: Vec<&str> = Vec::new();
    let name = body.name.as_deref().and_then(|n| {
        Text::<200>::parse("name", n)
            .map_err(|e| errors.push(FieldError::new("name", e.to_string())))
            .ok()
    });
    let tx = state.db.begin().await?;
    let before = people::profile(&tx, me.id()).await?;
    let mut p = before
        .clone()
        .unwrap_or_else(|| empty_profile(me.id(), now));
    if let Some(v) = body.bio {
        p.bio = opt_text("bio", v, MAX_LONG_TEXT, None, &mut errors);
        changed.push("bio");
    }
    if let Some(v) = body.phone {
        p.phone = opt_text("phone", v, 20, Some(check_phone), &mut errors);
        changed.push("phone");
    }
    if let Some(v) = body.time_zone {
        p.time_zone = opt_text("time_zone", v, 64, Some(check_time_zone), &mut errors);
        changed.push("time_zone");
    }
    if let Some(v) = body.locale {
        p.locale = opt_text("locale", v, 35, Some(check_locale), &mut errors);
        changed.push("locale");
    }
    if let Some(v) = body.location {
        p.location = opt_text("location", v, 200, Some(single_line), &mut errors);
        changed.push("location");
    }
    for (field, value, slot) in [
        ("skills", body.skills, &mut p.skills),
        ("languages", body.languages, &mut p.languages),
    ] {
        if let Some(v) = value {
            match clean_list(&v.unwrap_or_default()) {
                Ok(items) => *slot = serde_json::to_string(&items).map_err(ApiError::caused_by)?,
                Err(m) => errors.push(FieldError::new(field, m)),
            }
            changed.push(field);
        }
    }
    if let Some(links) = body.links {
        let links = links.unwrap_or_default();
        for (field, v, slot) in [
            ("links.linkedin", links.linkedin, &mut p.linkedin),
            ("links.github", links.github, &mut p.github),
            ("links.website", links.website, &mut p.website),
        ] {
            *slot = opt_text(field, v, 500, Some(check_link), &mut errors);
        }
        changed.push("links");
    }
    if let Some(prefs) = body.preferences {
        let prefs = prefs.unwrap_or_else(|| serde_json::json!({}));
        match check_preferences(&prefs) {
            Ok(()) => p.preferences = prefs.to_string(),
            Err((field, m)) => errors.push(FieldError::new(field, m)),
        }
        changed.push("preferences");
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    if let Some(name) = &name {
        users::set_name(&tx, me.id(), name.as_str(), now).await?;
        changed.insert(0, "name");
    }
    let saved = if before.as_ref() != Some(&p) || (before.is_none() && !changed.is_empty()) {
        p.updated_at = now;
        Some(people::save_profile(&tx, p).await?)
    } else {
        before
    };
    if !changed.is_empty() {
        Audit::user(me.id(), &me.client, None, now)
            .record(
                &tx,
                AuditAction::ProfileUpdated,
                me.id(),
                serde_json::json!({ "fields": changed }),
            )
            .await?;
    }
    tx.commit().await?;
    let user = users::by_id(state.db.read(), me.id())
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(view(&user, saved))
}

// ---------- images (avatar, logo) ----------

/// Checks an uploaded image: at most 2 MiB (413), PNG, JPEG or WebP by its
/// first bytes, matching the declared `Content-Type` (415).
pub fn check_image(content_type: Option<&str>, bytes: &Bytes) -> Result<&'static str, ApiError> {
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(ApiError::TooLarge {
            code: "image_too_large",
            detail: format!("an image may be at most {} bytes", MAX_IMAGE_BYTES),
        });
    }
    let declared = content_type
        .and_then(|c| c.split(';').next())
        .map(|c| c.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if !matches!(declared.as_str(), "image/png" | "image/jpeg" | "image/webp") {
        return Err(ApiError::UnsupportedMediaType(
            "send image/png, image/jpeg or image/webp".into(),
        ));
    }
    match sniff_image(bytes) {
        Some(kind) if kind == declared => Ok(kind),
        _ => Err(ApiError::UnsupportedMediaType(format!(
            "the body is not a {declared} image"
        ))),
    }
}

/// A new blob key for an image of `owner` (a fresh one per upload, so a
/// replaced image is never served from a cache under the new one's name).
fn image_key(kind: &str, owner: Uuid) -> Result<BlobKey, ApiError> {
    BlobKey::parse(&format!(
        "{kind}/{}/{}",
        owner.simple(),
        Uuid::now_v7().simple()
    ))
    .map_err(ApiError::caused_by)
}

async fn remove_blob(state: &AppState, key: Option<String>) {
    if let Some(key) = key.and_then(|k| BlobKey::parse(&k).ok())
        && let Err(e) = state.blobs.files.delete(&key).await
    {
        tracing::warn!(error = %e, "removing a replaced image failed");
    }
}

/// `PUT /me/avatar` (`profile.avatar_changed`).
pub async fn put_avatar(
    state: &AppState,
    me: &CurrentUser,
    content_type: Option<&str>,
    bytes: Bytes,
) -> Result<PersonProfileView, ApiError> {
    let kind = check_image(content_type, &bytes)?;
    let key = image_key("avatars", me.id())?;
    state
        .blobs
        .files
        .put(&key, bytes)
        .await
        .map_err(ApiError::caused_by)?;
    let now = state.now();
    let result = async {
        let tx = state.db.begin().await?;
        let mut p = people::profile(&tx, me.id())
            .await?
            .unwrap_or_else(|| empty_profile(me.id(), now));
        let old = p.avatar_key.replace(key.as_str().to_owned());
        p.avatar_type = Some(kind.to_owned());
        p.updated_at = now;
        let saved = people::save_profile(&tx, p).await?;
        Audit::user(me.id(), &me.client, None, now)
            .record(
                &tx,
                AuditAction::ProfileAvatarChanged,
                me.id(),
                serde_json::json!({ "content_type": kind, "removed": false }),
            )
            .await?;
        tx.commit().await?;
        Ok::<_, ApiError>((saved, old))
    }
    .await;
    match result {
        Ok((saved, old)) => {
            remove_blob(state, old).await;
            Ok(view(&me.user, Some(saved)))
        }
        Err(e) => {
            remove_blob(state, Some(key.as_str().to_owned())).await;
            Err(e)
        }
    }
}

/// `DELETE /me/avatar`: 404 when there is none.
pub async fn delete_avatar(state: &AppState, me: &CurrentUser) -> Result<(), ApiError> {
    let now = state.now();
    let tx = state.db.begin().await?;
    let mut p = people::profile(&tx, me.id())
        .await?
        .filter(|p| p.avatar_key.is_some())
        .ok_or(ApiError::NotFound)?;
    let old = p.avatar_key.take();
    p.avatar_type = None;
    p.updated_at = now;
    people::save_profile(&tx, p).await?;
    Audit::user(me.id(), &me.client, None, now)
        .record(
            &tx,
            AuditAction::ProfileAvatarChanged,
            me.id(),
            serde_json::json!({ "removed": true }),
        )
        .await?;
    tx.commit().await?;
    remove_blob(state, old).await;
    Ok(())
}

/// The avatar of `user_id` for `me`: themself, a super admin, or someone
/// who shares an organization with them; 404 otherwise or when none.
pub async fn avatar(
    state: &AppState,
    me: &CurrentUser,
    user_id: Uuid,
) -> Result<(String, Bytes), ApiError> {
    let db = state.db.read();
    if user_id != me.id() && !me.user.is_super_admin {
        let mine: Vec<Uuid> = tenancy::memberships_of(db, me.id())
            .await?
            .into_iter()
            .map(|(_, o)| o.id)
            .collect();
        let theirs = tenancy::memberships_of(db, user_id).await?;
        if !theirs.iter().any(|(_, o)| mine.contains(&o.id)) {
            return Err(ApiError::NotFound);
        }
    }
    let p = people::profile(db, user_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    image_bytes(state, p.avatar_key, p.avatar_type).await
}

async fn image_bytes(
    state: &AppState,
    key: Option<String>,
    kind: Option<String>,
) -> Result<(String, Bytes), ApiError> {
    let (Some(key), Some(kind)) = (key, kind) else {
        return Err(ApiError::NotFound);
    };
    let key = BlobKey::parse(&key).map_err(ApiError::caused_by)?;
    let bytes = state
        .blobs
        .files
        .get(&key)
        .await
        .map_err(ApiError::caused_by)?
        .ok_or(ApiError::NotFound)?;
    Ok((kind, bytes))
}

// ---------- instructor profile ----------

#[derive(Debug, Serialize, ToSchema)]
pub struct InstructorProfileView {
    pub user_id: Uuid,
    pub specializations: Vec<String>,
    pub certifications: Vec<String>,
    pub years_of_experience: Option<i32>,
    pub is_verified: bool,
    pub verified_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstructorProfileBody {
    #[serde(default)]
    pub specializations: Vec<String>,
    #[serde(default)]
    pub certifications: Vec<String>,
    pub years_of_experience: Option<i32>,
}

fn instructor_view(user_id: Uuid, p: Option<InstructorProfile>) -> InstructorProfileView {
    match p {
        None => InstructorProfileView {
            user_id,
            specializations: Vec::new(),
            certifications: Vec::new(),
            years_of_experience: None,
            is_verified: false,
            verified_at: None,
            updated_at: None,
        },
        Some(p) => InstructorProfileView {
            user_id,
            specializations: list(&p.specializations),
            certifications: list(&p.certifications),
            years_of_experience: p.years_of_experience,
            is_verified: p.is_verified,
            verified_at: p.verified_at,
            updated_at: Some(p.updated_at),
        },
    }
}

pub async fn get_instructor(
    state: &AppState,
    me: &CurrentUser,
) -> Result<InstructorProfileView, ApiError> {
    let p = people::instructor_profile(state.db.read(), me.id()).await?;
    Ok(instructor_view(me.id(), p))
}

/// `PUT /me/instructor-profile` (`instructor_profile.updated`). Changing
/// it keeps a verification (the verifier vouched for the person).
pub async fn put_instructor(
    state: &AppState,
    me: &CurrentUser,
    body: InstructorProfileBody,
) -> Result<InstructorProfileView, ApiError> {
    let now = state.now();
    let mut errors = Vec::new();
    let specs = clean_list(&body.specializations)
        .map_err(|m| errors.push(FieldError::new("specializations", m)))
        .ok();
    let certs = clean_list(&body.certifications)
        .map_err(|m| errors.push(FieldError::new("certifications", m)))
        .ok();
    if let Some(Err(m)) = body.years_of_experience.map(check_years) {
        errors.push(FieldError::new("years_of_experience", m));
    }
    let (Some(specs), Some(certs), true) = (specs, certs, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let tx = state.db.begin().await?;
    let before = people::instructor_profile(&tx, me.id()).await?;
    let row = InstructorProfile {
        user_id: me.id(),
        specializations: serde_json::to_string(&specs).map_err(ApiError::caused_by)?,
        certifications: serde_json::to_string(&certs).map_err(ApiError::caused_by)?,
        years_of_experience: body.years_of_experience,
        is_verified: before.as_ref().is_some_and(|b| b.is_verified),
        verified_at: before.as_ref().and_then(|b| b.verified_at),
        verified_by: before.as_ref().and_then(|b| b.verified_by),
        verified_org_id: before.as_ref().and_then(|b| b.verified_org_id),
        created_at: before.as_ref().map_or(now, |b| b.created_at),
        updated_at: now,
    };
    let saved = people::save_instructor_profile(&tx, row).await?;
    Audit::user(me.id(), &me.client, None, now)
        .record(
            &tx,
            AuditAction::InstructorProfileUpdated,
            me.id(),
            serde_json::json!({ "specializations": specs.len(), "certifications": certs.len(),
                "years_of_experience": body.years_of_experience }),
        )
        .await?;
    tx.commit().await?;
    Ok(instructor_view(me.id(), Some(saved)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerificationBody {
    pub is_verified: bool,
}

/// Whether `grants` let a person teach here (courses or exam authoring).
pub fn teaches(grants: &[invigil_domain::identity::Grant]) -> bool {
    [Action::TeachCourses, Action::AuthorContent]
        .into_iter()
        .any(|a| decide(false, grants, a, None) == Decision::Allow)
}

/// `POST /orgs/{org}/members/{user_id}/instructor-verification` (ORG_ADMIN
/// of an organization where the person teaches; 404 for a non-member, 409
/// `not_an_instructor` for a member who does not teach there).
pub async fn verify_instructor(
    state: &AppState,
    auth: &Authorized,
    user_id: Uuid,
    body: VerificationBody,
) -> Result<InstructorProfileView, ApiError> {
    let now = state.now();
    let tx = state.db.begin().await?;
    tenancy::member(&tx, auth.org_id, user_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let grants = parse_grants(tenancy::roles_of(&tx, auth.org_id, user_id).await?);
    if !teaches(&grants) {
        return Err(ApiError::conflict_code(
            "not_an_instructor",
            "this member does not teach in the organization",
        ));
    }
    let before = people::instructor_profile(&tx, user_id).await?;
    let row = InstructorProfile {
        user_id,
        specializations: before
            .as_ref()
            .map_or("[]".into(), |b| b.specializations.clone()),
        certifications: before
            .as_ref()
            .map_or("[]".into(), |b| b.certifications.clone()),
        years_of_experience: before.as_ref().and_then(|b| b.years_of_experience),
        is_verified: body.is_verified,
        verified_at: body.is_verified.then_some(now),
        verified_by: body.is_verified.then_some(auth.actor.user_id),
        verified_org_id: body.is_verified.then_some(auth.org_id),
        created_at: before.as_ref().map_or(now, |b| b.created_at),
        updated_at: now,
    };
    let saved = people::save_instructor_profile(&tx, row).await?;
    auth.audit(now)
        .record(
            &tx,
            AuditAction::InstructorProfileUpdated,
            user_id,
            serde_json::json!({ "is_verified": body.is_verified }),
        )
        .await?;
    tx.commit().await?;
    Ok(instructor_view(user_id, Some(saved)))
}

// ---------- company profile ----------

#[derive(Debug, Serialize, ToSchema)]
pub struct CompanyProfileView {
    pub org_id: Uuid,
    pub company_name: String,
    pub industry: Option<String>,
    pub company_size: Option<String>,
    pub website: Option<String>,
    pub description: Option<String>,
    pub address: Option<String>,
    pub country: Option<String>,
    pub logo_url: Option<String>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompanyProfileBody {
    pub company_name: String,
    pub industry: Option<String>,
    /// "1-10", "11-50", "51-200", "201-500" or "501+".
    pub company_size: Option<String>,
    pub website: Option<String>,
    pub description: Option<String>,
    pub address: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
}

pub fn company_view(slug: &str, c: CompanyProfile) -> CompanyProfileView {
    CompanyProfileView {
        logo_url: c
            .logo_key
            .as_ref()
            .map(|_| format!("/api/v1/orgs/{slug}/company-profile/logo")),
        org_id: c.org_id,
        company_name: c.company_name,
        industry: c.industry,
        company_size: c.company_size,
        website: c.website,
        description: c.description,
        address: c.address,
        country: c.country,
        updated_at: c.updated_at,
    }
}

pub async fn get_company(
    state: &AppState,
    org_id: Uuid,
    slug: &str,
) -> Result<CompanyProfileView, ApiError> {
    let c = people::company_profile(state.db.read(), org_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(company_view(slug, c))
}

fn ensure_company(kind: OrgKind) -> Result<(), ApiError> {
    if kind == OrgKind::Company {
        Ok(())
    } else {
        Err(ApiError::conflict_code(
            "not_a_company",
            "only a COMPANY organization has a company profile",
        ))
    }
}

/// `PUT /orgs/{org}/company-profile` (`company_profile.updated`).
pub async fn put_company(
    state: &AppState,
    auth: &Authorized,
    kind: OrgKind,
    slug: &str,
    body: CompanyProfileBody,
) -> Result<CompanyProfileView, ApiError> {
    ensure_company(kind)?;
    let now = state.now();
    let mut errors = Vec::new();
    let name = Text::<200>::parse("company_name", &body.company_name)
        .map_err(|e| errors.push(FieldError::new("company_name", e.to_string())))
        .ok();
    let industry = opt_text(
        "industry",
        body.industry,
        100,
        Some(single_line),
        &mut errors,
    );
    let size = opt_text(
        "company_size",
        body.company_size,
        10,
        Some(check_company_size),
        &mut errors,
    );
    let website = opt_text("website", body.website, 500, Some(check_link), &mut errors);
    let description = opt_text(
        "description",
        body.description,
        MAX_LONG_TEXT,
        None,
        &mut errors,
    );
    let address = opt_text("address", body.address, 500, None, &mut errors);
    let country = opt_text("country", body.country, 2, Some(check_country), &mut errors);
    let (Some(name), true) = (name, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let tx = state.db.begin().await?;
    let before = people::company_profile(&tx, auth.org_id).await?;
    let row = CompanyProfile {
        org_id: auth.org_id,
        company_name: name.into_string(),
        industry,
        company_size: size,
        website,
        description,
        address,
        country,
        logo_key: before.as_ref().and_then(|b| b.logo_key.clone()),
        logo_type: before.as_ref().and_then(|b| b.logo_type.clone()),
        updated_by: auth.actor.user_id,
        created_at: before.as_ref().map_or(now, |b| b.created_at),
        updated_at: now,
    };
    let saved = people::save_company_profile(&tx, row).await?;
    auth.audit(now)
        .record(
            &tx,
            AuditAction::CompanyProfileUpdated,
            auth.org_id,
            serde_json::json!({ "company_name": saved.company_name, "created": before.is_none() }),
        )
        .await?;
    tx.commit().await?;
    Ok(company_view(slug, saved))
}

/// `PUT /orgs/{org}/company-profile/logo`: 409 `no_company_profile` before
/// the profile exists.
pub async fn put_logo(
    state: &AppState,
    auth: &Authorized,
    kind: OrgKind,
    slug: &str,
    content_type: Option<&str>,
    bytes: Bytes,
) -> Result<CompanyProfileView, ApiError> {
    ensure_company(kind)?;
    let image = check_image(content_type, &bytes)?;
    let now = state.now();
    if people::company_profile(state.db.read(), auth.org_id)
        .await?
        .is_none()
    {
        return Err(ApiError::conflict_code(
            "no_company_profile",
            "save the company profile before its logo",
        ));
    }
    let key = image_key("logos", auth.org_id)?;
    state
        .blobs
        .files
        .put(&key, bytes)
        .await
        .map_err(ApiError::caused_by)?;
    let result = async {
        let tx = state.db.begin().await?;
        let mut c = people::company_profile(&tx, auth.org_id)
            .await?
            .ok_or(ApiError::NotFound)?;
        let old = c.logo_key.replace(key.as_str().to_owned());
        c.logo_type = Some(image.to_owned());
        c.updated_at = now;
        c.updated_by = auth.actor.user_id;
        let saved = people::save_company_profile(&tx, c).await?;
        auth.audit(now)
            .record(
                &tx,
                AuditAction::CompanyProfileUpdated,
                auth.org_id,
                serde_json::json!({ "logo": image }),
            )
            .await?;
        tx.commit().await?;
        Ok::<_, ApiError>((saved, old))
    }
    .await;
    match result {
        Ok((saved, old)) => {
            remove_blob(state, old).await;
            Ok(company_view(slug, saved))
        }
        Err(e) => {
            remove_blob(state, Some(key.as_str().to_owned())).await;
            Err(e)
        }
    }
}

pub async fn logo(state: &AppState, org_id: Uuid) -> Result<(String, Bytes), ApiError> {
    let c = people::company_profile(state.db.read(), org_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    image_bytes(state, c.logo_key, c.logo_type).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_checked_by_type_and_bytes() {
        let png = Bytes::from_static(b"\x89PNG\r\n\x1a\nxxxx");
        assert_eq!(check_image(Some("image/png"), &png).unwrap(), "image/png");
        assert!(check_image(Some("image/jpeg"), &png).is_err());
        assert!(check_image(Some("text/html"), &png).is_err());
        assert!(check_image(None, &png).is_err());
        let big = Bytes::from(vec![0u8; MAX_IMAGE_BYTES + 1]);
        assert!(matches!(
            check_image(Some("image/png"), &big),
            Err(ApiError::TooLarge { .. })
        ));
    }
}
