//! The course form: `/orgs/{org}/courses/new` and `.../courses/{course}/edit`
//! (the services of `POST /orgs/{org}/courses` and `PATCH .../courses/{id}`).
//! The price is typed in major units ("19.99") and sent in minor units; the
//! service's messages come back next to their fields.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use invigil_domain::courses::{CourseLevel, Pricing};
use invigil_store::Keyset;

use super::{Section, Staff, caller, path_id};
use crate::courses::access;
use crate::courses::catalog;
use crate::courses::course::{self, CourseBody, CoursePatch};
use crate::courses::views::CourseView;
use crate::http::error::{ApiError, FieldError};
use crate::state::AppState;
use crate::web::Layout;
use crate::web::errors::{FormErrors, error_page, sentence};
use crate::web::form::WebForm;
use crate::web::session::see_other;

/// The form's values as typed.
#[derive(Debug, Clone)]
pub struct CourseForm {
    pub title: String,
    pub slug: String,
    pub description: String,
    pub level: String,
    pub language: String,
    pub pricing: String,
    pub price: String,
    pub currency: String,
    pub category_id: String,
    pub max_students: String,
    pub requires_final_pass: bool,
}

impl Default for CourseForm {
    fn default() -> Self {
        CourseForm {
            title: String::new(),
            slug: String::new(),
            description: String::new(),
            level: "BEGINNER".into(),
            language: "en".into(),
            pricing: "FREE".into(),
            price: String::new(),
            currency: String::new(),
            category_id: String::new(),
            max_students: String::new(),
            requires_final_pass: false,
        }
    }
}

