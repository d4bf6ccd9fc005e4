//! Payments (seed 004): the rules of a provider-agnostic ledger. Amounts
//! are integers in the currency's minor unit (cents) with an ISO 4217 code;
//! a payment's status moves only forward ([`PaymentStatus::may_become`]),
//! refunds never add up to more than was paid ([`refund_outcome`]), and an
//! instructor is never paid out more than their unpaid balance
//! ([`payee_share`], [`check_payout`]). No card data exists here: providers
//! keep it and we keep their references.

pub mod money;
pub mod subscription;

use thiserror::Error;

crate::stored_enum! {
    /// Where a payment stands.
    pub enum PaymentStatus {
        Pending = "PENDING",
        Completed = "COMPLETED",
        Failed = "FAILED",
        Refunded = "REFUNDED",
        PartiallyRefunded = "PARTIALLY_REFUNDED",
        Cancelled = "CANCELLED",
    }
}

crate::stored_enum! {
    /// What a payment buys.
    pub enum PurposeKind {
        Course = "COURSE",
        Subscription = "SUBSCRIPTION",
    }
}

crate::stored_enum! {
    /// Who takes the money.
    pub enum ProviderKind {
        /// Invoice or bank transfer, marked paid by staff.
        Manual = "MANUAL",
        /// Stripe or a Stripe-compatible API.
        Stripe = "STRIPE",
    }
}

crate::stored_enum! {
    pub enum RefundStatus {
        Pending = "PENDING",
        Succeeded = "SUCCEEDED",
        Failed = "FAILED",
    }
}

crate::stored_enum! {
    pub enum PayoutStatus {
        Pending = "PENDING",
        Paid = "PAID",
        Failed = "FAILED",
    }
}

crate::stored_enum! {
    pub enum PayoutMethod {
        BankTransfer = "BANK_TRANSFER",
        Stripe = "STRIPE",
        Other = "OTHER",
    }
}

/// Why a money rule said no.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MoneyError {
    #[error("must be a positive amount in minor units (cents)")]
    NotPositive,
    #[error("must be at most {max} minor units")]
    TooLarge { max: i64 },
    #[error("must be a three-letter ISO 4217 currency code (e.g. EUR)")]
    BadCurrency,
    #[error("a {from} payment cannot become {to}")]
    Transition {
        from: PaymentStatus,
        to: PaymentStatus,
    },
    #[error("only a completed payment can be refunded")]
    NotRefundable,
    #[error("the refund exceeds what is left to refund ({left} minor units)")]
    RefundTooLarge { left: i64 },
    #[error("the payout exceeds the payee's unpaid balance ({balance} minor units)")]
    PayoutTooLarge { balance: i64 },
    #[error("the share must be from 0 to 100 percent")]
    BadShare,
}

/// The largest amount accepted in one payment, refund or payout (10^12
/// minor units: sums of many stay far from `i64::MAX`).
pub const MAX_AMOUNT: i64 = 1_000_000_000_000;

/// A positive amount in minor units, at most [`MAX_AMOUNT`].
pub fn check_amount(amount: i64) -> Result<i64, MoneyError> {
    if amount <= 0 {
        Err(MoneyError::NotPositive)
    } else if amount > MAX_AMOUNT {
        Err(MoneyError::TooLarge { max: MAX_AMOUNT })
    } else {
        Ok(amount)
    }
}

/// An ISO 4217 code: three ASCII letters, kept upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency(String);

