//! Subscriptions to an organization's plans: statuses, billing periods and
//! cancellation at the end of the period.

use chrono::{DateTime, Months, Utc};

crate::stored_enum! {
    pub enum SubscriptionStatus {
        /// Checked out, first payment not completed yet (Stripe's
        /// `incomplete`): no access, no period.
        Incomplete = "INCOMPLETE",
        Trialing = "TRIALING",
        Active = "ACTIVE",
        PastDue = "PAST_DUE",
        Canceled = "CANCELED",
        Expired = "EXPIRED",
    }
}

crate::stored_enum! {
    pub enum PlanInterval {
        Month = "MONTH",
        Year = "YEAR",
    }
}

impl SubscriptionStatus {
    /// Still gives access (the period is paid or in trial or grace).
    pub fn is_live(self) -> bool {
        matches!(
            self,
            SubscriptionStatus::Trialing | SubscriptionStatus::Active | SubscriptionStatus::PastDue
        )
    }

    /// Ended for good: nothing moves it again.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            SubscriptionStatus::Canceled | SubscriptionStatus::Expired
        )
    }

    /// The provider's name of a status (Stripe: `active`, `trialing`,
    /// `past_due`, `canceled`, `unpaid`, `incomplete_expired`...).
    pub fn from_provider(s: &str) -> Option<SubscriptionStatus> {
        match s {
            "incomplete" => Some(SubscriptionStatus::Incomplete),
            "trialing" => Some(SubscriptionStatus::Trialing),
            "active" => Some(SubscriptionStatus::Active),
            "past_due" | "unpaid" => Some(SubscriptionStatus::PastDue),
            "canceled" => Some(SubscriptionStatus::Canceled),
            "incomplete_expired" => Some(SubscriptionStatus::Expired),
            _ => None,
        }
    }

    /// Whether a provider's later report may set `to`: a final status stays.
    pub fn may_become(self, to: SubscriptionStatus) -> bool {
        !self.is_final() || self == to
    }
}

/// The end of a period of `interval` starting at `start` (month ends clamp:
/// 31 January + 1 month = 28/29 February).
pub fn period_end(start: DateTime<Utc>, interval: PlanInterval) -> DateTime<Utc> {
    let months = match interval {
        PlanInterval::Month => Months::new(1),
        PlanInterval::Year => Months::new(12),
    };
    start.checked_add_months(months).unwrap_or(start)
}

/// What a cancellation by the subscriber or staff does now: a live
/// subscription keeps running to the end of its period
/// (`cancel_at_period_end`); one that never started (no period) ends now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancellation {
    AtPeriodEnd,
    Now,
    AlreadyEnded,
}

pub fn cancellation(status: SubscriptionStatus, has_period: bool) -> Cancellation {
    if status.is_final() {
        Cancellation::AlreadyEnded
    } else if has_period {
        Cancellation::AtPeriodEnd
    } else {
        Cancellation::Now
    }
}

/// The status of a subscription at `now`: one set to cancel at the end of
/// its period is CANCELED once the period is over; any other live one whose
/// period ended without renewal is EXPIRED.
pub fn status_at(
    status: SubscriptionStatus,
    period_end: Option<DateTime<Utc>>,
    cancel_at_period_end: bool,
    now: DateTime<Utc>,
) -> SubscriptionStatus {
    match period_end {
        Some(end) if status.is_live() && now >= end => {
            if cancel_at_period_end {
                SubscriptionStatus::Canceled
            } else {
                SubscriptionStatus::Expired
            }
        }
        _ => status,
    }
}

#[cfg(test)]
mod tests {
    use super::SubscriptionStatus::*;
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).single().unwrap()
    }

    #[test]
    fn periods() {
        assert_eq!(
            period_end(at(2026, 1, 31), PlanInterval::Month),
            at(2026, 2, 28)
        );
        assert_eq!(
            period_end(at(2026, 3, 1), PlanInterval::Year),
            at(2027, 3, 1)
        );
    }

    #[test]
    fn cancelling_and_ending() {
        assert_eq!(cancellation(Active, true), Cancellation::AtPeriodEnd);
        assert_eq!(cancellation(Trialing, false), Cancellation::Now);
        assert_eq!(cancellation(Canceled, true), Cancellation::AlreadyEnded);
        let end = at(2026, 2, 1);
        assert_eq!(status_at(Active, Some(end), true, at(2026, 1, 31)), Active);
        assert_eq!(status_at(Active, Some(end), true, end), Canceled);
        assert_eq!(status_at(Active, Some(end), false, end), Expired);
        assert_eq!(status_at(Canceled, Some(end), false, end), Canceled);
        assert_eq!(status_at(Active, None, true, end), Active);
    }

    #[test]
    fn provider_statuses() {
        assert_eq!(SubscriptionStatus::from_provider("past_due"), Some(PastDue));
        assert_eq!(SubscriptionStatus::from_provider("unpaid"), Some(PastDue));
        assert_eq!(SubscriptionStatus::from_provider("weird"), None);
        assert!(Active.may_become(Canceled));
        assert!(!Canceled.may_become(Active));
        assert!(!Expired.may_become(Active));
        assert!(Trialing.is_live() && !Expired.is_live());
    }
}
