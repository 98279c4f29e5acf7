//! Timestamps as stored: RFC 3339 UTC with milliseconds, fixed width, so that
//! text order is time order on both engines.

use time::format_description::FormatItem;
use time::macros::format_description;
use time::OffsetDateTime;

const FORMAT: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

pub fn format(at: OffsetDateTime) -> String {
    let utc = at.to_offset(time::UtcOffset::UTC);
    // The format has no fallible parts for a valid date-time in years 0..=9999.
    utc.format(FORMAT)
        .unwrap_or_else(|_| "1970-01-01T00:00:00.000Z".to_string())
}

pub fn now() -> String {
    format(OffsetDateTime::now_utc())
}

/// Now as unix milliseconds (session validity marks).
pub fn now_millis() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// Now, or a millisecond after `previous` when the clock has not passed it:
/// a version stamp that always changes (a lost-update check stays sound for
/// two changes within one millisecond).
pub fn after(previous: &str) -> String {
    let now = OffsetDateTime::now_utc();
    let earlier = time::PrimitiveDateTime::parse(previous, FORMAT)
        .map(|t| t.assume_utc())
        .ok();
    match earlier {
        Some(t) if t >= now => format(t + time::Duration::milliseconds(1)),
        _ => format(now),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamps_are_fixed_width_utc_with_millis() {
        let t = super::format(time::macros::datetime!(2026-01-02 03:04:05.006789 +2));
        assert_eq!(t, "2026-01-02T01:04:05.006Z");
        assert_eq!(super::now().len(), t.len());
    }

    #[test]
    fn a_version_stamp_always_moves_forward() {
        let future = "2999-01-01T00:00:00.999Z";
        assert_eq!(super::after(future), "2999-01-01T00:00:01.000Z");
        let past = "2001-01-01T00:00:00.000Z";
        assert!(super::after(past).as_str() > past);
        assert!(super::after("garbage").len() == past.len());
    }
}