impl Currency {
    /// Accepts `eur` or `EUR` (Stripe writes lower case); anything but three
    /// ASCII letters is refused.
    pub fn parse(code: &str) -> Result<Currency, MoneyError> {
        let c = code.trim();
        if c.len() == 3 && c.bytes().all(|b| b.is_ascii_alphabetic()) {
            Ok(Currency(c.to_ascii_uppercase()))
        } else {
            Err(MoneyError::BadCurrency)
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Currency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl PaymentStatus {
    /// How far along the life of a payment a status is; a status never moves
    /// to a lower rank (an out-of-order webhook cannot undo a completion).
    fn rank(self) -> u8 {
        match self {
            PaymentStatus::Pending => 0,
            PaymentStatus::Failed => 1,
            PaymentStatus::Cancelled => 2,
            PaymentStatus::Completed => 3,
            PaymentStatus::PartiallyRefunded => 4,
            PaymentStatus::Refunded => 5,
        }
    }

    /// Whether a payment in `self` may become `to`. Pending may complete,
    /// fail or be cancelled; a failed payment may still complete (the payer
    /// retried with another card) or be cancelled; a completed one may only
    /// be refunded, partly then wholly. Cancelled and refunded are final.
    /// Staying in the same status is not a move (see [`Self::advance`]).
    pub fn may_become(self, to: PaymentStatus) -> bool {
        use PaymentStatus::*;
        matches!(
            (self, to),
            (Pending, Completed | Failed | Cancelled)
                | (Failed, Completed | Cancelled)
                | (Completed, PartiallyRefunded | Refunded)
                | (PartiallyRefunded, Refunded)
        )
    }

    /// The move to `to`: `Ok(Some(to))` to apply, `Ok(None)` when there is
    /// nothing to do (already there, or `to` is behind: a late or replayed
    /// event), `Err` when staff asked for something the rules forbid.
    pub fn advance(self, to: PaymentStatus) -> Result<Option<PaymentStatus>, MoneyError> {
        if self == to || to.rank() < self.rank() && !self.may_become(to) {
            Ok(None)
        } else if self.may_become(to) {
            Ok(Some(to))
        } else {
            Err(MoneyError::Transition { from: self, to })
        }
    }

    /// Counts toward revenue and payee balances (money was taken).
    pub fn is_paid(self) -> bool {
        matches!(
            self,
            PaymentStatus::Completed | PaymentStatus::PartiallyRefunded | PaymentStatus::Refunded
        )
    }
}

/// A refund of `requested` (the whole rest when `None`) on a payment of
/// `paid` in `status` of which `refunded` was already refunded: the amount
/// to refund and the payment's status after it. Never more than is left.
pub fn refund_outcome(
    status: PaymentStatus,
    paid: i64,
    refunded: i64,
    requested: Option<i64>,
) -> Result<(i64, PaymentStatus), MoneyError> {
    if !matches!(
        status,
        PaymentStatus::Completed | PaymentStatus::PartiallyRefunded
    ) {
        return Err(MoneyError::NotRefundable);
    }
    let left = paid.saturating_sub(refunded).max(0);
    let amount = match requested {
        None => left,
        Some(a) => check_amount(a)?,
    };
    if amount == 0 || amount > left {
        return Err(MoneyError::RefundTooLarge { left });
    }
    let after = if refunded + amount == paid {
        PaymentStatus::Refunded
    } else {
        PaymentStatus::PartiallyRefunded
    };
    Ok((amount, after))
}

/// The status a payment's refunded total implies (for a provider's refund
/// event, which reports the total refunded so far).
pub fn status_after_refunds(paid: i64, refunded: i64) -> PaymentStatus {
    if refunded <= 0 {
        PaymentStatus::Completed
    } else if refunded >= paid {
        PaymentStatus::Refunded
    } else {
        PaymentStatus::PartiallyRefunded
    }
}

/// A payee's share in percent (0..=100).
pub fn check_share(percent: u8) -> Result<u8, MoneyError> {
    if percent <= 100 {
        Ok(percent)
    } else {
        Err(MoneyError::BadShare)
    }
}

/// The payee's share of what a payment kept (`paid - refunded`), rounded
/// down to the minor unit (the platform keeps the fraction).
pub fn payee_share(paid: i64, refunded: i64, percent: u8) -> i64 {
    let net = i128::from(paid.saturating_sub(refunded).max(0));
    let share = net * i128::from(percent.min(100)) / 100;
    i64::try_from(share).unwrap_or(i64::MAX)
}

/// What a payee may still be paid: their shares minus the payouts not failed.
pub fn unpaid_balance(shares: i64, payouts: i64) -> i64 {
    shares.saturating_sub(payouts)
}

/// A payout of `amount` against an unpaid `balance`.
pub fn check_payout(amount: i64, balance: i64) -> Result<i64, MoneyError> {
    let amount = check_amount(amount)?;
    if amount > balance {
        Err(MoneyError::PayoutTooLarge {
            balance: balance.max(0),
        })
    } else {
        Ok(amount)
    }
}

#[cfg(test)]
mod tests {
    use super::PaymentStatus::*;
    use super::*;

    #[test]
    fn amounts_and_currencies() {
        assert_eq!(check_amount(0), Err(MoneyError::NotPositive));
        assert_eq!(check_amount(-5), Err(MoneyError::NotPositive));
        assert_eq!(check_amount(1), Ok(1));
        assert!(check_amount(MAX_AMOUNT + 1).is_err());
        assert_eq!(
            Currency::parse("eur").map(|c| c.to_string()),
            Ok("EUR".into())
        );
        for bad in ["", "EU", "EURO", "E1R", "€UR"] {
            assert_eq!(Currency::parse(bad), Err(MoneyError::BadCurrency), "{bad}");
        }
    }

    #[test]
    fn a_payment_only_moves_forward() {
        assert_eq!(Pending.advance(Completed), Ok(Some(Completed)));
        assert_eq!(Failed.advance(Completed), Ok(Some(Completed)));
        assert_eq!(Completed.advance(Completed), Ok(None));
        // A late failure or pending event after completion changes nothing.
        assert_eq!(Completed.advance(Failed), Ok(None));
        assert_eq!(Completed.advance(Pending), Ok(None));
        assert_eq!(Refunded.advance(Completed), Ok(None));
        assert_eq!(Refunded.advance(PartiallyRefunded), Ok(None));
        // Forbidden forward moves are errors.
        assert!(Pending.advance(Refunded).is_err());
        assert!(Cancelled.advance(Completed).is_err());
        assert_eq!(Completed.advance(Cancelled), Ok(None));
        assert!(!Completed.may_become(Cancelled));
        for from in PaymentStatus::ALL {
            for to in PaymentStatus::ALL {
                if from.may_become(*to) {
                    assert!(to.rank() > from.rank(), "{from} -> {to} goes back");
                }
            }
        }
        assert!(Refunded.is_paid() && Completed.is_paid() && !Pending.is_paid());
    }

    #[test]
    fn refunds_never_exceed_the_payment() {
        assert_eq!(
            refund_outcome(Completed, 1000, 0, None),
            Ok((1000, Refunded))
        );
        assert_eq!(
            refund_outcome(Completed, 1000, 0, Some(300)),
            Ok((300, PartiallyRefunded))
        );
        assert_eq!(
            refund_outcome(PartiallyRefunded, 1000, 300, Some(700)),
            Ok((700, Refunded))
        );
        assert_eq!(
            refund_outcome(PartiallyRefunded, 1000, 300, Some(701)),
            Err(MoneyError::RefundTooLarge { left: 700 })
        );
        assert_eq!(
            refund_outcome(Pending, 1000, 0, None),
            Err(MoneyError::NotRefundable)
        );
        assert_eq!(
            refund_outcome(Refunded, 1000, 1000, None),
            Err(MoneyError::NotRefundable)
        );
        assert_eq!(
            refund_outcome(Completed, 1000, 0, Some(0)),
            Err(MoneyError::NotPositive)
        );
        assert_eq!(status_after_refunds(1000, 0), Completed);
        assert_eq!(status_after_refunds(1000, 1), PartiallyRefunded);
        assert_eq!(status_after_refunds(1000, 1000), Refunded);
    }

    #[test]
    fn payee_balances() {
        assert_eq!(payee_share(1000, 0, 70), 700);
        assert_eq!(payee_share(999, 0, 70), 699); // 699.3 rounds down
        assert_eq!(payee_share(1000, 400, 70), 420);
        assert_eq!(payee_share(1000, 1000, 70), 0);
        assert_eq!(payee_share(MAX_AMOUNT, 0, 100), MAX_AMOUNT);
        assert_eq!(check_share(101), Err(MoneyError::BadShare));
        let balance = unpaid_balance(700 + 420, 500);
        assert_eq!(balance, 620);
        assert_eq!(check_payout(620, balance), Ok(620));
        assert_eq!(
            check_payout(621, balance),
            Err(MoneyError::PayoutTooLarge { balance: 620 })
        );
        assert_eq!(
            check_payout(1, -3),
            Err(MoneyError::PayoutTooLarge { balance: 0 })
        );
    }
}
