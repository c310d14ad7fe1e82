//! Record data in master-file presentation form (RFC 1035 section 5.1), the one text form of
//! [`RData`]: the renderer writes zone files with it, and check findings, assertion reports and
//! diffs quote records with it, so a record reads the same everywhere.
//!
//! Pure: no IO, no clock.

use std::fmt::Write as _;

use crate::model::record::RData;

/// Decimal digits of `value`, without the formatting machinery (this runs per record).
pub fn push_number(value: u32, out: &mut String) {
    let mut digits = [0u8; 10];
    let mut index = digits.len();
    let mut rest = value;
    loop {
        index -= 1;
        digits[index] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out.extend(digits[index..].iter().map(|&digit| char::from(digit)));
}

/// Writes record data in master-file presentation form (an SOA with serial 0: the model has
/// none).
pub fn write_rdata(data: &RData, out: &mut String) {
    write_data(data, 0, out);
}

/// [`write_rdata`], an SOA with `serial`.
pub fn write_data(data: &RData, serial: u32, out: &mut String) {
    match data {
        RData::Soa(soa) => {
            let _ = write!(
                out,
                "{} {} {serial} {} {} {} {}",
                soa.primary, soa.contact, soa.refresh, soa.retry, soa.expire, soa.minimum
            );
        }
        RData::Ns(name) | RData::Cname(name) | RData::Ptr(name) => name.write_absolute(out),
        RData::A(address) => {
            let _ = write!(out, "{address}");
        }
        RData::Aaaa(address) => {
            let _ = write!(out, "{address}");
        }
        RData::Mx {
            preference,
            exchange,
        } => {
            let _ = write!(out, "{preference} ");
            exchange.write_absolute(out);
        }
        RData::Txt(strings) => {
            for (index, string) in strings.iter().enumerate() {
                if index > 0 {
                    out.push(' ');
                }
                write_character_string(string, out);
            }
            if strings.is_empty() {
                out.push_str("\"\"");
            }
        }
        RData::Srv {
            priority,
            weight,
            port,
            target,
        } => {
            let _ = write!(out, "{priority} {weight} {port} ");
            target.write_absolute(out);
        }
        RData::Caa(caa) => {
            push_number(u32::from(caa.flags), out);
            out.push(' ');
            out.push_str(&caa.tag);
            out.push(' ');
            write_character_string(caa.value.as_bytes(), out);
        }
    }
}

/// A quoted `<character-string>` (RFC 1035 section 5.1): `"` and `\` escaped, anything outside
/// printable ASCII as `\DDD`, so the file stays ASCII and parses back to the same octets.
fn write_character_string(bytes: &[u8], out: &mut String) {
    out.push('"');
    for &byte in bytes {
        match byte {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(byte as char);
            }
            0x20..=0x7e => out.push(byte as char),
            _ => {
                let _ = write!(out, "\\{byte:03}");
            }
        }
    }
    out.push('"');
}
