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

#[cfg(test)]
mod tests {
    #[test]
    fn timestamps_are_fixed_width_utc_with_millis() {
        let t = super::format(time::macros::datetime!(2026-01-02 03:04:05.006789 +2));
        assert_eq!(t, "2026-01-02T01:04:05.006Z");
        assert_eq!(super::now().len(), t.len());
    }
}
