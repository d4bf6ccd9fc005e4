//! Courses (seed 004's learning side): the catalog's enums and the pure rules
//! of categories, courses, lectures, enrollments, progress and reviews. No
//! I/O: the store and the services pass the facts in.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use uuid::Uuid;

crate::stored_enum! {
    /// How hard a course is.
    pub enum CourseLevel {
        Beginner = "BEGINNER",
        Intermediate = "INTERMEDIATE",
        Advanced = "ADVANCED",
        Expert = "EXPERT",
    }
}

crate::stored_enum! {
    /// How a course is paid for.
    pub enum Pricing {
        Free = "FREE",
        Paid = "PAID",
        Subscription = "SUBSCRIPTION",
    }
}

crate::stored_enum! {
    /// A course's lifecycle.
    pub enum CourseStatus {
        /// Being written; only its instructors and staff see it.
        Draft = "DRAFT",
        /// In the catalog; learners enroll.
        Published = "PUBLISHED",
        /// Out of the catalog; enrolled learners keep it, nobody new enrolls.
        Archived = "ARCHIVED",
    }
}

crate::stored_enum! {
    /// What a lecture holds.
    pub enum LectureKind {
        Video = "VIDEO",
        Pdf = "PDF",
        Text = "TEXT",
    }
}

crate::stored_enum! {
    /// How a learner came into a course.
    pub enum EnrollmentSource {
        /// Self-enrolled in a free course.
        Free = "FREE",
        /// Enrolled by an instructor or a course manager.
        Invited = "INVITED",
        /// Enrolled by a payment (the payments module).
        Paid = "PAID",
    }
}

crate::stored_enum! {
    /// A learner's standing in a course.
    pub enum CourseEnrollmentStatus {
        Active = "ACTIVE",
        Completed = "COMPLETED",
        Dropped = "DROPPED",
        Expired = "EXPIRED",
    }
}

crate::stored_enum! {
    /// What an exam inside a course is for (seed 004's test_type).
    pub enum TestType {
        Quiz = "QUIZ",
        Assignment = "ASSIGNMENT",
        Practice = "PRACTICE",
        FinalExam = "FINAL_EXAM",
    }
}

/// A course or category slug made from a title: lowercase ASCII letters and
/// digits, words joined by `-`, at most 80 characters; `None` when nothing
/// is left (a title of only symbols).
pub fn slugify(title: &str) -> Option<String> {
    let mut out = String::new();
    let mut dash = false;
    for c in title.chars() {
        let c = fold(c);
        if c.is_ascii_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c.to_ascii_lowercase());
        } else {
            dash = true;
        }
        if out.len() >= 80 {
            break;
        }
    }
    let out = out.trim_end_matches('-').to_owned();
    (!out.is_empty()).then_some(out)
}

/// A few Latin letters with accents to their base letter, so "Café" is "cafe".
fn fold(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' | 'À' | 'Á' | 'Â' | 'Ä' | 'Ã' | 'Å' => 'a',
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => 'i',
        'ò' | 'ó' | 'ô' | 'ö' | 'õ' | 'Ò' | 'Ó' | 'Ô' | 'Ö' | 'Õ' => 'o',
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => 'u',
        'ç' | 'Ç' => 'c',
        'ñ' | 'Ñ' => 'n',
        other => other,
    }
}

/// Whether `s` is a slug: 1 to 80 of `a-z0-9`, single `-` between words.
pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 80
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// A BCP 47-ish language tag (`en`, `pt-BR`, `zh-Hant`, `es-419`): a primary
/// language of 2-3 letters, then subtags of 2-8 letters or digits; returned
/// in its usual case (language lowercase, a 2-letter region uppercase, a
/// 4-letter script titlecase).
pub fn parse_language(tag: &str) -> Option<String> {
    let mut parts = tag.trim().split(['-', '_']);
    let lang = parts.next()?;
    if !(2..=3).contains(&lang.len()) || !lang.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let mut out = lang.to_ascii_lowercase();
    let mut n = 0;
    for p in parts {
        n += 1;
        if n > 3 || !(2..=8).contains(&p.len()) || !p.chars().all(|c| c.is_ascii_alphanumeric()) {
            return None;
        }
        out.push('-');
        if p.len() == 2 && p.chars().all(|c| c.is_ascii_alphabetic()) {
            out.push_str(&p.to_ascii_uppercase());
        } else if p.len() == 4 && p.chars().all(|c| c.is_ascii_alphabetic()) {
            let lower = p.to_ascii_lowercase();
            let mut cs = lower.chars();
            if let Some(first) = cs.next() {
                out.push(first.to_ascii_uppercase());
                out.push_str(cs.as_str());
            }
        } else {
            out.push_str(&p.to_ascii_lowercase());
        }
    }
    Some(out)
}

