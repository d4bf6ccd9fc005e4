//! Money as people read and type it: minor units written with the
//! currency's decimals, amounts typed in major units parsed back.

/// Digits after the decimal point of a currency (ISO 4217): none for the
/// yen and friends, three for the dinars, two for the rest.
pub fn exponent(currency: &str) -> u32 {
    const ZERO: [&str; 16] = [
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV",
        "XAF", "XOF", "XPF",
    ];
    const THREE: [&str; 7] = ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];
    let c = currency.to_ascii_uppercase();
    if ZERO.contains(&c.as_str()) {
        0
    } else if THREE.contains(&c.as_str()) {
        3
    } else {
        2
    }
}

/// `1234567` minor units of EUR as `12,345.67 EUR`.
pub fn format_money(minor: i64, currency: &str) -> String {
    let exp = exponent(currency);
    let unit = 10i64.pow(exp);
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let unit = unit.unsigned_abs();
    let major = abs / unit;
    let digits = major.to_string();
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let cur = currency.to_ascii_uppercase();
    if exp == 0 {
        format!("{sign}{grouped} {cur}")
    } else {
        let frac = abs % unit;
        format!("{sign}{grouped}.{frac:0width$} {cur}", width = exp as usize)
    }
}

/// An amount typed in major units (`12`, `12.5`, `12.50`; spaces ignored)
/// as minor units of `currency`; a sentence saying what is wrong otherwise.
pub fn parse_amount(input: &str, currency: &str) -> Result<i64, String> {
    let exp = exponent(currency);
    let t: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    if t.is_empty() {
        return Err("Enter an amount.".into());
    }
    let (whole, frac) = match t.split_once('.') {
        Some((w, f)) => (w, f),
        None => (t.as_str(), ""),
    };
    let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() && frac.is_empty()
        || !digits_only(whole)
        || !digits_only(frac)
        || frac.len() > exp as usize
        || (exp == 0 && t.contains('.'))
    {
        return Err(if exp == 0 {
            format!("Enter a whole number of {currency}, e.g. 1200.")
        } else {
            format!(
                "Enter an amount in {currency} with at most {exp} decimals, e.g. 12.{}.",
                "5".repeat(exp as usize)
            )
        });
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole
            .parse()
            .map_err(|_| "The amount is too large.".to_owned())?
    };
    let frac_val: i64 = if frac.is_empty() {
        0
    } else {
        frac.parse::<i64>().unwrap_or(0) * 10i64.pow(exp - frac.len() as u32)
    };
    let minor = whole
        .checked_mul(10i64.pow(exp))
        .and_then(|w| w.checked_add(frac_val))
        .ok_or_else(|| "The amount is too large.".to_owned())?;
    if minor <= 0 {
        return Err("The amount must be more than zero.".into());
    }
    Ok(minor)
}

/// A minor-unit amount as the form shows it again (`12.50`).
pub fn major_input(minor: i64, currency: &str) -> String {
    let exp = exponent(currency);
    if exp == 0 {
        return minor.to_string();
    }
    let unit = 10i64.pow(exp);
    format!(
        "{}.{:0width$}",
        minor / unit,
        (minor % unit).abs(),
        width = exp as usize
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_written_with_the_currencys_decimals() {
        assert_eq!(format_money(1050, "EUR"), "10.50 EUR");
        assert_eq!(format_money(123_456_789, "usd"), "1,234,567.89 USD");
        assert_eq!(format_money(5, "EUR"), "0.05 EUR");
        assert_eq!(format_money(1200, "JPY"), "1,200 JPY");
        assert_eq!(format_money(1234, "KWD"), "1.234 KWD");
        assert_eq!(format_money(-250, "EUR"), "-2.50 EUR");
        assert_eq!(exponent("jpy"), 0);
        assert_eq!(major_input(300, "EUR"), "3.00");
        assert_eq!(major_input(300, "JPY"), "300");
        assert_eq!(
            format_money(i64::MIN, "USD"),
            "-92,233,720,368,547,758.08 USD"
        );
    }

    #[test]
    fn typed_amounts_become_minor_units_or_a_reason() {
        assert_eq!(parse_amount("12", "EUR"), Ok(1200));
        assert_eq!(parse_amount(" 12.5 ", "EUR"), Ok(1250));
        assert_eq!(parse_amount("0.07", "EUR"), Ok(7));
        assert_eq!(parse_amount(".5", "EUR"), Ok(50));
        assert_eq!(parse_amount("1 200", "JPY"), Ok(1200));
        assert_eq!(parse_amount("1.234", "KWD"), Ok(1234));
        for bad in ["", "abc", "1.234", "-5", "1,5", "1.2.3", ".", "0", "0.00"] {
            assert!(parse_amount(bad, "EUR").is_err(), "{bad}");
        }
        assert!(parse_amount("12.5", "JPY").is_err());
        assert!(parse_amount("99999999999999999999", "EUR").is_err());
    }
}
