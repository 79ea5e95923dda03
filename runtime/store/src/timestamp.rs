//! Times as the store keeps them: UTC, RFC 3339, millisecond precision. Truncating to
//! milliseconds before handing a time out means the value an appender gets back equals the
//! one a later reader decodes from the text column.

use chrono::{DateTime, SecondsFormat, Utc};

/// The current time, truncated to what the database can hold.
pub(crate) fn now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
}

pub(crate) fn format(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub(crate) fn parse(text: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    DateTime::parse_from_rfc3339(text).map(|at| at.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatted_times_have_millis_and_a_z_suffix() {
        let at = DateTime::from_timestamp_millis(1_795_000_000_123).unwrap();
        assert_eq!(format(at), "2026-11-18T11:06:40.123Z");
    }

    #[test]
    fn now_survives_a_round_trip_through_text_unchanged() {
        let at = now();
        assert_eq!(parse(&format(at)).unwrap(), at);
    }
}