/// The largest price accepted, in minor units (10 million in major units).
pub const MAX_PRICE_MINOR: i64 = 1_000_000_000;

/// Why a course's price does not hold together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriceError {
    #[error("a PAID course needs a price above 0 (in minor units)")]
    PaidNeedsPrice,
    #[error("must be from 0 to {MAX_PRICE_MINOR} minor units")]
    OutOfRange,
    #[error("a priced course needs an ISO 4217 currency (three capital letters)")]
    NeedsCurrency,
    #[error("must be three capital letters (ISO 4217), e.g. EUR")]
    BadCurrency,
}

/// Checks pricing, price and currency together: a PAID course has a positive
/// price and a currency; any price is 0..=[`MAX_PRICE_MINOR`]; a currency is
/// three capital letters. A FREE course keeps price 0.
pub fn check_price(
    pricing: Pricing,
    price_minor: i64,
    currency: Option<&str>,
) -> Result<(), PriceError> {
    if !(0..=MAX_PRICE_MINOR).contains(&price_minor) {
        return Err(PriceError::OutOfRange);
    }
    if let Some(c) = currency
        && !(c.len() == 3 && c.chars().all(|c| c.is_ascii_uppercase()))
    {
        return Err(PriceError::BadCurrency);
    }
    match pricing {
        Pricing::Paid if price_minor == 0 => Err(PriceError::PaidNeedsPrice),
        Pricing::Paid if currency.is_none() => Err(PriceError::NeedsCurrency),
        Pricing::Free if price_minor != 0 => Err(PriceError::OutOfRange),
        _ => Ok(()),
    }
}

/// Why a course cannot change status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    #[error("a course is published with at least one chapter holding a lecture")]
    NothingToPublish,
    #[error("the course is {0} already")]
    Already(CourseStatus),
}

/// DRAFT or ARCHIVED → PUBLISHED, when one chapter holds a lecture.
pub fn publish(from: CourseStatus, has_lecture: bool) -> Result<CourseStatus, LifecycleError> {
    if from == CourseStatus::Published {
        return Err(LifecycleError::Already(from));
    }
    if !has_lecture {
        return Err(LifecycleError::NothingToPublish);
    }
    Ok(CourseStatus::Published)
}

/// DRAFT or PUBLISHED → ARCHIVED.
pub fn archive(from: CourseStatus) -> Result<CourseStatus, LifecycleError> {
    match from {
        CourseStatus::Archived => Err(LifecycleError::Already(from)),
        _ => Ok(CourseStatus::Archived),
    }
}

/// Why a learner cannot be enrolled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnrollError {
    #[error("the course is not open for enrollment ({0})")]
    NotOpen(CourseStatus),
    #[error("the course is full ({0} learners)")]
    Full(u64),
    #[error("this course is paid: enrollment comes with its payment")]
    PaymentRequired,
}

/// Whether one more learner may come in by `source`: only into a PUBLISHED
/// course (a DRAFT course takes invitations from its instructors too, for
/// trying it out), below `max_students`, and self-enrollment only when FREE.
pub fn may_enroll(
    status: CourseStatus,
    pricing: Pricing,
    source: EnrollmentSource,
    enrolled: u64,
    max_students: Option<u64>,
) -> Result<(), EnrollError> {
    let open = match status {
        CourseStatus::Published => true,
        CourseStatus::Draft => source == EnrollmentSource::Invited,
        CourseStatus::Archived => false,
    };
    if !open {
        return Err(EnrollError::NotOpen(status));
    }
    if source == EnrollmentSource::Free && pricing != Pricing::Free {
        return Err(EnrollError::PaymentRequired);
    }
    match max_students {
        Some(max) if enrolled >= max => Err(EnrollError::Full(max)),
        _ => Ok(()),
    }
}

