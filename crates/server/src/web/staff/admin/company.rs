//! `/orgs/{org}/admin/company` (ORG_ADMIN of a COMPANY organization): the
//! company profile the job pages show (the service of `PUT
//! /api/v1/orgs/{org}/company-profile`) and its logo (`PUT
//! .../company-profile/logo`, a `multipart/form-data` form with `csrf`
//! first, then `file`). An INSTITUTION has no company profile: the page
//! says so (409, like the API).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use invigil_domain::identity::{Action, OrgKind};
use invigil_domain::people::sniff_image;

use super::{AdminLink, DoneQuery, done, links, refusal};
use crate::authz::Authorized;
use crate::http::error::{ApiError, FieldError};
use crate::people::profile::{self, CompanyProfileBody};
use crate::state::AppState;
use crate::web::errors::{FormErrors, error_page, sentence};
use crate::web::form::WebForm;
use crate::web::profile::{
    Input, Spec, SummaryLine, image, image_message, inputs, read_image_form, summary,
};
use crate::web::staff::{Section, Staff};
use crate::web::{Layout, when};

const PATH: &str = "/admin/company";

pub const SIZES: [&str; 5] = ["1-10", "11-50", "51-200", "201-500", "501+"];

const FIELDS: [Spec; 6] = [
    ("company_name", "Company name", "", "text", "organization"),
    (
        "industry",
        "Industry",
        "For example: Software, Logistics, Health care.",
        "text",
        "off",
    ),
    ("website", "Website", "An https:// address.", "url", "url"),
    (
        "description",
        "About the company",
        "Shown on your job postings; at most 4000 characters.",
        "textarea",
        "off",
    ),
    ("address", "Address", "", "text", "street-address"),
    (
        "country",
        "Country",
        "Two letters (ISO 3166-1), e.g. DE, US, IN.",
        "text",
        "off",
    ),
];

#[derive(Template, WebTemplate)]
#[template(path = "staff/admin/company.html")]
pub struct CompanyPage {
    pub layout: Layout,
    pub links: Vec<AdminLink>,
    pub notice: Option<&'static str>,
    pub action: String,
    pub logo_action: String,
    pub fields: Vec<Input>,
    pub summary: Vec<SummaryLine>,
    pub sizes: Vec<(&'static str, bool)>,
    pub size_error: Option<String>,
    pub logo: Option<String>,
    pub logo_error: Option<String>,
    pub exists: bool,
    pub updated: Option<String>,
}

fn notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "saved" => "The company profile is saved. Job postings show it from now on.",
        "logo" => "The new logo is saved.",
        _ => return None,
    })
}

/// The administrator of a company: 403 for others, 409 `not_a_company`
/// for an institution (see [`refused`]).
fn authorize(staff: &Staff) -> Result<Authorized, ApiError> {
    let auth = staff.ctx.authorize(Action::ManageOrg)?;
    if staff.ctx.org.kind != OrgKind::Company {
        return Err(ApiError::conflict_code(
            "not_a_company",
            "only a company organization has a company profile; this organization is an \
             institution",
        ));
    }
    Ok(auth)
}

/// The answer to a refused [`authorize`]: the reason for an institution,
/// the error page otherwise.
fn refused(staff: &Staff, e: ApiError) -> Response {
    match e {
        ApiError::Conflict { .. } => refusal(staff, e, &staff.href("/admin")),
        other => error_page(&other),
    }
}

