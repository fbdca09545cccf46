//! JSON text written straight into a buffer, with Avro's logical types as people read them:
//! decimals with their scale, timestamps as RFC 3339 in UTC, dates as `YYYY-MM-DD`.
//!
//! A topic sample prints hundreds of thousands of these; going through `format!` or a
//! `serde_json::Value` allocated several times per field and was most of the sampler's time.

/// A JSON string; a plain run of text (the usual case) is copied as it is.
pub(super) fn string(out: &mut Vec<u8>, s: &str) {
    let plain = s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\');
    if plain {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        // Writing into a Vec cannot fail, and a &str always serialises.
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

/// Bytes that must be UTF-8 text as a JSON string; `Err` when they are not UTF-8.
pub(super) fn string_from_bytes(out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), ()> {
    // Plain ASCII (the usual case) is valid UTF-8 needing no escapes: one pass decides both.
    if bytes
        .iter()
        .all(|b| (0x20..0x7f).contains(b) && *b != b'"' && *b != b'\\')
    {
        out.reserve(bytes.len() + 2);
        out.push(b'"');
        out.extend_from_slice(bytes);
        out.push(b'"');
        return Ok(());
    }
    let text = std::str::from_utf8(bytes).map_err(|_| ())?;
    string(out, text);
    Ok(())
}

pub(super) fn integer(out: &mut Vec<u8>, n: i64) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// Bytes as a quoted lowercase hex string.
pub(super) fn hex_string(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'"');
    hex_digits(out, bytes);
    out.push(b'"');
}

pub(super) fn hex_digits(out: &mut Vec<u8>, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.reserve(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)]);
        out.push(DIGITS[usize::from(b & 0x0f)]);
    }
}

/// An unscaled big-endian two's-complement integer with `scale` digits after the point, quoted
/// so that no JSON reader rounds it (`"-19.99"`); wider than 128 bits it is shown as hex.
pub(super) fn decimal(out: &mut Vec<u8>, bytes: &[u8], scale: usize) {
    out.push(b'"');
    if bytes.len() > 16 {
        out.extend_from_slice(b"0x");
        hex_digits(out, bytes);
        out.push(b'"');
        return;
    }
    let negative = bytes.first().is_some_and(|b| b & 0x80 != 0);
    let mut wide = [if negative { 0xff } else { 0 }; 16];
    wide[16 - bytes.len()..].copy_from_slice(bytes);
    let n = i128::from_be_bytes(wide);
    let mut digits = itoa::Buffer::new();
    // 64-bit digits are much quicker to produce, and almost every amount fits.
    let digits = match u64::try_from(n.unsigned_abs()) {
        Ok(small) => digits.format(small).as_bytes(),
        Err(_) => digits.format(n.unsigned_abs()).as_bytes(),
    };
    if n < 0 {
        out.push(b'-');
    }
    if scale == 0 {
        out.extend_from_slice(digits);
    } else {
        // At least one digit before the point: 1 with scale 3 reads 0.001.
        let zeros = (scale + 1).saturating_sub(digits.len());
        let padded_len = digits.len() + zeros;
        let point_at = padded_len - scale;
        for i in 0..padded_len {
            if i == point_at {
                out.push(b'.');
            }
            out.push(if i < zeros { b'0' } else { digits[i - zeros] });
        }
    }
    out.push(b'"');
}

/// The civil date of a day count since 1970-01-01 (proleptic Gregorian; H. Hinnant's method).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Years a four-digit RFC 3339 date can show.
const YEARS: std::ops::RangeInclusive<i64> = 1..=9999;

fn padded(out: &mut Vec<u8>, n: u64, width: usize) {
    let mut buf = itoa::Buffer::new();
    let digits = buf.format(n).as_bytes();
    out.extend(std::iter::repeat_n(
        b'0',
        width.saturating_sub(digits.len()),
    ));
    out.extend_from_slice(digits);
}

/// `HH:MM:SS.fff…` for a time of day in seconds plus a fraction `frac_width` digits wide.
fn clock_digits(out: &mut Vec<u8>, secs_in_day: u64, frac: u64, frac_width: usize) {
    padded(out, secs_in_day / 3600, 2);
    out.push(b':');
    padded(out, secs_in_day / 60 % 60, 2);
    out.push(b':');
    padded(out, secs_in_day % 60, 2);
    out.push(b'.');
    padded(out, frac, frac_width);
}

