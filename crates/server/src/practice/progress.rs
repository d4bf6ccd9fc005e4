//! `/me/progress`: a learner's streaks, points, level and badges, computed
//! on each read from their activity (UTC days; no time zone is known per
//! person yet). Nothing is stored: the activity is the one source.

use uuid::Uuid;

use invigil_domain::progress::{self as rules, Activity, ActivityKind, Summary};
use invigil_store::practice as store;

use super::views::{LearnerProgressView, PracticeBadgeView, PracticeDayView};
use crate::http::error::ApiError;
use crate::state::AppState;

/// Days listed in `days`.
pub const WINDOW_DAYS: u32 = 90;

/// `user_id`'s activity as the domain rules take it.
pub async fn activities(state: &AppState, user_id: Uuid) -> Result<Vec<Activity>, ApiError> {
    let rows = store::activity_of(state.db.read(), user_id).await?;
    let mut out = Vec::with_capacity(
        rows.exams.len() + rows.practices.len() + rows.lectures.len() + rows.courses.len(),
    );
    let with = |kind| move |(at, percent)| Activity { at, kind, percent };
    out.extend(
        rows.exams
            .into_iter()
            .map(with(ActivityKind::ExamSubmitted)),
    );
    out.extend(
        rows.practices
            .into_iter()
            .map(with(ActivityKind::PracticeCompleted)),
    );
    out.extend(rows.lectures.into_iter().map(|at| Activity {
        at,
        kind: ActivityKind::LectureCompleted,
        percent: None,
    }));
    out.extend(rows.courses.into_iter().map(|at| Activity {
        at,
        kind: ActivityKind::CourseCompleted,
        percent: None,
    }));
    Ok(out)
}

/// The summary as of now, with the last `window` days.
pub async fn summary(state: &AppState, user_id: Uuid, window: u32) -> Result<Summary, ApiError> {
    let acts = activities(state, user_id).await?;
    Ok(rules::summarize(&acts, state.now().date_naive(), window))
}

impl From<&Summary> for LearnerProgressView {
    fn from(s: &Summary) -> Self {
        LearnerProgressView {
            current_streak: s.current_streak,
            longest_streak: s.longest_streak,
            last_activity_date: s.last_activity_date,
            points: s.points,
            level: s.level.name().to_owned(),
            badges: s
                .badges
                .iter()
                .map(|e| PracticeBadgeView {
                    id: e.badge.name().to_owned(),
                    name: e.badge.title().to_owned(),
                    earned_at: e.at,
                })
                .collect(),
            days: s
                .days
                .iter()
                .map(|(date, c)| PracticeDayView {
                    date: *date,
                    exams: c.exams,
                    practices: c.practices,
                    lectures: c.lectures,
                })
                .collect(),
        }
    }
}

/// The `/me/progress` answer.
pub async fn view(state: &AppState, user_id: Uuid) -> Result<LearnerProgressView, ApiError> {
    Ok((&summary(state, user_id, WINDOW_DAYS).await?).into())
}