/// Minor units as typed in major units: 1999 -> "19.99".
pub fn major(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

/// "19.99", "19.9", "19" -> minor units; `None` when it is not a price.
pub fn parse_price(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    let (whole, frac) = raw.split_once('.').unwrap_or((raw, ""));
    if whole.is_empty()
        || whole.len() > 10
        || frac.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let cents: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    whole.checked_mul(100)?.checked_add(cents)
}

impl CourseForm {
    fn of(c: &CourseView) -> CourseForm {
        CourseForm {
            title: c.title.clone(),
            slug: c.slug.clone(),
            description: c.description.clone(),
            level: c.level.name().to_owned(),
            language: c.language.clone(),
            pricing: c.pricing.name().to_owned(),
            price: if c.price_minor == 0 {
                String::new()
            } else {
                major(c.price_minor)
            },
            currency: c.currency.clone().unwrap_or_default(),
            category_id: c.category_id.map(|u| u.to_string()).unwrap_or_default(),
            max_students: c.max_students.map(|m| m.to_string()).unwrap_or_default(),
            requires_final_pass: c.requires_final_pass,
        }
    }

    fn parse(pairs: &[(String, String)]) -> CourseForm {
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        CourseForm {
            title: get("title"),
            slug: get("slug"),
            description: get("description"),
            level: get("level"),
            language: get("language"),
            pricing: get("pricing"),
            price: get("price"),
            currency: get("currency"),
            category_id: get("category_id"),
            max_students: get("max_students"),
            requires_final_pass: pairs.iter().any(|(n, _)| n == "requires_final_pass"),
        }
    }

    /// The typed values the service takes, or the fields that are not
    /// even well-formed.
    fn checked(&self) -> Result<Checked, Vec<FieldError>> {
        let mut errors = Vec::new();
        let level = CourseLevel::parse(self.level.trim()).unwrap_or_else(|| {
            errors.push(FieldError::new("level", "Choose a level of the list."));
            CourseLevel::Beginner
        });
        let pricing = Pricing::parse(self.pricing.trim()).unwrap_or_else(|| {
            errors.push(FieldError::new(
                "pricing",
                "Choose free, paid or subscription.",
            ));
            Pricing::Free
        });
        let price_minor = match (pricing, self.price.trim()) {
            (Pricing::Free, _) => 0,
            (_, "") => 0,
            (_, p) => parse_price(p).unwrap_or_else(|| {
                errors.push(FieldError::new("price_minor", "Enter a price like 19.99."));
                0
            }),
        };
        let currency = if pricing == Pricing::Free {
            None
        } else {
            Some(self.currency.trim().to_uppercase()).filter(|c| !c.is_empty())
        };
        let category_id = match self.category_id.trim() {
            "" => None,
            v => v.parse().map(Some).unwrap_or_else(|_| {
                errors.push(FieldError::new("category_id", "Choose one of the list."));
                None
            }),
        };
        let max_students = match self.max_students.trim() {
            "" => None,
            v => v.parse::<i64>().map(Some).unwrap_or_else(|_| {
                errors.push(FieldError::new(
                    "max_students",
                    "Enter a whole number, or leave it empty for no limit.",
                ));
                None
            }),
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Checked {
            level,
            pricing,
            price_minor,
            currency,
            category_id,
            max_students,
        })
    }
}

struct Checked {
    level: CourseLevel,
    pricing: Pricing,
    price_minor: i64,
    currency: Option<String>,
    category_id: Option<Uuid>,
    max_students: Option<i64>,
}

/// The service's field errors as the form's (`price_minor` is the price
/// field); a slug taken already (409) is the slug's.
fn place(e: ApiError) -> Result<FormErrors, ApiError> {
    let mut out = FormErrors::default();
    match e {
        ApiError::Validation(list) => {
            for f in list {
                let field = match f.field.as_str() {
                    "price_minor" => "price".to_owned(),
                    other => other.to_owned(),
                };
                out.fields
                    .push(FieldError::new(field, sentence(&f.message)));
            }
        }
        ApiError::Conflict { detail, .. } if detail.contains("slug") => {
            out.fields.push(FieldError::new("slug", sentence(&detail)));
        }
        other => return Err(other),
    }
    Ok(out)
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/courses/form.html")]
pub struct FormPage {
    pub layout: Layout,
    pub heading: String,
    pub action: String,
    pub cancel: String,
    pub courses_href: String,
    pub form: CourseForm,
    pub errors: FormErrors,
    pub categories: Vec<(String, String)>,
    pub levels: Vec<&'static str>,
    pub pricings: Vec<(&'static str, &'static str)>,
}

/// The categories of the organization as (id, indented name), tree order.
pub async fn category_choices(
    state: &AppState,
    caller: &access::Caller,
) -> Result<Vec<(String, String)>, ApiError> {
    let page = catalog::list(state, caller, Keyset::new(None, 500)).await?;
    Ok(super::categories::tree(&page.items)
        .into_iter()
        .map(|(depth, c)| {
            (
                c.id.to_string(),
                format!("{}{}", "— ".repeat(depth), c.name),
            )
        })
        .collect())
}

async fn render(
    state: &AppState,
    staff: &Staff,
    course: Option<Uuid>,
    form: CourseForm,
    errors: FormErrors,
    code: StatusCode,
) -> Response {
    let run = async {
        let caller = caller(staff)?;
        let categories = category_choices(state, &caller).await?;
        let (heading, action, cancel) = match course {
            None => (
                "New course".to_owned(),
                staff.href("/courses/new"),
                staff.href("/courses"),
            ),
            Some(id) => (
                format!("Edit {}", form.title.trim()),
                staff.href(&format!("/courses/{id}/edit")),
                staff.href(&format!("/courses/{id}")),
            ),
        };
        Ok::<_, ApiError>(FormPage {
            layout: staff.layout(&heading, Section::Courses),
            heading,
            action,
            cancel,
            courses_href: staff.href("/courses"),
            form,
            errors,
            categories,
            levels: CourseLevel::ALL.iter().map(|l| l.name()).collect(),
            pricings: vec![
                ("FREE", "Free"),
                ("PAID", "Paid (one payment)"),
                ("SUBSCRIPTION", "Subscription"),
            ],
        })
    };
    match run.await {
        Ok(p) => (code, p).into_response(),
        Err(e) => error_page(&e),
    }
}

/// `GET /orgs/{org}/courses/new`.
pub async fn new_page(State(state): State<AppState>, staff: Staff) -> Response {
    match caller(&staff) {
        Ok(c) if c.teach || c.manage => {}
        Ok(_) => return error_page(&ApiError::Forbidden),
        Err(e) => return error_page(&e),
    }
    render(
        &state,
        &staff,
        None,
        CourseForm::default(),
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

/// `GET /orgs/{org}/courses/{course}/edit`.
pub async fn edit_page(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, course)): Path<(String, String)>,
) -> Response {
    let run = async {
        let caller = caller(&staff)?;
        let id = path_id(&course)?;
        let row = access::edit(state.db.read(), &caller, id, state.now()).await?;
        Ok::<_, ApiError>((id, CourseForm::of(&CourseView::from(&row))))
    };
    match run.await {
        Ok((id, form)) => {
            render(
                &state,
                &staff,
                Some(id),
                form,
                FormErrors::default(),
                StatusCode::OK,
            )
            .await
        }
        Err(e) => error_page(&e),
    }
}

async fn submit(
    state: AppState,
    staff: Staff,
    course: Option<Uuid>,
    form: WebForm<Vec<(String, String)>>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let data = CourseForm::parse(&form.value);
    let caller = match caller(&staff) {
        Ok(c) => c,
        Err(e) => return error_page(&e),
    };
    let result = match data.checked() {
        Err(fields) => Err(ApiError::Validation(fields)),
        Ok(c) => match course {
            None => {
                course::create(
                    &state,
                    &caller,
                    CourseBody {
                        title: data.title.clone(),
                        slug: Some(data.slug.trim().to_owned()).filter(|s| !s.is_empty()),
                        description: Some(data.description.clone()),
                        category_id: c.category_id,
                        level: Some(c.level),
                        language: Some(data.language.trim().to_owned()),
                        pricing: Some(c.pricing),
                        price_minor: Some(c.price_minor),
                        currency: c.currency,
                        max_students: c.max_students,
                        requires_final_pass: Some(data.requires_final_pass),
                        what_you_learn: None,
                        requirements: None,
                        tags: None,
                    },
                )
                .await
            }
            Some(id) => {
                course::update(
                    &state,
                    &caller,
                    id,
                    CoursePatch {
                        title: Some(data.title.clone()),
                        slug: Some(data.slug.trim().to_owned()).filter(|s| !s.is_empty()),
                        description: Some(data.description.clone()),
                        category_id: Some(c.category_id),
                        level: Some(c.level),
                        language: Some(data.language.trim().to_owned()),
                        pricing: Some(c.pricing),
                        price_minor: Some(c.price_minor),
                        currency: Some(c.currency),
                        max_students: Some(c.max_students),
                        requires_final_pass: Some(data.requires_final_pass),
                        ..CoursePatch::default()
                    },
                )
                .await
            }
        },
    };
    match result {
        Ok(view) => see_other(&staff.href(&format!("/courses/{}?done=saved", view.id))),
        Err(e) => {
            let code = e.parts().0;
            match place(e) {
                Ok(errors) => render(&state, &staff, course, data, errors, code).await,
                Err(e) => error_page(&e),
            }
        }
    }
}

/// `POST /orgs/{org}/courses/new`.
pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    form: WebForm<Vec<(String, String)>>,
) -> Response {
    submit(state, staff, None, form).await
}

/// `POST /orgs/{org}/courses/{course}/edit`.
pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, course)): Path<(String, String)>,
    form: WebForm<Vec<(String, String)>>,
) -> Response {
    match path_id(&course) {
        Ok(id) => submit(state, staff, Some(id), form).await,
        Err(e) => error_page(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::{major, parse_price};

    #[test]
    fn prices_are_typed_in_major_units() {
        assert_eq!(parse_price("19.99"), Some(1999));
        assert_eq!(parse_price(" 19.9 "), Some(1990));
        assert_eq!(parse_price("19"), Some(1900));
        assert_eq!(parse_price("0.05"), Some(5));
        for bad in ["", "-1", "1.999", "1,50", "abc", ".5", "99999999999"] {
            assert_eq!(parse_price(bad), None, "{bad}");
        }
        assert_eq!(major(1999), "19.99");
        assert_eq!(major(5), "0.05");
    }
}
