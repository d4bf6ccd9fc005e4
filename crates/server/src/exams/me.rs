//! `GET /me/exams`: the caller's own enrollments in every organization.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use uuid::Uuid;

use invigil_domain::delivery::session::attempts_left;
use invigil_domain::exams::ExamStatus;
use invigil_store::exams;
use invigil_store::tenancy;

use super::views::MyExamView;
use super::{overrides_of, settings_of};
use crate::http::auth::CurrentUser;
use crate::http::error::ApiError;
use crate::http::page::{Page, PageQuery};
use crate::state::AppState;

/// `GET /me/exams`: the caller's enrollments in every organization, with
/// the window, duration and attempts that apply to them. DRAFT exams are
/// not shown.
pub async fn my_exams(
    state: &AppState,
    me: &CurrentUser,
    page: &PageQuery,
) -> Result<Page<MyExamView>, ApiError> {
    let limit = page.limit()?;
    let rows = exams::enrollments_of_user(
        state.db.read(),
        me.id(),
        &[ExamStatus::Draft],
        page.cursor::<Uuid>()?,
        limit,
    )
    .await?;
    let invigil_store::KeysetPage {
        items: rows,
        next: next_cursor,
    } = invigil_store::KeysetPage::from_rows(rows, limit, |(_, e)| e.id.to_string());
    let mut orgs: HashMap<Uuid, (String, String, Option<u32>)> = HashMap::new();
    let mut items = Vec::with_capacity(rows.len());
    for (en, exam) in rows {
        let (slug, org_name, profile_extra) = match orgs.entry(exam.org_id) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(slot) => {
                let org = tenancy::org_by_id(state.db.read(), exam.org_id)
                    .await?
                    .ok_or_else(|| ApiError::internal("exam without organization"))?;
                let profile_extra = tenancy::profile(state.db.read(), exam.org_id, me.id())
                    .await?
                    .and_then(|p| p.extra_time_percent)
                    .and_then(|p| u32::try_from(p).ok());
                slot.insert((org.slug, org.name, profile_extra))
            }
        };
        let settings = settings_of(&exam)?;
        let o = overrides_of(&en);
        let window = o.effective_window(settings.window);
        let used = u32::try_from(en.attempts_used).unwrap_or(0);
        items.push(MyExamView {
            exam_id: exam.id,
            title: exam.title.clone(),
            description: exam.description.clone(),
            org: slug.clone(),
            org_name: org_name.clone(),
            exam_status: exam.status,
            status: en.status,
            window_start_at: window.start,
            window_end_at: window.end,
            duration_minutes: o.effective_duration_minutes(settings.duration_minutes),
            extra_time_percent: o.extra_time_percent.or(*profile_extra),
            max_attempts: o.max_attempts.unwrap_or(settings.max_attempts),
            attempts_used: used,
            attempts_left: attempts_left(settings.max_attempts, o.max_attempts, used),
            enable_proctoring: exam.enable_proctoring,
            results_released: exam.results_released_at.is_some(),
        });
    }
    Ok(Page { items, next_cursor })
}
