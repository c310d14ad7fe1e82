//! The check of the `answer-too-large-for-udp` rule (its documentation is in `rules::check`),
//! and the wire-size estimate behind it.

use super::{Context, ZoneView};
use crate::diagnostic::Diagnostic;
use crate::dns::name::Name;
use crate::model::record::{RData, Record};
use crate::rules::check::ANSWER_TOO_LARGE_FOR_UDP as RULE;

/// DNS message header.
const HEADER: usize = 12;
/// QTYPE and QCLASS after the question name.
const QUESTION_FIXED: usize = 4;
/// TYPE, CLASS, TTL and RDLENGTH of a resource record.
const RECORD_FIXED: usize = 10;
/// A compression pointer.
const POINTER: usize = 2;
/// The EDNS OPT pseudo-record without options: root name, TYPE, CLASS, TTL, RDLENGTH.
const OPT_RECORD: usize = 11;
/// Offsets a compression pointer can reach (14 bits).
const MAX_POINTER_OFFSET: usize = 0x3fff;

/// Estimates every RRset's response size; only RRsets whose uncompressed upper bound exceeds the
/// payload are sized exactly, so the common case allocates nothing.
pub(crate) fn check(context: &Context<'_>, view: &ZoneView<'_>, out: &mut Vec<Diagnostic>) {
    let payload = context.limits.udp_payload;
    for rrset in view.rrsets() {
        if upper_bound(rrset) <= payload {
            continue;
        }
        let size = response_size(rrset);
        if size <= payload {
            continue;
        }
        let first = &rrset[0];
        // Point at the record that contributes most (for a uniform SRV set, the first).
        let largest = rrset
            .iter()
            .rev()
            .max_by_key(|record| uncompressed_data_length(&record.data))
            .unwrap_or(first);
        out.push(
            Diagnostic::warning(
                RULE,
                Some(largest.provenance.span),
                format!(
                    "the answer to `{} {}` ({} records) is {size} octets; it does not fit a {payload}-octet UDP response, so clients must retry over TCP",
                    first.name,
                    first.record_type(),
                    rrset.len()
                ),
            )
            .with_hint(
                "publish fewer records per name (split the set), use shorter target names, or make sure every client can use TCP",
            ),
        );
    }
}

/// The size of a response to a query for the RRset's name and type, as described on [`RULE`].
pub(crate) fn response_size(rrset: &[Record]) -> usize {
    let Some(first) = rrset.first() else {
        return HEADER + OPT_RECORD;
    };
    let mut compression = Compression::default();
    let mut size = HEADER;
    size += compression.write(&first.name, size, true);
    size += QUESTION_FIXED;
    for record in rrset {
        // The owner equals the question name, so it is always a pointer.
        size += compression.write(&record.name, size, true);
        size += RECORD_FIXED;
        let data_start = size;
        size += match &record.data {
            RData::A(_) => 4,
            RData::Aaaa(_) => 16,
            RData::Ns(name) | RData::Cname(name) | RData::Ptr(name) => {
                compression.write(name, data_start, true)
            }
            RData::Mx { exchange, .. } => 2 + compression.write(exchange, data_start + 2, true),
            RData::Srv { target, .. } => 6 + compression.write(target, data_start + 6, false),
            RData::Soa(soa) => {
                let primary = compression.write(&soa.primary, data_start, true);
                primary + compression.write(&soa.contact, data_start + primary, true) + 20
            }
            RData::Txt(_) | RData::Caa(_) => uncompressed_data_length(&record.data),
        };
    }
    size + OPT_RECORD
}

/// Header, question, every record uncompressed (owner as a pointer) and OPT: never less than
/// [`response_size`].
fn upper_bound(rrset: &[Record]) -> usize {
    let Some(first) = rrset.first() else {
        return HEADER + OPT_RECORD;
    };
    let records: usize = rrset
        .iter()
        .map(|record| POINTER + RECORD_FIXED + uncompressed_data_length(&record.data))
        .sum();
    HEADER + first.name.wire_length() + QUESTION_FIXED + records + OPT_RECORD
}

fn uncompressed_data_length(data: &RData) -> usize {
    match data {
        RData::A(_) => 4,
        RData::Aaaa(_) => 16,
        RData::Ns(name) | RData::Cname(name) | RData::Ptr(name) => name.wire_length(),
        RData::Mx { exchange, .. } => 2 + exchange.wire_length(),
        RData::Srv { target, .. } => 6 + target.wire_length(),
        RData::Soa(soa) => soa.primary.wire_length() + soa.contact.wire_length() + 20,
        // An empty TXT still carries one empty character-string.
        RData::Txt(strings) => strings
            .iter()
            .map(|string| 1 + string.len())
            .sum::<usize>()
            .max(1),
        RData::Caa(caa) => 2 + caa.tag.len() + caa.value.len(),
    }
}

/// The names a message holds so far, as (name, labels skipped) suffixes with their offsets.
#[derive(Default)]
struct Compression<'a> {
    suffixes: Vec<(&'a Name, usize, usize)>,
}

