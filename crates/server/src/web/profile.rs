//! `/me/profile`: a person edits their profile (the service of `PATCH
//! /api/v1/me`), uploads or removes their avatar (`PUT`/`DELETE
//! /api/v1/me/avatar`) and, when they teach in some organization, their
//! instructor profile (`PUT /api/v1/me/instructor-profile`). The services
//! validate; a refused form comes back with the message next to each field
//! and a summary on top. `GET /me/avatar` serves the signed-in person's own
//! avatar to the browser (the API's avatar route takes a bearer token).
//!
//! The avatar form is `multipart/form-data` with `csrf` first, then `file`;
//! the CSRF token is checked before the image is looked at.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::{Body, Bytes};
use axum::extract::{Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use invigil_domain::identity::Role;
use invigil_domain::people::{MAX_IMAGE_BYTES, sniff_image};
use invigil_store::tenancy;

use super::errors::{FormErrors, csrf_refused, error_page, sentence};
use super::form::WebForm;
use super::multipart::{Multipart, boundary};
use super::session::{SignedIn, Visitor, see_other};
use super::{Layout, when};
use crate::authz::parse_grants;
use crate::http::auth::CurrentUser;
use crate::http::error::{ApiError, FieldError};
use crate::people::profile::{
    self, InstructorProfileBody, InstructorProfileView, LinksView, PatchMeBody, PersonProfileView,
};
use crate::state::AppState;

const PATH: &str = "/me/profile";

/// One input of the profile form.
#[derive(Debug, Clone)]
pub struct Input {
    /// The form's field name and the service's field (`links.github`).
    pub name: &'static str,
    /// The element id (`pf-links-github`).
    pub id: String,
    pub label: &'static str,
    pub hint: &'static str,
    pub value: String,
    /// `text`, `url`, `tel`, `number` or `textarea`.
    pub kind: &'static str,
    pub error: Option<String>,
    pub autocomplete: &'static str,
}

/// (name, label, hint, kind, autocomplete)
pub(crate) type Spec = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

const PROFILE_FIELDS: [Spec; 11] = [
    ("name", "Name", "", "text", "name"),
    (
        "bio",
        "About you",
        "A few sentences; at most 4000 characters.",
        "textarea",
        "off",
    ),
    (
        "phone",
        "Phone",
        "International form, e.g. +49 30 1234567.",
        "tel",
        "tel",
    ),
    (
        "time_zone",
        "Time zone",
        "An IANA name such as Europe/Berlin, America/New_York or UTC.",
        "text",
        "off",
    ),
    (
        "locale",
        "Language and region",
        "A language tag such as en, de-CH or pt-BR.",
        "text",
        "off",
    ),
    (
        "location",
        "Location",
        "City and country, as you want others to see it.",
        "text",
        "address-level2",
    ),
    (
        "skills",
        "Skills",
        "Separated by commas; at most 30, each at most 60 characters.",
        "text",
        "off",
    ),
    (
        "languages",
        "Languages you speak",
        "Separated by commas.",
        "text",
        "off",
    ),
    (
        "links.linkedin",
        "LinkedIn",
        "An https:// address.",
        "url",
        "url",
    ),
    (
        "links.github",
        "GitHub",
        "An https:// address.",
        "url",
        "url",
    ),
    (
        "links.website",
        "Website",
        "An https:// address.",
        "url",
        "url",
    ),
];

const INSTRUCTOR_FIELDS: [Spec; 3] = [
    (
        "specializations",
        "Specializations",
        "Separated by commas.",
        "text",
        "off",
    ),
    (
        "certifications",
        "Certifications",
        "Separated by commas.",
        "text",
        "off",
    ),
    (
        "years_of_experience",
        "Years of teaching experience",
        "A whole number.",
        "number",
        "off",
    ),
];

pub(crate) fn inputs(
    specs: &[Spec],
    prefix: &str,
    values: &[(&str, String)],
    errors: &FormErrors,
) -> Vec<Input> {
    specs
        .iter()
        .map(|(name, label, hint, kind, autocomplete)| Input {
            name,
            id: format!("{prefix}-{}", name.replace(['.', '_'], "-")),
            label,
            hint,
            value: values
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default(),
            kind,
            error: errors.get(name).map(str::to_owned),
            autocomplete,
        })
        .collect()
}

/// A summary line: the field's label and its message, linking to it.
#[derive(Debug, Clone)]
pub struct SummaryLine {
    pub target: String,
    pub text: String,
}

pub(crate) fn summary(list: &[Input], general: &[String]) -> Vec<SummaryLine> {
    general
        .iter()
        .map(|g| SummaryLine {
            target: String::new(),
            text: g.clone(),
        })
        .chain(list.iter().filter_map(|i| {
            i.error.as_ref().map(|e| SummaryLine {
                target: i.id.clone(),
                text: format!("{}: {e}", i.label),
            })
        }))
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "profile.html")]
pub struct ProfilePage {
    pub layout: Layout,
    pub notice: Option<&'static str>,
    pub email: String,
    pub updated: Option<String>,
    pub fields: Vec<Input>,
    pub summary: Vec<SummaryLine>,
    pub avatar: Option<String>,
    pub avatar_error: Option<String>,
    /// `Some` when the person teaches somewhere.
    pub instructor: Option<InstructorSection>,
}

