use super::*;

fn ids(n: usize) -> Vec<Uuid> {
    (0..n).map(|_| Uuid::now_v7()).collect()
}

#[test]
fn slugs_from_titles() {
    assert_eq!(slugify("Intro to Rust!").as_deref(), Some("intro-to-rust"));
    assert_eq!(slugify("  Café   & Crème ").as_deref(), Some("cafe-creme"));
    assert_eq!(slugify("!!!"), None);
    assert!(slugify(&"a".repeat(200)).is_some_and(|s| s.len() <= 80));
    assert!(is_slug("intro-to-rust") && is_slug("a1"));
    for bad in ["", "-a", "a-", "a--b", "A", "a b", "é"] {
        assert!(!is_slug(bad), "{bad}");
    }
}

#[test]
fn language_tags() {
    assert_eq!(parse_language("en").as_deref(), Some("en"));
    assert_eq!(parse_language("pt-br").as_deref(), Some("pt-BR"));
    assert_eq!(parse_language("zh-hant-tw").as_deref(), Some("zh-Hant-TW"));
    assert_eq!(parse_language("es-419").as_deref(), Some("es-419"));
    for bad in ["", "e", "english", "en-", "en-x", "12", "en-US-a-b-c"] {
        assert_eq!(parse_language(bad), None, "{bad}");
    }
}

#[test]
fn prices() {
    assert_eq!(check_price(Pricing::Free, 0, None), Ok(()));
    assert_eq!(
        check_price(Pricing::Free, 100, Some("EUR")),
        Err(PriceError::OutOfRange)
    );
    assert_eq!(
        check_price(Pricing::Paid, 0, Some("EUR")),
        Err(PriceError::PaidNeedsPrice)
    );
    assert_eq!(
        check_price(Pricing::Paid, 100, None),
        Err(PriceError::NeedsCurrency)
    );
    assert_eq!(
        check_price(Pricing::Paid, 100, Some("eur")),
        Err(PriceError::BadCurrency)
    );
    assert_eq!(
        check_price(Pricing::Paid, -1, Some("EUR")),
        Err(PriceError::OutOfRange)
    );
    assert_eq!(check_price(Pricing::Paid, 4900, Some("EUR")), Ok(()));
    assert_eq!(check_price(Pricing::Subscription, 0, None), Ok(()));
}

#[test]
fn lifecycle() {
    assert_eq!(
        publish(CourseStatus::Draft, true),
        Ok(CourseStatus::Published)
    );
    assert_eq!(
        publish(CourseStatus::Draft, false),
        Err(LifecycleError::NothingToPublish)
    );
    assert_eq!(
        publish(CourseStatus::Archived, true),
        Ok(CourseStatus::Published)
    );
    assert!(publish(CourseStatus::Published, true).is_err());
    assert_eq!(archive(CourseStatus::Published), Ok(CourseStatus::Archived));
    assert!(archive(CourseStatus::Archived).is_err());
}

#[test]
fn enrollment_rules() {
    use CourseStatus::*;
    use EnrollmentSource as S;
    assert_eq!(
        may_enroll(Published, Pricing::Free, S::Free, 0, None),
        Ok(())
    );
    assert_eq!(
        may_enroll(Archived, Pricing::Free, S::Invited, 0, None),
        Err(EnrollError::NotOpen(Archived))
    );
    assert!(may_enroll(Draft, Pricing::Free, S::Free, 0, None).is_err());
    assert!(may_enroll(Draft, Pricing::Free, S::Invited, 0, None).is_ok());
    assert_eq!(
        may_enroll(Published, Pricing::Paid, S::Free, 0, None),
        Err(EnrollError::PaymentRequired)
    );
    assert!(may_enroll(Published, Pricing::Paid, S::Paid, 0, None).is_ok());
    assert_eq!(
        may_enroll(Published, Pricing::Free, S::Free, 2, Some(2)),
        Err(EnrollError::Full(2))
    );
    let now = Utc::now();
    let past = now - chrono::Duration::hours(1);
    use CourseEnrollmentStatus as E;
    assert_eq!(effective_status(E::Active, Some(past), now), E::Expired);
    assert_eq!(
        effective_status(E::Completed, Some(past), now),
        E::Completed
    );
    assert_eq!(effective_status(E::Active, None, now), E::Active);
    assert!(
        grants_access(E::Completed) && !grants_access(E::Dropped) && !grants_access(E::Expired)
    );
}

#[test]
fn category_cycles() {
    let [a, b, c, d]: [Uuid; 4] = ids(4).try_into().unwrap_or_else(|_| panic!());
    // a > b > c; d alone.
    let parents = HashMap::from([(a, None), (b, Some(a)), (c, Some(b)), (d, None)]);
    assert!(would_cycle(a, c, &parents));
    assert!(would_cycle(a, a, &parents));
    assert!(!would_cycle(c, a, &parents));
    assert!(!would_cycle(a, d, &parents));
}

#[test]
fn orders() {
    let v = ids(3);
    assert_eq!(check_order(&v, &[v[2], v[0], v[1]]), Ok(()));
    assert_eq!(
        check_order(&v, &[v[2], v[0]]),
        Err(OrderError::Missing(v[1]))
    );
    assert_eq!(
        check_order(&v, &[v[2], v[0], v[0]]),
        Err(OrderError::Twice(v[0]))
    );
    let other = Uuid::now_v7();
    assert_eq!(
        check_order(&v, &[v[0], v[1], v[2], other]),
        Err(OrderError::Foreign(other))
    );
    assert_eq!(check_order(&[], &[]), Ok(()));
}

#[test]
fn progress_and_completion() {
    assert_eq!(clamp_position(900, 600), 600);
    assert_eq!(clamp_position(-5, 600), 0);
    assert_eq!(clamp_position(30, 0), 30);
    assert_eq!(progress_percent(1, 3), 33);
    assert_eq!(progress_percent(0, 0), 0);
    assert_eq!(progress_percent(5, 3), 100);
    assert!(is_complete(3, 3, false, false));
    assert!(!is_complete(3, 3, true, false));
    assert!(is_complete(3, 3, true, true));
    assert!(!is_complete(2, 3, false, true));
    assert!(!is_complete(0, 0, false, true));
}

#[test]
fn continue_where_i_left_off() {
    let v = ids(4);
    let done: HashSet<Uuid> = [v[0], v[1]].into();
    assert_eq!(next_lecture(&v, &HashSet::new(), None), Some(v[0]));
    assert_eq!(next_lecture(&v, &done, Some(v[1])), Some(v[2]));
    // The last one opened and not finished comes first.
    assert_eq!(next_lecture(&v, &done, Some(v[3])), Some(v[3]));
    // Done to the end after the last one: back to the first gap.
    let done: HashSet<Uuid> = [v[0], v[2], v[3]].into();
    assert_eq!(next_lecture(&v, &done, Some(v[3])), Some(v[1]));
    let all: HashSet<Uuid> = v.iter().copied().collect();
    assert_eq!(next_lecture(&v, &all, Some(v[0])), None);
    // A last lecture that was deleted since.
    assert_eq!(
        next_lecture(&v, &HashSet::new(), Some(Uuid::now_v7())),
        Some(v[0])
    );
}

#[test]
fn ratings() {
    assert!(is_rating(1) && is_rating(5) && !is_rating(0) && !is_rating(6));
    assert_eq!(rating_summary(&[]), (None, 0));
    assert_eq!(rating_summary(&[5, 4, 4]), (Some(4.33), 3));
}