impl<'a> Compression<'a> {
    /// Writes `name` at `offset` and returns its encoded length: the labels up to the longest
    /// suffix already in the message plus a pointer, or the whole name when nothing matches or
    /// compression is not allowed. Every new suffix within pointer reach is remembered.
    fn write(&mut self, name: &'a Name, offset: usize, compress: bool) -> usize {
        let count = name.label_count();
        let matched = if compress {
            (0..count).find(|&skip| {
                self.suffixes.iter().any(|&(known, known_skip, _)| {
                    known.label_count() - known_skip == count - skip
                        && known.labels().skip(known_skip).eq(name.labels().skip(skip))
                })
            })
        } else {
            None
        };
        let new_labels = matched.unwrap_or(count);
        let mut position = offset;
        let mut length = 0;
        for (skip, label) in name.labels().enumerate().take(new_labels) {
            if position <= MAX_POINTER_OFFSET {
                self.suffixes.push((name, skip, position));
            }
            position += 1 + label.len();
            length += 1 + label.len();
        }
        length + if matched.is_some() { POINTER } else { 1 }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use hickory_proto::op::{Edns, Message, OpCode, Query};
    use hickory_proto::rr::{self as hickory, rdata};
    use std::str::FromStr;

    /// The same RRset serialised by hickory-proto, an independent encoder with name compression.
    fn hickory_size(rrset: &[Record]) -> usize {
        let name = |name: &Name| hickory::Name::from_str(&name.to_string()).unwrap();
        let mut message = Message::response(1, OpCode::Query);
        let query_type = hickory::RecordType::from(rrset[0].record_type().code());
        message.add_query(Query::query(name(&rrset[0].name), query_type));
        for record in rrset {
            let data = match &record.data {
                RData::A(address) => hickory::RData::A(rdata::A(*address)),
                RData::Aaaa(address) => hickory::RData::AAAA(rdata::AAAA(*address)),
                RData::Ns(target) => hickory::RData::NS(rdata::NS(name(target))),
                RData::Cname(target) => hickory::RData::CNAME(rdata::CNAME(name(target))),
                RData::Mx {
                    preference,
                    exchange,
                } => hickory::RData::MX(rdata::MX::new(*preference, name(exchange))),
                RData::Srv {
                    priority,
                    weight,
                    port,
                    target,
                } => hickory::RData::SRV(rdata::SRV::new(*priority, *weight, *port, name(target))),
                RData::Txt(strings) => hickory::RData::TXT(rdata::TXT::new(
                    strings
                        .iter()
                        .map(|s| String::from_utf8(s.to_vec()).unwrap())
                        .collect(),
                )),
                other => panic!("not needed here: {other:?}"),
            };
            message.add_answer(hickory::Record::from_rdata(
                name(&record.name),
                record.ttl,
                data,
            ));
        }
        let mut edns = Edns::new();
        edns.set_max_payload(1232);
        message.set_edns(edns);
        message.to_vec().unwrap().len()
    }

    fn sizes(lines: &[String]) -> (usize, usize, usize) {
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        let zones = zone_set(&lines);
        let rrset = zones.zones[0].rrsets().next().unwrap();
        (
            response_size(rrset),
            hickory_size(rrset),
            upper_bound(rrset),
        )
    }

    #[test]
    fn the_estimate_matches_an_independent_encoder_for_every_kind_of_data() {
        let cases: Vec<Vec<String>> = vec![
            (1..=3)
                .map(|i| format!("example.net. 300 NS ns{i}.example.net."))
                .collect(),
            (1..=30)
                .map(|i| format!("_playlist._tcp.ash.example.net. 300 SRV 10 10 8080 playlist-{i}.ash.example.net."))
                .collect(),
            (1..=5)
                .map(|i| format!("example.net. 300 MX {i} mx{i}.mail.example.org."))
                .collect(),
            (1..=20)
                .map(|i| format!("pool.example.net. 300 A 192.0.2.{i}"))
                .collect(),
            (1..=20)
                .map(|i| format!("pool.example.net. 300 AAAA 2001:db8::{i}"))
                .collect(),
            vec!["www.example.net. 300 CNAME edge.lon.example.net.".to_owned()],
            vec!["example.net. 300 TXT v=spf1 -all".to_owned()],
        ];
        for lines in cases {
            let (estimate, encoded, bound) = sizes(&lines);
            assert_eq!(estimate, encoded, "{}", lines[0]);
            assert!(bound >= estimate, "{}", lines[0]);
        }
    }

    #[test]
    fn small_answers_pass() {
        let lines: Vec<String> = (1..=20)
            .map(|i| {
                format!("_web._tcp.ams.example.net. 300 SRV 10 10 443 web{i}.ams.example.net.")
            })
            .collect();
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        assert_eq!(check_zones(check, &zone_set(&lines)), "");
    }

    #[test]
    fn an_srv_rrset_over_1232_octets_is_reported_with_its_size() {
        let lines: Vec<String> = (1..=40)
            .map(|i| format!("_playlist._tcp.ash.example.net. 300 SRV 10 10 8080 playlist-backend-{i}.ash.example.net."))
            .collect();
        let (estimate, encoded, _) = sizes(&lines);
        assert_eq!(estimate, encoded);
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        insta::assert_snapshot!(check_zones(check, &zone_set(&lines)), @"
        test.yaml:10:1: warning[answer-too-large-for-udp]: the answer to `_playlist._tcp.ash.example.net. SRV` (40 records) is 2250 octets; it does not fit a 1232-octet UDP response, so clients must retry over TCP
          hint: publish fewer records per name (split the set), use shorter target names, or make sure every client can use TCP
        ");
    }
}
