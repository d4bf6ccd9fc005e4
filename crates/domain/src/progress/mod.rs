//! A learner's progress (seed 002 UserProgress), computed from what they
//! did — exams submitted, practice interviews completed, lectures and
//! courses completed — never stored a second time. Days are UTC days (no
//! person's time zone is known yet).
//!
//! * A day is active when it has at least one activity; a streak is a run
//!   of active days in a row. The current streak is the run ending today,
//!   or yesterday (today is not over yet); otherwise 0.
//! * Points: an exam submitted 10, a practice completed 5, a lecture
//!   completed 2, a course completed 25.
//! * Level by points: beginner below [`INTERMEDIATE_AT`], intermediate
//!   below [`ADVANCED_AT`], advanced from there.
//! * Badges, each earned at the activity that first met its rule (see
//!   [`Badge`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;

/// What kind of thing was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityKind {
    ExamSubmitted,
    PracticeCompleted,
    LectureCompleted,
    CourseCompleted,
}

/// One thing done, when, and its score in percent when it has one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Activity {
    pub at: DateTime<Utc>,
    pub kind: ActivityKind,
    pub percent: Option<f64>,
}

impl ActivityKind {
    pub fn points(self) -> u64 {
        match self {
            ActivityKind::ExamSubmitted => 10,
            ActivityKind::PracticeCompleted => 5,
            ActivityKind::LectureCompleted => 2,
            ActivityKind::CourseCompleted => 25,
        }
    }
}

/// Points from which one is intermediate.
pub const INTERMEDIATE_AT: u64 = 100;
/// Points from which one is advanced.
pub const ADVANCED_AT: u64 = 500;

crate::stored_enum! {
    /// A level by points.
    pub enum Level {
        Beginner = "beginner",
        Intermediate = "intermediate",
        Advanced = "advanced",
    }
}

/// The level of `points`.
pub fn level(points: u64) -> Level {
    if points >= ADVANCED_AT {
        Level::Advanced
    } else if points >= INTERMEDIATE_AT {
        Level::Intermediate
    } else {
        Level::Beginner
    }
}

crate::stored_enum! {
    /// A badge and its rule.
    pub enum Badge {
        /// A first exam submitted.
        FirstExam = "FIRST_EXAM",
        /// A first practice interview completed.
        FirstPractice = "FIRST_PRACTICE",
        /// Ten practice interviews completed.
        TenPractices = "TEN_PRACTICES",
        /// Seven active days in a row.
        Streak7 = "STREAK_7",
        /// Thirty active days in a row.
        Streak30 = "STREAK_30",
        /// 100 % in an exam or a practice interview.
        PerfectScore = "PERFECT_SCORE",
        /// A first course completed.
        CourseCompleted = "COURSE_COMPLETED",
    }
}

impl Badge {
    /// The name shown to people.
    pub fn title(self) -> &'static str {
        match self {
            Badge::FirstExam => "First exam",
            Badge::FirstPractice => "First practice interview",
            Badge::TenPractices => "Ten practice interviews",
            Badge::Streak7 => "7-day streak",
            Badge::Streak30 => "30-day streak",
            Badge::PerfectScore => "Perfect score",
            Badge::CourseCompleted => "Course completed",
        }
    }
}

/// A badge earned, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Earned {
    pub badge: Badge,
    pub at: DateTime<Utc>,
}

/// What was done on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct DayCount {
    pub exams: u32,
    pub practices: u32,
    pub lectures: u32,
}

impl DayCount {
    pub fn total(&self) -> u32 {
        self.exams + self.practices + self.lectures
    }
}

/// The whole picture.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub current_streak: u32,
    pub longest_streak: u32,
    pub last_activity_date: Option<NaiveDate>,
    pub points: u64,
    pub level: Level,
    /// In the order earned.
    pub badges: Vec<Earned>,
    /// The last `window` days, oldest first, ending today.
    pub days: Vec<(NaiveDate, DayCount)>,
}

/// Active days (UTC) with their first activity's time.
fn active_days(acts: &[Activity]) -> BTreeMap<NaiveDate, DateTime<Utc>> {
    let mut days: BTreeMap<NaiveDate, DateTime<Utc>> = BTreeMap::new();
    for a in acts {
        let d = a.at.date_naive();
        let first = days.entry(d).or_insert(a.at);
        if a.at < *first {
            *first = a.at;
        }
    }
    days
}

/// Computes the summary as of `today`, with the last `window` days.
pub fn summarize(acts: &[Activity], today: NaiveDate, window: u32) -> Summary {
    let mut acts: Vec<Activity> = acts
        .iter()
        .copied()
        .filter(|a| a.at.date_naive() <= today)
        .collect();
    acts.sort_by_key(|a| a.at);
    let days = active_days(&acts);

    // Runs of days in a row; the longest, the one ending last, and when a
    // run first reached 7 and 30 days.
    let mut longest = 0u32;
    let mut run = 0u32;
    let mut prev: Option<NaiveDate> = None;
    let mut streak_badges: Vec<Earned> = Vec::new();
    for (d, first) in &days {
        run = match prev {
            Some(p) if *d == p + Duration::days(1) => run + 1,
            _ => 1,
        };
        prev = Some(*d);
        longest = longest.max(run);
        for (len, badge) in [(7, Badge::Streak7), (30, Badge::Streak30)] {
            if run == len && !streak_badges.iter().any(|e| e.badge == badge) {
                streak_badges.push(Earned { badge, at: *first });
            }
        }
    }
    let current = match prev {
        Some(p) if p == today || p + Duration::days(1) == today => run,
        _ => 0,
    };

    let mut points = 0u64;
    let mut badges: Vec<Earned> = Vec::new();
    let mut practices = 0u32;
    let earn = |badges: &mut Vec<Earned>, badge: Badge, at: DateTime<Utc>| {
        if !badges.iter().any(|e| e.badge == badge) {
            badges.push(Earned { badge, at });
        }
    };
    for a in &acts {
        points += a.kind.points();
        match a.kind {
            ActivityKind::ExamSubmitted => earn(&mut badges, Badge::FirstExam, a.at),
            ActivityKind::PracticeCompleted => {
                practices += 1;
                earn(&mut badges, Badge::FirstPractice, a.at);
                if practices == 10 {
                    earn(&mut badges, Badge::TenPractices, a.at);
                }
            }
            ActivityKind::CourseCompleted => earn(&mut badges, Badge::CourseCompleted, a.at),
            ActivityKind::LectureCompleted => {}
        }
        if a.percent.is_some_and(|p| p >= 100.0) {
            earn(&mut badges, Badge::PerfectScore, a.at);
        }
    }
    badges.extend(streak_badges);
    badges.sort_by_key(|e| (e.at, e.badge.name()));

    let mut counts: BTreeMap<NaiveDate, DayCount> = BTreeMap::new();
    for a in &acts {
        let c = counts.entry(a.at.date_naive()).or_default();
        match a.kind {
            ActivityKind::ExamSubmitted => c.exams += 1,
            ActivityKind::PracticeCompleted => c.practices += 1,
            ActivityKind::LectureCompleted => c.lectures += 1,
            ActivityKind::CourseCompleted => {}
        }
    }
    let window_days = (0..window)
        .rev()
        .map(|back| {
            let d = today - Duration::days(i64::from(back));
            (d, counts.get(&d).copied().unwrap_or_default())
        })
        .collect();

    Summary {
        current_streak: current,
        longest_streak: longest,
        last_activity_date: prev,
        points,
        level: level(points),
        badges,
        days: window_days,
    }
}

#[cfg(test)]
mod tests;
