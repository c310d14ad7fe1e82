//! SOA serial numbers: RFC 1982 serial-number arithmetic and the serial policies.
//!
//! Pure: the current time comes in as an argument ([`Clock`]); only `main` reads the real clock
//! (or `SOURCE_DATE_EPOCH`, for reproducible runs).

use crate::inventory::SerialPolicy;

/// The moment a run happens, read once by `main`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clock {
    /// Seconds since the Unix epoch (UTC).
    pub unix_seconds: u64,
}

impl Clock {
    /// Today's date as the number `YYYYMMDD` (UTC).
    pub fn date_number(self) -> u32 {
        let (year, month, day) = civil_from_days(self.unix_seconds / 86_400);
        // Years past 429496 do not fit; saturate rather than wrap.
        u32::try_from(year)
            .unwrap_or(u32::MAX / 10_000)
            .saturating_mul(10_000)
            + month * 100
            + day
    }
}

/// RFC 1982 section 3.2: `a` is greater than `b` in serial-number arithmetic (SERIAL_BITS 32).
///
/// Undefined pairs (exactly 2^31 apart) are treated as "not greater", the safe answer: a
/// secondary might not take such a serial as newer.
pub fn is_greater(a: u32, b: u32) -> bool {
    a != b && a.wrapping_sub(b) < (1 << 31)
}

/// The serial for a zone whose content changed.
///
/// The policy's preferred value (date `YYYYMMDD00`, Unix time, or previous + 1) is used when it is
/// greater than `previous` in RFC 1982 arithmetic; otherwise `previous + 1` (wrapping), so the
/// serial always moves forward even when several changes land on one day (more than 99) or the
/// clock is behind.
pub fn next(previous: Option<u32>, policy: SerialPolicy, clock: Clock) -> u32 {
    let preferred = match policy {
        SerialPolicy::Date => clock.date_number().saturating_mul(100),
        // Unix time past 2106 no longer fits; wrapping keeps RFC 1982 ordering meaningful.
        SerialPolicy::Unixtime => clock.unix_seconds as u32,
        SerialPolicy::Counter => previous.map_or(1, |serial| serial.wrapping_add(1)),
    };
    match previous {
        None => preferred,
        Some(previous) if is_greater(preferred, previous) => preferred,
        Some(previous) => previous.wrapping_add(1),
    }
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar
/// (Howard Hinnant's `civil_from_days`, restricted to dates after the epoch so it stays unsigned).
fn civil_from_days(days: u64) -> (u64, u32, u32) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    // Both are small by construction: day 1..=31, month 1..=12.
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NOV_25_2026: Clock = Clock {
        unix_seconds: 1_795_564_800,
    };

    #[test]
    fn dates_are_computed_in_utc() {
        assert_eq!(Clock { unix_seconds: 0 }.date_number(), 19_700_101);
        assert_eq!(NOV_25_2026.date_number(), 20_261_125);
        assert_eq!(
            Clock {
                unix_seconds: 951_782_400
            }
            .date_number(),
            20_000_229,
            "leap day"
        );
    }

    #[test]
    fn date_policy_starts_at_today_and_counts_within_a_day() {
        assert_eq!(next(None, SerialPolicy::Date, NOV_25_2026), 2_026_112_500);
        assert_eq!(
            next(Some(2_026_112_500), SerialPolicy::Date, NOV_25_2026),
            2_026_112_501
        );
        assert_eq!(
            next(Some(2_026_010_107), SerialPolicy::Date, NOV_25_2026),
            2_026_112_500
        );
        // A serial already "in the future" (a counter-style serial) keeps counting.
        assert_eq!(
            next(Some(2_030_000_000), SerialPolicy::Date, NOV_25_2026),
            2_030_000_001
        );
    }

    #[test]
    fn counter_and_unixtime_policies() {
        assert_eq!(next(None, SerialPolicy::Counter, NOV_25_2026), 1);
        assert_eq!(next(Some(41), SerialPolicy::Counter, NOV_25_2026), 42);
        assert_eq!(
            next(Some(u32::MAX), SerialPolicy::Counter, NOV_25_2026),
            0,
            "wraps per RFC 1982"
        );
        assert_eq!(
            next(None, SerialPolicy::Unixtime, NOV_25_2026),
            1_795_564_800
        );
        assert_eq!(
            next(Some(1_795_564_800), SerialPolicy::Unixtime, NOV_25_2026),
            1_795_564_801
        );
    }

    #[test]
    fn rfc_1982_comparison() {
        assert!(is_greater(1, 0));
        assert!(is_greater(0, u32::MAX), "wrap-around");
        assert!(!is_greater(5, 5));
        assert!(!is_greater(1 << 31, 0), "undefined pair is not greater");
        assert!(
            !is_greater(0, 1 << 31),
            "undefined pair is not greater either way"
        );
    }

    proptest! {
        #[test]
        fn next_serial_is_always_greater(previous: u32, unix_seconds in 0u64..4_102_444_800, policy in 0..3u8) {
            let policy = [SerialPolicy::Date, SerialPolicy::Counter, SerialPolicy::Unixtime][policy as usize];
            let serial = next(Some(previous), policy, Clock { unix_seconds });
            prop_assert!(is_greater(serial, previous), "{serial} after {previous}");
        }
    }
}
