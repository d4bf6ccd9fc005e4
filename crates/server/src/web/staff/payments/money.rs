//! Money on the staff pages: the service's messages in money (the rules of
//! writing and typing amounts are `invigil_domain::payments::money`).

use invigil_domain::payments::money::format_money;

/// A service message about `field` that speaks of minor units: the amount
/// in money instead (the page's inputs are in major units).
pub fn in_money(message: &str, currency: &str) -> String {
    // "... (700 minor units)" -> "... (7.00 EUR)"
    if let Some(start) = message.find('(')
        && let Some(end) = message[start..].find(" minor units)")
        && let Ok(n) = message[start + 1..start + end].parse::<i64>()
    {
        return format!(
            "{}({}){}",
            &message[..start],
            format_money(n, currency),
            &message[start + end + " minor units)".len()..]
        );
    }
    message.to_owned()
}

#[cfg(test)]
mod tests {
    use super::in_money;

    #[test]
    fn service_messages_speak_money() {
        assert_eq!(
            in_money(
                "the refund exceeds what is left to refund (700 minor units)",
                "EUR"
            ),
            "the refund exceeds what is left to refund (7.00 EUR)"
        );
        assert_eq!(in_money("must be set", "EUR"), "must be set");
    }
}