#[derive(Debug)]
pub struct InstructorSection {
    pub fields: Vec<Input>,
    pub summary: Vec<SummaryLine>,
    pub verified: Option<String>,
}

#[derive(Debug, serde::Deserialize, Default)]
pub struct DoneQuery {
    pub done: Option<String>,
}

fn notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "saved" => "Your profile is saved.",
        "avatar" => "Your new picture is saved.",
        "avatar-removed" => "Your picture was removed.",
        "instructor" => "Your instructor profile is saved.",
        _ => return None,
    })
}

fn joined(items: &[String]) -> String {
    items.join(", ")
}

fn split(v: &str) -> Vec<String> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn profile_values(p: &PersonProfileView) -> Vec<(&'static str, String)> {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    vec![
        ("name", p.name.clone()),
        ("bio", o(&p.bio)),
        ("phone", o(&p.phone)),
        ("time_zone", o(&p.time_zone)),
        ("locale", o(&p.locale)),
        ("location", o(&p.location)),
        ("skills", joined(&p.skills)),
        ("languages", joined(&p.languages)),
        ("links.linkedin", o(&p.links.linkedin)),
        ("links.github", o(&p.links.github)),
        ("links.website", o(&p.links.website)),
    ]
}

fn instructor_values(p: &InstructorProfileView) -> Vec<(&'static str, String)> {
    vec![
        ("specializations", joined(&p.specializations)),
        ("certifications", joined(&p.certifications)),
        (
            "years_of_experience",
            p.years_of_experience
                .map(|y| y.to_string())
                .unwrap_or_default(),
        ),
    ]
}