#[derive(Default)]
struct Carry {
    values: Option<Vec<(&'static str, String)>>,
    errors: FormErrors,
    logo_error: Option<String>,
}

async fn render(
    state: &AppState,
    staff: &Staff,
    notice_code: Option<&str>,
    carry: Carry,
) -> Response {
    let current = match profile::get_company(state, staff.ctx.org_id(), staff.slug()).await {
        Ok(c) => Some(c),
        Err(ApiError::NotFound) => None,
        Err(e) => return error_page(&e),
    };
    let o = |v: Option<&String>| v.cloned().unwrap_or_default();
    let values = carry.values.clone().unwrap_or_else(|| match &current {
        Some(c) => vec![
            ("company_name", c.company_name.clone()),
            ("industry", o(c.industry.as_ref())),
            ("company_size", o(c.company_size.as_ref())),
            ("website", o(c.website.as_ref())),
            ("description", o(c.description.as_ref())),
            ("address", o(c.address.as_ref())),
            ("country", o(c.country.as_ref())),
        ],
        None => vec![("company_name", staff.ctx.org.name.clone())],
    });
    let size = values
        .iter()
        .find(|(k, _)| *k == "company_size")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let fields = inputs(&FIELDS, "co", &values, &carry.errors);
    let size_error = carry.errors.get("company_size").map(str::to_owned);
    let mut lines = summary(&fields, &carry.errors.general);
    if let Some(e) = &size_error {
        lines.push(SummaryLine {
            target: "co-company-size".into(),
            text: format!("Company size: {e}"),
        });
    }
    CompanyPage {
        layout: staff.layout("Company profile", Section::Admin),
        links: links(staff, PATH),
        notice: notice(notice_code),
        action: staff.href(PATH),
        logo_action: staff.href(&format!("{PATH}/logo")),
        fields,
        summary: lines,
        sizes: SIZES.iter().map(|s| (*s, *s == size)).collect(),
        size_error,
        logo: current.as_ref().and_then(|c| {
            c.logo_url
                .as_ref()
                .map(|_| staff.href(&format!("{PATH}/logo?v={}", c.updated_at.timestamp())))
        }),
        logo_error: carry.logo_error,
        exists: current.is_some(),
        updated: current.map(|c| when(c.updated_at)),
    }
    .into_response()
}

/// `GET /orgs/{org}/admin/company`.
pub async fn page(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<DoneQuery>,
) -> Response {
    if let Err(e) = authorize(&staff) {
        return refused(&staff, e);
    }
    render(&state, &staff, q.done.as_deref(), Carry::default()).await
}

/// `POST /orgs/{org}/admin/company`.
pub async fn save(
    State(state): State<AppState>,
    staff: Staff,
    form: WebForm<Vec<(String, String)>>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let auth = match authorize(&staff) {
        Ok(a) => a,
        Err(e) => return refused(&staff, e),
    };
    let get = |name: &str| crate::web::form::field(&form.value, name);
    let opt = |name: &str| Some(get(name)).filter(|v| !v.is_empty());
    let body = CompanyProfileBody {
        company_name: get("company_name"),
        industry: opt("industry"),
        company_size: opt("company_size"),
        website: opt("website"),
        description: opt("description"),
        address: opt("address"),
        country: opt("country").map(|c| c.to_ascii_uppercase()),
    };
    match profile::put_company(&state, &auth, staff.ctx.org.kind, staff.slug(), body).await {
        Ok(_) => done(&staff, PATH, "saved"),
        Err(ApiError::Validation(list)) => {
            let values = [
                "company_name",
                "industry",
                "company_size",
                "website",
                "description",
                "address",
                "country",
            ]
            .into_iter()
            .map(|n| (n, get(n)))
            .collect();
            let errors = FormErrors {
                fields: list
                    .into_iter()
                    .map(|f| FieldError::new(f.field, sentence(&f.message)))
                    .collect(),
                general: Vec::new(),
            };
            let mut resp = render(
                &state,
                &staff,
                None,
                Carry {
                    values: Some(values),
                    errors,
                    logo_error: None,
                },
            )
            .await;
            if resp.status() == StatusCode::OK {
                *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            }
            resp
        }
        Err(e) => refusal(&staff, e, &staff.href(PATH)),
    }
}

/// `POST /orgs/{org}/admin/company/logo` (multipart: `csrf`, `file`).
pub async fn upload_logo(State(state): State<AppState>, staff: Staff, req: Request) -> Response {
    let auth = match authorize(&staff) {
        Ok(a) => a,
        Err(e) => return refused(&staff, e),
    };
    let bytes = match read_image_form(&staff.visitor, req).await {
        Err(answer) => return answer,
        Ok(r) => r,
    };
    let result = match bytes {
        Ok(bytes) => {
            let kind = sniff_image(&bytes);
            profile::put_logo(&state, &auth, staff.ctx.org.kind, staff.slug(), kind, bytes).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => done(&staff, PATH, "logo"),
        Err(e) => match image_message(&e) {
            Some(m) => {
                let (status, _) = e.parts();
                let mut resp = render(
                    &state,
                    &staff,
                    None,
                    Carry {
                        logo_error: Some(m),
                        ..Carry::default()
                    },
                )
                .await;
                if resp.status() == StatusCode::OK {
                    *resp.status_mut() = status;
                }
                resp
            }
            None => refusal(&staff, e, &staff.href(PATH)),
        },
    }
}

/// `GET /orgs/{org}/admin/company/logo`: the logo, for the page.
pub async fn logo(State(state): State<AppState>, staff: Staff) -> Response {
    if let Err(e) = authorize(&staff) {
        return refused(&staff, e);
    }
    match profile::logo(&state, staff.ctx.org_id()).await {
        Ok((kind, bytes)) => image(kind, bytes),
        Err(e) => error_page(&e),
    }
}
