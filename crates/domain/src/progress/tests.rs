use chrono::{NaiveDate, TimeZone, Utc};

use super::*;

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
}

fn at(d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, d, h, 0, 0).unwrap()
}

fn act(d: u32, h: u32, kind: ActivityKind) -> Activity {
    Activity {
        at: at(d, h),
        kind,
        percent: None,
    }
}

fn lectures(days: impl IntoIterator<Item = u32>) -> Vec<Activity> {
    days.into_iter()
        .map(|d| act(d, 9, ActivityKind::LectureCompleted))
        .collect()
}

fn has(s: &Summary, b: Badge) -> Option<DateTime<Utc>> {
    s.badges.iter().find(|e| e.badge == b).map(|e| e.at)
}

#[test]
fn nothing_done_is_a_beginner_with_no_streak() {
    let s = summarize(&[], day(10), 90);
    assert_eq!(s.current_streak, 0);
    assert_eq!(s.longest_streak, 0);
    assert_eq!(s.last_activity_date, None);
    assert_eq!(s.points, 0);
    assert_eq!(s.level, Level::Beginner);
    assert!(s.badges.is_empty());
    assert_eq!(s.days.len(), 90);
    assert_eq!(s.days.last().unwrap().0, day(10));
}

#[test]
fn a_streak_ending_today_or_yesterday_is_alive() {
    let acts = lectures([5, 6, 7]);
    assert_eq!(summarize(&acts, day(7), 7).current_streak, 3);
    assert_eq!(summarize(&acts, day(8), 7).current_streak, 3, "yesterday");
    assert_eq!(summarize(&acts, day(9), 7).current_streak, 0, "broken");
    assert_eq!(summarize(&acts, day(9), 7).longest_streak, 3);
}

#[test]
fn a_gap_breaks_a_run_and_longest_remembers() {
    let acts = lectures([1, 2, 3, 4, 6, 7]);
    let s = summarize(&acts, day(7), 7);
    assert_eq!(s.current_streak, 2);
    assert_eq!(s.longest_streak, 4);
    assert_eq!(s.last_activity_date, Some(day(7)));
}

#[test]
fn several_activities_a_day_count_once_for_streaks() {
    let mut acts = lectures([1, 2]);
    acts.push(act(2, 20, ActivityKind::PracticeCompleted));
    acts.push(act(2, 1, ActivityKind::ExamSubmitted));
    let s = summarize(&acts, day(2), 3);
    assert_eq!(s.current_streak, 2);
    assert_eq!(
        s.days[2].1,
        DayCount {
            exams: 1,
            practices: 1,
            lectures: 1
        }
    );
    assert_eq!(s.days[2].1.total(), 3);
    assert_eq!(s.days[0].1, DayCount::default());
}

#[test]
fn future_activity_is_ignored() {
    let s = summarize(&lectures([5, 20]), day(10), 3);
    assert_eq!(s.last_activity_date, Some(day(5)));
    assert_eq!(s.points, 2);
}

#[test]
fn points_and_levels() {
    let acts = vec![
        act(1, 9, ActivityKind::ExamSubmitted),
        act(1, 10, ActivityKind::PracticeCompleted),
        act(1, 11, ActivityKind::LectureCompleted),
        act(1, 12, ActivityKind::CourseCompleted),
    ];
    assert_eq!(summarize(&acts, day(1), 1).points, 42);
    assert_eq!(level(0), Level::Beginner);
    assert_eq!(level(99), Level::Beginner);
    assert_eq!(level(100), Level::Intermediate);
    assert_eq!(level(499), Level::Intermediate);
    assert_eq!(level(500), Level::Advanced);
    let many: Vec<_> = (1..=10)
        .map(|d| act(d, 9, ActivityKind::ExamSubmitted))
        .collect();
    assert_eq!(summarize(&many, day(10), 1).level, Level::Intermediate);
}

#[test]
fn first_exam_first_practice_and_course_badges() {
    let acts = vec![
        act(3, 9, ActivityKind::PracticeCompleted),
        act(2, 9, ActivityKind::ExamSubmitted),
        act(4, 9, ActivityKind::ExamSubmitted),
        act(5, 9, ActivityKind::CourseCompleted),
    ];
    let s = summarize(&acts, day(5), 1);
    assert_eq!(has(&s, Badge::FirstExam), Some(at(2, 9)));
    assert_eq!(has(&s, Badge::FirstPractice), Some(at(3, 9)));
    assert_eq!(has(&s, Badge::CourseCompleted), Some(at(5, 9)));
    assert_eq!(has(&s, Badge::TenPractices), None);
    assert_eq!(s.badges[0].badge, Badge::FirstExam, "in the order earned");
}

#[test]
fn ten_practices_at_the_tenth() {
    let acts: Vec<_> = (1..=11)
        .map(|d| act(d, 8, ActivityKind::PracticeCompleted))
        .collect();
    let s = summarize(&acts[..9], day(11), 1);
    assert_eq!(has(&s, Badge::TenPractices), None);
    let s = summarize(&acts, day(11), 1);
    assert_eq!(has(&s, Badge::TenPractices), Some(at(10, 8)));
}

#[test]
fn streak_badges_at_the_day_the_run_reached_them() {
    let s = summarize(&lectures(1..=6), day(6), 1);
    assert_eq!(has(&s, Badge::Streak7), None);
    let s = summarize(&lectures(1..=8), day(8), 1);
    assert_eq!(has(&s, Badge::Streak7), Some(at(7, 9)));
    assert_eq!(has(&s, Badge::Streak30), None);
    let month: Vec<_> = (0..31)
        .map(|i| Activity {
            at: at(1, 9) + Duration::days(i),
            kind: ActivityKind::LectureCompleted,
            percent: None,
        })
        .collect();
    let s = summarize(&month, day(31), 1);
    assert_eq!(has(&s, Badge::Streak30), Some(at(30, 9)));
    assert_eq!(s.longest_streak, 31);
    // A broken streak keeps the badge it earned.
    assert!(
        has(
            &summarize(&month, day(31) + Duration::days(5), 1),
            Badge::Streak30
        )
        .is_some()
    );
}

#[test]
fn perfect_score_only_at_full_marks() {
    let mut a = act(1, 9, ActivityKind::ExamSubmitted);
    a.percent = Some(99.5);
    let mut b = act(2, 9, ActivityKind::PracticeCompleted);
    b.percent = Some(100.0);
    assert_eq!(has(&summarize(&[a], day(2), 1), Badge::PerfectScore), None);
    assert_eq!(
        has(&summarize(&[a, b], day(2), 1), Badge::PerfectScore),
        Some(at(2, 9))
    );
}

#[test]
fn badge_names_round_trip() {
    for b in Badge::ALL {
        assert_eq!(Badge::parse(b.name()), Some(*b));
        assert!(!b.title().is_empty());
    }
    assert_eq!(Level::Beginner.name(), "beginner");
}