/// Whether the person holds a teaching role (courses or exam authoring) in
/// an organization where they are an active member.
async fn teaches_somewhere(state: &AppState, me: &CurrentUser) -> Result<bool, ApiError> {
    let db = state.db.read();
    for (member, org) in tenancy::memberships_of(db, me.id()).await? {
        if member.status != invigil_domain::identity::MemberStatus::Active {
            continue;
        }
        let grants = parse_grants(tenancy::roles_of(db, org.id, me.id()).await?);
        if grants.iter().any(|g| g.role != Role::Candidate) && profile::teaches(&grants) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// What a re-rendered page carries over from a refused form.
#[derive(Default)]
struct Carry {
    profile: Option<(Vec<(&'static str, String)>, FormErrors)>,
    instructor: Option<(Vec<(&'static str, String)>, FormErrors)>,
    avatar_error: Option<String>,
}

async fn render(
    state: &AppState,
    signed: &SignedIn,
    notice_code: Option<&str>,
    carry: Carry,
) -> Result<ProfilePage, ApiError> {
    let me = &signed.user;
    let view = profile::get_profile(state, me).await?;
    let (values, errors) = carry
        .profile
        .unwrap_or_else(|| (profile_values(&view), FormErrors::default()));
    let fields = inputs(&PROFILE_FIELDS, "pf", &values, &errors);
    let summary = summary(&fields, &errors.general);
    let instructor = if teaches_somewhere(state, me).await? {
        let iv = profile::get_instructor(state, me).await?;
        let (ivalues, ierrors) = carry
            .instructor
            .unwrap_or_else(|| (instructor_values(&iv), FormErrors::default()));
        let ifields = inputs(&INSTRUCTOR_FIELDS, "ip", &ivalues, &ierrors);
        Some(InstructorSection {
            summary: summary_of(&ifields, &ierrors),
            fields: ifields,
            verified: iv.verified_at.filter(|_| iv.is_verified).map(when),
        })
    } else {
        None
    };
    let (csrf, _) = signed.visitor.csrf_for_page();
    Ok(ProfilePage {
        layout: Layout::for_visitor("Your profile", &signed.visitor, &csrf),
        notice: notice(notice_code),
        email: view.email.clone(),
        updated: view.updated_at.map(when),
        fields,
        summary,
        avatar: view
            .avatar_url
            .as_ref()
            .map(|_| avatar_href(view.updated_at)),
        avatar_error: carry.avatar_error,
        instructor,
    })
}

/// The signed-in person's avatar: a new address after each change of the
/// profile, so the browser shows the new one.
pub fn avatar_href(updated_at: Option<chrono::DateTime<chrono::Utc>>) -> String {
    format!(
        "/me/avatar?v={}",
        updated_at.map(|t| t.timestamp()).unwrap_or_default()
    )
}

fn summary_of(fields: &[Input], errors: &FormErrors) -> Vec<SummaryLine> {
    summary(fields, &errors.general)
}

/// `GET /me/profile`.
pub async fn page(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(q): Query<DoneQuery>,
) -> Response {
    match render(&state, &signed, q.done.as_deref(), Carry::default()).await {
        Ok(p) => p.into_response(),
        Err(e) => error_page(&e),
    }
}

/// The page again after a refused form, with the status of the refusal.
async fn again(state: &AppState, signed: &SignedIn, status: StatusCode, carry: Carry) -> Response {
    match render(state, signed, None, carry).await {
        Ok(p) => (status, p).into_response(),
        Err(e) => error_page(&e),
    }
}

fn value(form: &[(String, String)], name: &str) -> String {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// A text input as the service's optional field: empty clears it.
fn opt(form: &[(String, String)], name: &str) -> Option<Option<String>> {
    let v = value(form, name);
    let v = v.trim();
    Some((!v.is_empty()).then(|| v.to_owned()))
}

/// `POST /me/profile`: every field of the form replaces the stored one (an
/// empty one clears it).
pub async fn save(
    State(state): State<AppState>,
    signed: SignedIn,
    form: WebForm<Vec<(String, String)>>,
) -> Response {
    if !signed.visitor.session_csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    let f = &form.value;
    let body = PatchMeBody {
        name: Some(value(f, "name").trim().to_owned()),
        bio: opt(f, "bio"),
        phone: opt(f, "phone"),
        time_zone: opt(f, "time_zone"),
        locale: opt(f, "locale"),
        skills: Some(Some(split(&value(f, "skills")))),
        languages: Some(Some(split(&value(f, "languages")))),
        location: opt(f, "location"),
        links: Some(Some(LinksView {
            linkedin: opt(f, "links.linkedin").flatten(),
            github: opt(f, "links.github").flatten(),
            website: opt(f, "links.website").flatten(),
        })),
        preferences: None,
    };
    match profile::patch_me(&state, &signed.user, body).await {
        Ok(_) => see_other(&format!("{PATH}?done=saved")),
        Err(e) => {
            let names: Vec<&str> = PROFILE_FIELDS.iter().map(|s| s.0).collect();
            let submitted: Vec<(&'static str, String)> =
                names.iter().map(|n| (*n, value(f, n))).collect();
            let (status, _) = e.parts();
            match e {
                ApiError::Validation(list) => {
                    let mut errors = FormErrors::default();
                    for fe in list {
                        if names.contains(&fe.field.as_str()) {
                            errors
                                .fields
                                .push(FieldError::new(fe.field, sentence(&fe.message)));
                        } else {
                            errors
                                .general
                                .push(sentence(&format!("{}: {}", fe.field, fe.message)));
                        }
                    }
                    again(
                        &state,
                        &signed,
                        status,
                        Carry {
                            profile: Some((submitted, errors)),
                            ..Carry::default()
                        },
                    )
                    .await
                }
                other => error_page(&other),
            }
        }
    }
}

/// `POST /me/profile/instructor`.
pub async fn save_instructor(
    State(state): State<AppState>,
    signed: SignedIn,
    form: WebForm<Vec<(String, String)>>,
) -> Response {
    if !signed.visitor.session_csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    match teaches_somewhere(&state, &signed.user).await {
        Ok(true) => {}
        Ok(false) => return error_page(&ApiError::NotFound),
        Err(e) => return error_page(&e),
    }
    let f = &form.value;
    let years = value(f, "years_of_experience");
    let years = years.trim();
    let submitted: Vec<(&'static str, String)> = INSTRUCTOR_FIELDS
        .iter()
        .map(|s| (s.0, value(f, s.0)))
        .collect();
    let years_of_experience = if years.is_empty() {
        None
    } else {
        match years.parse::<i32>() {
            Ok(y) => Some(y),
            Err(_) => {
                let errors = FormErrors {
                    fields: vec![FieldError::new(
                        "years_of_experience",
                        "Must be a whole number.",
                    )],
                    general: Vec::new(),
                };
                return again(
                    &state,
                    &signed,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Carry {
                        instructor: Some((submitted, errors)),
                        ..Carry::default()
                    },
                )
                .await;
            }
        }
    };
    let body = InstructorProfileBody {
        specializations: split(&value(f, "specializations")),
        certifications: split(&value(f, "certifications")),
        years_of_experience,
    };
    match profile::put_instructor(&state, &signed.user, body).await {
        Ok(_) => see_other(&format!("{PATH}?done=instructor")),
        Err(ApiError::Validation(list)) => {
            let errors = FormErrors {
                fields: list
                    .into_iter()
                    .map(|fe| FieldError::new(fe.field, sentence(&fe.message)))
                    .collect(),
                general: Vec::new(),
            };
            again(
                &state,
                &signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                Carry {
                    instructor: Some((submitted, errors)),
                    ..Carry::default()
                },
            )
            .await
        }
        Err(e) => error_page(&e),
    }
}

/// The most an avatar form may send besides the image (the CSRF field and
/// the multipart framing).
const FORM_OVERHEAD: u64 = 16 * 1024;

/// Reads the avatar form: the CSRF token, then at most one byte more than an
/// image may have. `Err` is the answer to give.
pub(crate) async fn read_image_form(
    visitor: &Visitor,
    req: Request,
) -> Result<Result<Bytes, ApiError>, Response> {
    let headers = req.headers();
    if headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"cross-site"))
    {
        return Err(csrf_refused());
    }
    let Ok(b) = boundary(headers) else {
        return Err(error_page(&ApiError::UnsupportedMediaType(
            "expected a multipart/form-data form".into(),
        )));
    };
    let mut m = Multipart::new(req.into_body().into_data_stream(), &b);
    let mut csrf = String::new();
    let bad =
        |e: super::multipart::MultipartError| error_page(&ApiError::BadRequest(e.to_string()));
    loop {
        let part = match m.next_part().await {
            Ok(Some(p)) => p,
            Ok(None) => {
                return if visitor.session_csrf_ok(&csrf) {
                    Ok(Err(ApiError::field("file", "choose a picture to upload")))
                } else {
                    Err(csrf_refused())
                };
            }
            Err(e) => return Err(bad(e)),
        };
        match (part.name.as_str(), part.filename) {
            ("csrf", None) => match m.text().await {
                Ok(t) => csrf = t,
                Err(e) => return Err(bad(e)),
            },
            ("file", Some(name)) => {
                if !visitor.session_csrf_ok(&csrf) {
                    m.drain(MAX_IMAGE_BYTES as u64 + FORM_OVERHEAD).await;
                    return Err(csrf_refused());
                }
                if name.trim().is_empty() {
                    m.drain(FORM_OVERHEAD).await;
                    return Ok(Err(ApiError::field("file", "choose a picture to upload")));
                }
                let mut bytes = Vec::new();
                loop {
                    match m.next_chunk().await {
                        Ok(Some(c)) => {
                            bytes.extend_from_slice(&c);
                            if bytes.len() > MAX_IMAGE_BYTES {
                                // The browser is still sending: read the rest
                                // (bounded) so it gets the page.
                                m.drain(4 * MAX_IMAGE_BYTES as u64).await;
                                break;
                            }
                        }
                        Ok(None) => {
                            m.drain(FORM_OVERHEAD).await;
                            break;
                        }
                        Err(e) => return Err(bad(e)),
                    }
                }
                return Ok(Ok(Bytes::from(bytes)));
            }
            _ => {}
        }
    }
}

/// The words of an image refusal, next to the file input.
pub(crate) fn image_message(e: &ApiError) -> Option<String> {
    Some(match e {
        ApiError::TooLarge { .. } | ApiError::PayloadTooLarge => {
            "The picture is larger than 2 MiB; choose a smaller one.".into()
        }
        ApiError::UnsupportedMediaType(_) => "Choose a PNG, JPEG or WebP picture.".into(),
        ApiError::Validation(list) => list.first().map(|f| sentence(&f.message))?,
        _ => return None,
    })
}

/// `POST /me/profile/avatar` (multipart: `csrf`, `file`).
pub async fn upload_avatar(
    State(state): State<AppState>,
    signed: SignedIn,
    req: Request,
) -> Response {
    let bytes = match read_image_form(&signed.visitor, req).await {
        Err(answer) => return answer,
        Ok(r) => r,
    };
    let result = match bytes {
        Ok(bytes) => {
            // The part's own type is the browser's guess from the file name:
            // the service checks the bytes against the type they show.
            let kind = sniff_image(&bytes);
            profile::put_avatar(&state, &signed.user, kind, bytes).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => see_other(&format!("{PATH}?done=avatar")),
        Err(e) => {
            let (status, _) = e.parts();
            match image_message(&e) {
                Some(m) => {
                    again(
                        &state,
                        &signed,
                        status,
                        Carry {
                            avatar_error: Some(m),
                            ..Carry::default()
                        },
                    )
                    .await
                }
                None => error_page(&e),
            }
        }
    }
}

/// `POST /me/profile/avatar/remove`.
pub async fn remove_avatar(
    State(state): State<AppState>,
    signed: SignedIn,
    form: WebForm<Vec<(String, String)>>,
) -> Response {
    if !signed.visitor.session_csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    match profile::delete_avatar(&state, &signed.user).await {
        Ok(()) => see_other(&format!("{PATH}?done=avatar-removed")),
        Err(e) => error_page(&e),
    }
}

/// `GET /me/avatar`: the signed-in person's avatar (404 without one).
pub async fn my_avatar(State(state): State<AppState>, signed: SignedIn) -> Response {
    match profile::avatar(&state, &signed.user, signed.user.id()).await {
        Ok((kind, bytes)) => image(kind, bytes),
        Err(e) => error_page(&e),
    }
}

/// An image answer for the browser (private, short cache).
pub fn image(kind: String, bytes: Bytes) -> Response {
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "private, max-age=60".to_owned()),
            (header::CONTENT_DISPOSITION, "inline".to_owned()),
        ],
        Body::from(bytes),
    )
        .into_response()
}
