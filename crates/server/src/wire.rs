//! Stored enum names: domain enums serialize to their wire names
//! (`IN_PROGRESS`, `MEDIUM` ...), and the database keeps those names.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// The wire name of a unit enum variant.
pub fn name<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// Parses a wire name back into the enum.
pub fn parse<T: DeserializeOwned>(s: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
}

#[cfg(test)]
mod tests {
    use invigil_domain::delivery::session::DeliveryStatus;
    use invigil_domain::exams::{ExamStatus, Sensitivity};

    #[test]
    fn round_trips() {
        assert_eq!(super::name(&ExamStatus::Active), "ACTIVE");
        assert_eq!(
            super::parse::<ExamStatus>("SCHEDULED"),
            Some(ExamStatus::Scheduled)
        );
        assert_eq!(
            super::name(&DeliveryStatus::AutoSubmitted),
            "AUTO_SUBMITTED"
        );
        assert_eq!(super::parse::<Sensitivity>("HIGH"), Some(Sensitivity::High));
        assert_eq!(super::parse::<Sensitivity>("nope"), None);
    }
}