fn date_digits(out: &mut Vec<u8>, (year, month, day): (i64, u32, u32)) {
    padded(out, year.unsigned_abs(), 4);
    out.push(b'-');
    padded(out, u64::from(month), 2);
    out.push(b'-');
    padded(out, u64::from(day), 2);
}

/// Microseconds since the epoch as `"2023-11-14T22:13:20.123456Z"`; outside years 1–9999 the
/// plain number, which no date could show.
pub(super) fn timestamp_micros(out: &mut Vec<u8>, micros: i64) {
    let secs = micros.div_euclid(1_000_000);
    let sub = micros.rem_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let in_day = secs.rem_euclid(86_400);
    let date = civil(days);
    if !YEARS.contains(&date.0) {
        integer(out, micros);
        return;
    }
    out.push(b'"');
    date_digits(out, date);
    out.push(b'T');
    clock_digits(out, in_day as u64, sub as u64, 6);
    out.extend_from_slice(b"Z\"");
}

/// Days since the epoch as `"2023-11-14"`; outside years 1–9999 the plain number.
pub(super) fn date(out: &mut Vec<u8>, days: i64) {
    let date = civil(days);
    if !YEARS.contains(&date.0) {
        integer(out, days);
        return;
    }
    out.push(b'"');
    date_digits(out, date);
    out.push(b'"');
}

/// Milliseconds after midnight as `"01:02:03.004"`; anything outside a day the plain number.
pub(super) fn time_millis(out: &mut Vec<u8>, ms: i64) {
    if !(0..86_400_000).contains(&ms) {
        integer(out, ms);
        return;
    }
    let ms = ms as u64;
    out.push(b'"');
    clock_digits(out, ms / 1000, ms % 1000, 3);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(write: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        write(&mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn decimals_keep_their_scale_and_sign() {
        let d = |n: i64, scale| text(|o| decimal(o, &n.to_be_bytes(), scale));
        assert_eq!(d(1, 3), r#""0.001""#);
        assert_eq!(d(-1999, 2), r#""-19.99""#);
        assert_eq!(d(1050, 2), r#""10.50""#);
        assert_eq!(d(0, 2), r#""0.00""#);
        assert_eq!(d(42, 0), r#""42""#);
        assert_eq!(d(-5, 1), r#""-0.5""#);
        assert_eq!(text(|o| decimal(o, &[0x80], 0)), r#""-128""#);
        assert_eq!(text(|o| decimal(o, &[], 2)), r#""0.00""#);
        assert_eq!(
            text(|o| decimal(o, &[1; 17], 0)),
            format!("\"0x{}\"", "01".repeat(17))
        );
    }

    #[test]
    fn times_read_as_rfc_3339_in_utc_and_impossible_years_stay_numbers() {
        assert_eq!(
            text(|o| timestamp_micros(o, 1_700_000_000_123_456)),
            r#""2023-11-14T22:13:20.123456Z""#
        );
        assert_eq!(
            text(|o| timestamp_micros(o, 0)),
            r#""1970-01-01T00:00:00.000000Z""#
        );
        // Before the epoch: a birthday in 1965, one microsecond before 1970.
        assert_eq!(
            text(|o| timestamp_micros(o, -1)),
            r#""1969-12-31T23:59:59.999999Z""#
        );
        assert_eq!(text(|o| date(o, -1826)), r#""1965-01-01""#);
        assert_eq!(text(|o| date(o, 19_675)), r#""2023-11-14""#);
        assert_eq!(text(|o| date(o, 11_016)), r#""2000-02-29""#);
        assert_eq!(text(|o| date(o, 10_000_000)), "10000000");
        assert_eq!(
            text(|o| timestamp_micros(o, i64::MIN)),
            i64::MIN.to_string()
        );
        assert_eq!(text(|o| time_millis(o, 3_723_004)), r#""01:02:03.004""#);
        assert_eq!(text(|o| time_millis(o, -1)), "-1");
    }

    #[test]
    fn strings_are_escaped_only_when_they_need_it() {
        assert_eq!(text(|o| string(o, "Müller GmbH")), r#""Müller GmbH""#);
        assert_eq!(text(|o| string(o, "a\"b\\c\nd")), r#""a\"b\\c\nd""#);
        assert_eq!(text(|o| hex_string(o, &[0xca, 0xfe])), r#""cafe""#);
        assert_eq!(text(|o| integer(o, -42)), "-42");
    }
}