/// The status a stored enrollment has at `now`: ACTIVE past `expires_at` is
/// EXPIRED (COMPLETED stays completed).
pub fn effective_status(
    status: CourseEnrollmentStatus,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> CourseEnrollmentStatus {
    match (status, expires_at) {
        (CourseEnrollmentStatus::Active, Some(e)) if e <= now => CourseEnrollmentStatus::Expired,
        (s, _) => s,
    }
}

/// Whether an enrollment in this status gives access to the content.
pub fn grants_access(status: CourseEnrollmentStatus) -> bool {
    matches!(
        status,
        CourseEnrollmentStatus::Active | CourseEnrollmentStatus::Completed
    )
}

/// Whether moving `id` under `new_parent` would make a cycle, given every
/// category's parent: `new_parent` is `id` itself or one of its descendants.
pub fn would_cycle(id: Uuid, new_parent: Uuid, parents: &HashMap<Uuid, Option<Uuid>>) -> bool {
    let mut at = Some(new_parent);
    let mut seen = HashSet::new();
    while let Some(c) = at {
        if c == id || !seen.insert(c) {
            return true;
        }
        at = parents.get(&c).copied().flatten();
    }
    false
}

/// Why a new order is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    #[error("{0} is not one of the items to order")]
    Foreign(Uuid),
    #[error("{0} appears twice")]
    Twice(Uuid),
    #[error("{0} is missing: give every item once")]
    Missing(Uuid),
}

/// Checks that `given` is a permutation of `current` (every id once, no
/// other); the first problem found.
pub fn check_order(current: &[Uuid], given: &[Uuid]) -> Result<(), OrderError> {
    let known: HashSet<Uuid> = current.iter().copied().collect();
    let mut seen = HashSet::new();
    for id in given {
        if !known.contains(id) {
            return Err(OrderError::Foreign(*id));
        }
        if !seen.insert(*id) {
            return Err(OrderError::Twice(*id));
        }
    }
    match current.iter().find(|id| !seen.contains(id)) {
        Some(id) => Err(OrderError::Missing(*id)),
        None => Ok(()),
    }
}

/// A video position within its lecture: at least 0, at most the duration
/// (when the lecture has one).
pub fn clamp_position(position_seconds: i64, duration_seconds: i32) -> i32 {
    let top = if duration_seconds > 0 {
        i64::from(duration_seconds)
    } else {
        i64::from(i32::MAX)
    };
    i32::try_from(position_seconds.clamp(0, top)).unwrap_or(0)
}

/// Whole percent of `completed` lectures out of `total` (0 for none).
pub fn progress_percent(completed: usize, total: usize) -> i32 {
    if total == 0 {
        return 0;
    }
    let p = completed.min(total) * 100 / total;
    i32::try_from(p).unwrap_or(100)
}

/// Whether a course is complete: every active lecture done and, when the
/// course requires it, a passed final exam. A course without lectures is
/// never complete by progress.
pub fn is_complete(
    completed: usize,
    total: usize,
    requires_final_pass: bool,
    final_passed: bool,
) -> bool {
    total > 0 && completed >= total && (!requires_final_pass || final_passed)
}

/// The lecture to open next, "continue where I left off": the last one
/// opened when it is not completed yet, else the first not completed after
/// it in course order, else the first not completed at all; `None` when all
/// are done.
pub fn next_lecture(order: &[Uuid], completed: &HashSet<Uuid>, last: Option<Uuid>) -> Option<Uuid> {
    if let Some(pos) = last.and_then(|l| order.iter().position(|x| *x == l)) {
        if !completed.contains(&order[pos]) {
            return Some(order[pos]);
        }
        if let Some(next) = order[pos + 1..].iter().find(|x| !completed.contains(x)) {
            return Some(*next);
        }
    }
    order.iter().find(|x| !completed.contains(x)).copied()
}

/// Ratings 1 to 5.
pub fn is_rating(r: i64) -> bool {
    (1..=5).contains(&r)
}

/// The average (rounded to two decimals) and count of visible ratings.
pub fn rating_summary(ratings: &[i32]) -> (Option<f64>, u64) {
    if ratings.is_empty() {
        return (None, 0);
    }
    let sum: i64 = ratings.iter().map(|r| i64::from(*r)).sum();
    let avg = sum as f64 / ratings.len() as f64;
    (Some((avg * 100.0).round() / 100.0), ratings.len() as u64)
}

#[cfg(test)]
mod tests;
