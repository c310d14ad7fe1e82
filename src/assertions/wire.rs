//! DNS responses decoded straight into the model (RFC 1035 section 4.1), for the live backend.
//!
//! Why not hickory-proto's `Message` decoding, which the live backend used at first: at a
//! million records two thirds of the backend's CPU went into decoding answers into hickory's
//! types and then converting every name and record again into the model's (an SRV answer of 47
//! targets carries 141 records; BENCHMARKS.md has the profile). This decoder makes one pass: each
//! name is read once, straight into a [`Name`], a name that a compression pointer repeats is
//! shared rather than rebuilt, and types the model lacks are stepped over by their length.
//! hickory-proto still builds the queries; `tests` below check this decoder against hickory's
//! on every record type the model has, and the `dns_response` fuzz target compares the two on
//! arbitrary bytes.
//!
//! What is refused, as hickory refuses it: a name longer than 255 octets, a label type other
//! than a length or a pointer (RFC 6891 section 5), a pointer that does not point strictly
//! backwards (which also rules out loops), RDATA whose length does not fit its type, and any
//! section that runs past the end of the message.

use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::resolver::{Answer, Rcode, ResponseRecord};
use crate::dns::name::{Name, NameError};
use crate::dns::record_type::RecordType;
use crate::model::record::{Caa, RData, Soa};

/// The fixed header of a DNS message.
const HEADER_LENGTH: usize = 12;
/// The longest name on the wire (RFC 1035 section 2.3.4).
const MAX_NAME_LENGTH: usize = 255;
/// The EDNS(0) pseudo-record type (RFC 6891).
const OPT: u16 = 41;

/// Why a message could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The bytes are not a well-formed DNS message.
    #[error("at octet {offset}: {problem}")]
    Format {
        /// Where the problem is, from the start of the message.
        offset: usize,
        /// What is wrong.
        problem: &'static str,
    },
    /// A record the model could hold has an owner name it cannot (e.g. a label with a space).
    #[error("owner name `{name}` cannot be represented: {error}")]
    Owner {
        /// The name as text, escaped.
        name: String,
        /// Why the model refuses it.
        error: NameError,
    },
}

fn format_error(offset: usize, problem: &'static str) -> WireError {
    WireError::Format { offset, problem }
}

/// A response's header and first question, read without touching the record sections: enough
/// to tell whether it answers a query and whether it was truncated.
#[derive(Debug)]
pub struct Response<'m> {
    bytes: &'m [u8],
    /// The message ID.
    pub id: u16,
    /// The QR bit: a response rather than a query.
    pub is_response: bool,
    /// The AA bit.
    pub authoritative: bool,
    /// The TC bit: the answer did not fit and should be asked again over TCP.
    pub truncated: bool,
    /// The first question's name (`None` when the model cannot represent it) and type code.
    pub question: Option<(Option<Name>, u16)>,
    /// Where the answer section starts.
    records_start: usize,
}

impl<'m> Response<'m> {
    /// Reads the header and the question section of `bytes`.
    pub fn parse(bytes: &'m [u8]) -> Result<Self, WireError> {
        let header = bytes
            .get(..HEADER_LENGTH)
            .ok_or_else(|| format_error(bytes.len(), "the message is shorter than its header"))?;
        let flags = u16::from_be_bytes([header[2], header[3]]);
        let questions = u16::from_be_bytes([header[4], header[5]]);
        let mut decoder = Decoder::new(bytes);
        let mut position = HEADER_LENGTH;
        let mut question = None;
        for _ in 0..questions {
            let name = decoder.name(&mut position)?;
            let record_type = read_u16(bytes, position)?;
            read_u16(bytes, position + 2)?; // the class
            position += 4;
            if question.is_none() {
                question = Some((name, record_type));
            }
        }
        Ok(Self {
            bytes,
            id: u16::from_be_bytes([header[0], header[1]]),
            is_response: flags & 0x8000 != 0,
            authoritative: flags & 0x0400 != 0,
            truncated: flags & 0x0200 != 0,
            question,
            records_start: position,
        })
    }

    /// True when this is the response to a query with `id` for `name`/`record_type` (names
    /// compare case-insensitively, RFC 4343, as the model lower-cases them).
    pub fn answers(&self, id: u16, name: &Name, record_type: RecordType) -> bool {
        self.id == id
            && self.is_response
            && self.question.as_ref().is_some_and(|(asked, code)| {
                *code == record_type.code() && asked.as_ref() == Some(name)
            })
    }

    /// Decodes the three record sections into an [`Answer`]. Records of types the model lacks
    /// (OPT, RRSIG, HINFO, ...) are left out: no assertion can ask about them. A record whose
    /// data names something the model cannot represent is left out too; one whose owner it
    /// cannot represent is an error, as the record would otherwise vanish from the answer.
    pub fn answer(&self) -> Result<Answer<'static>, WireError> {
        let bytes = self.bytes;
        let count =
            |index: usize| usize::from(u16::from_be_bytes([bytes[index], bytes[index + 1]]));
        let mut decoder = Decoder::new(bytes);
        let mut position = self.records_start;
        let mut sections: [Vec<ResponseRecord<'static>>; 3] = Default::default();
        let mut extended_rcode = 0_u16;
        for (section, records) in sections.iter_mut().enumerate() {
            let wanted = count(6 + 2 * section);
            // Bounded by what the message can hold, so a forged count allocates nothing big.
            records.reserve(wanted.min(bytes.len() / 11));
            for _ in 0..wanted {
                let owner_at = position;
                let owner = decoder.name(&mut position)?;
                let record_type = read_u16(bytes, position)?;
                let ttl = read_u32(bytes, position + 4)?;
                let length = usize::from(read_u16(bytes, position + 8)?);
                position += 10;
                let end = position + length;
                if end > bytes.len() {
                    return Err(format_error(position, "the RDATA runs past the end"));
                }
                if record_type == OPT && section == 2 {
                    // RFC 6891 section 6.1.3: the TTL's top octet extends the RCODE.
                    extended_rcode = u16::from(ttl.to_be_bytes()[0]);
                }
                if let Some(data) = decoder.data(record_type, position, end)? {
                    let owner = owner.ok_or_else(|| decoder.owner_error(owner_at))?;
                    records.push(ResponseRecord {
                        owner,
                        ttl,
                        data: Cow::Owned(data),
                        provenance: None,
                    });
                }
                position = end;
            }
        }
        let flags = u16::from_be_bytes([bytes[2], bytes[3]]);
        let [answer, authority, additional] = sections;
        Ok(Answer {
            rcode: Rcode::from_code((extended_rcode << 4) | (flags & 0x000f)),
            authoritative: self.authoritative,
            answer,
            authority,
            additional,
        })
    }
}

/// Reads names and RDATA from one message, remembering the names it has built by where they
/// start, so a compression pointer to one is a reference count rather than a new name.
struct Decoder<'m> {
    bytes: &'m [u8],
    /// Names built so far, by the offset they start at; offsets only grow as the message is
    /// read front to back, so the list stays sorted.
    names: Vec<(usize, Name)>,
    /// Scratch space for one name's labels.
    labels: Vec<&'m [u8]>,
}

impl<'m> Decoder<'m> {
    fn new(bytes: &'m [u8]) -> Self {
        Self {
            bytes,
            names: Vec::new(),
            labels: Vec::new(),
        }
    }

    /// Reads the name at `*position` and moves past it. `Ok(None)` is a well-formed name the
    /// model cannot represent.
    fn name(&mut self, position: &mut usize) -> Result<Option<Name>, WireError> {
        let start = *position;
        // The common case in an answer: a bare pointer to a name already built.
        if let Some(&[first, _]) = self.bytes.get(start..start + 2)
            && first & 0xc0 == 0xc0
        {
            let target = pointer_target(self.bytes, start);
            if target < start
                && let Ok(index) = self.names.binary_search_by_key(&target, |(at, _)| *at)
            {
                *position = start + 2;
                return Ok(Some(self.names[index].1.clone()));
            }
        }
        let (end, first_pointer) = self.walk(start)?;
        *position = end;
        // A name that is only a pointer is the name at its target.
        let origin = if first_pointer == Some(start) {
            pointer_target(self.bytes, start)
        } else {
            start
        };
        if let Ok(index) = self.names.binary_search_by_key(&origin, |(at, _)| *at) {
            return Ok(Some(self.names[index].1.clone()));
        }
        let name = Name::from_labels(self.labels.iter().copied()).ok();
        if let Some(name) = &name
            && self.names.last().is_none_or(|(at, _)| *at < origin)
        {
            self.names.push((origin, name.clone()));
        }
        Ok(name)
    }

    /// Follows the name at `start` into `self.labels`; returns where it ends in place and the
    /// position of its first pointer, if any.
    fn walk(&mut self, start: usize) -> Result<(usize, Option<usize>), WireError> {
        let bytes = self.bytes;
        self.labels.clear();
        let mut at = start;
        let mut end = None;
        let mut first_pointer = None;
        // Each pointer must land before the previous one's target (and the first before the
        // name itself), so the walk ends.
        let mut floor = start;
        let mut length = 1;
        loop {
            let &octet = bytes
                .get(at)
                .ok_or_else(|| format_error(at, "a name runs past the end"))?;
            match octet & 0xc0 {
                0x00 if octet == 0 => {
                    return Ok((end.unwrap_or(at + 1), first_pointer));
                }
                0x00 => {
                    let label_end = at + 1 + usize::from(octet);
                    let label = bytes
                        .get(at + 1..label_end)
                        .ok_or_else(|| format_error(at, "a label runs past the end"))?;
                    length += label.len() + 1;
                    if length > MAX_NAME_LENGTH {
                        return Err(format_error(start, "a name is longer than 255 octets"));
                    }
                    self.labels.push(label);
                    at = label_end;
                }
                0xc0 => {
                    if at + 1 >= bytes.len() {
                        return Err(format_error(at, "a compression pointer runs past the end"));
                    }
                    let target = pointer_target(bytes, at);
                    if target >= floor {
                        return Err(format_error(
                            at,
                            "a compression pointer does not point backwards",
                        ));
                    }
                    if end.is_none() {
                        end = Some(at + 2);
                        first_pointer = Some(at);
                    }
                    floor = target;
                    at = target;
                }
                _ => {
                    return Err(format_error(
                        at,
                        "an unknown label type (RFC 6891 section 5)",
                    ));
                }
            }
        }
    }

    /// The error for a record whose owner at `start` the model cannot represent.
    fn owner_error(&mut self, start: usize) -> WireError {
        let text = match self.walk(start) {
            Ok(_) => escaped(&self.labels),
            Err(error) => return error,
        };
        let error = Name::from_labels(self.labels.iter().copied())
            .err()
            .unwrap_or(NameError::Empty);
        WireError::Owner { name: text, error }
    }

    /// The RDATA at `start..end` of a record of `record_type`, in the model; `None` for a type
    /// the model lacks or data naming something it cannot represent.
    fn data(
        &mut self,
        record_type: u16,
        start: usize,
        end: usize,
    ) -> Result<Option<RData>, WireError> {
        let Some(record_type) = RecordType::from_code(record_type) else {
            return Ok(None);
        };
        if start == end {
            // RFC 1035 gives every type the model has some data; hickory-proto refuses too.
            return Err(format_error(start, "a record has empty RDATA"));
        }
        let bytes = &self.bytes[start..end];
        let mut at = start;
        let data = match record_type {
            RecordType::A => {
                at = end;
                Some(RData::A(Ipv4Addr::from(fixed::<4>(
                    bytes,
                    start,
                    "A data is not 4 octets",
                )?)))
            }
            RecordType::Aaaa => {
                at = end;
                Some(RData::Aaaa(Ipv6Addr::from(fixed::<16>(
                    bytes,
                    start,
                    "AAAA data is not 16 octets",
                )?)))
            }
            RecordType::Cname => self.name(&mut at)?.map(RData::Cname),
            RecordType::Ns => self.name(&mut at)?.map(RData::Ns),
            RecordType::Ptr => self.name(&mut at)?.map(RData::Ptr),
            RecordType::Mx => {
                let preference = read_u16(self.bytes, at)?;
                at += 2;
                self.name_within(&mut at, end)?.map(|exchange| RData::Mx {
                    preference,
                    exchange,
                })
            }
            RecordType::Srv => {
                let priority = read_u16(self.bytes, at)?;
                let weight = read_u16(self.bytes, at + 2)?;
                let port = read_u16(self.bytes, at + 4)?;
                at += 6;
                self.name_within(&mut at, end)?.map(|target| RData::Srv {
                    priority,
                    weight,
                    port,
                    target,
                })
            }
            RecordType::Txt => {
                let mut strings = Vec::new();
                let mut rest = bytes;
                while let Some((&length, tail)) = rest.split_first() {
                    let string = tail.get(..usize::from(length)).ok_or_else(|| {
                        format_error(end - rest.len(), "a TXT string runs past its RDATA")
                    })?;
                    strings.push(Box::from(string));
                    rest = &tail[string.len()..];
                }
                at = end;
                Some(RData::Txt(strings.into_boxed_slice()))
            }
            RecordType::Soa => {
                let primary = self.name_within(&mut at, end)?;
                let contact = self.name_within(&mut at, end)?;
                if end.checked_sub(at) != Some(20) {
                    return Err(format_error(start, "SOA data has the wrong length"));
                }
                // The serial (the first of the five numbers) is not part of the model.
                let number = |index: usize| read_u32(self.bytes, at + 4 * index);
                let (refresh, retry, expire, minimum) =
                    (number(1)?, number(2)?, number(3)?, number(4)?);
                at = end;
                primary.zip(contact).map(|(primary, contact)| {
                    RData::Soa(Box::new(Soa {
                        primary,
                        contact,
                        refresh,
                        retry,
                        expire,
                        minimum,
                    }))
                })
            }
            RecordType::Caa => {
                let (&flags, rest) = bytes
                    .split_first()
                    .ok_or_else(|| format_error(start, "CAA data is empty"))?;
                let (&tag_length, rest) = rest
                    .split_first()
                    .ok_or_else(|| format_error(start, "CAA data has no tag"))?;
                let tag = rest
                    .get(..usize::from(tag_length))
                    .filter(|tag| {
                        (1..=15).contains(&tag.len()) && tag.iter().all(u8::is_ascii_alphanumeric)
                    })
                    .ok_or_else(|| {
                        format_error(start, "a CAA tag is not 1 to 15 letters and digits")
                    })?;
                let value = &rest[tag.len()..];
                at = end;
                Some(RData::Caa(Box::new(Caa {
                    flags,
                    tag: String::from_utf8_lossy(tag).into(),
                    value: String::from_utf8_lossy(value).into(),
                })))
            }
        };
        if at != end {
            return Err(format_error(
                start,
                "the RDATA length does not match its content",
            ));
        }
        Ok(data)
    }

    /// A name that must end within the RDATA ending at `end`.
    fn name_within(&mut self, at: &mut usize, end: usize) -> Result<Option<Name>, WireError> {
        if *at >= end {
            return Err(format_error(*at, "the RDATA ends before its name"));
        }
        let name = self.name(at)?;
        if *at > end {
            return Err(format_error(*at, "a name runs past its RDATA"));
        }
        Ok(name)
    }
}

/// Data of exactly `N` octets (an address).
fn fixed<const N: usize>(
    data: &[u8],
    start: usize,
    problem: &'static str,
) -> Result<[u8; N], WireError> {
    data.try_into().map_err(|_| format_error(start, problem))
}

fn pointer_target(bytes: &[u8], at: usize) -> usize {
    usize::from(u16::from_be_bytes([bytes[at] & 0x3f, bytes[at + 1]]))
}

fn read_u16(bytes: &[u8], at: usize) -> Result<u16, WireError> {
    bytes
        .get(at..at + 2)
        .map(|octets| u16::from_be_bytes([octets[0], octets[1]]))
        .ok_or_else(|| format_error(at, "the message ends inside a field"))
}

fn read_u32(bytes: &[u8], at: usize) -> Result<u32, WireError> {
    bytes
        .get(at..at + 4)
        .map(|octets| u32::from_be_bytes([octets[0], octets[1], octets[2], octets[3]]))
        .ok_or_else(|| format_error(at, "the message ends inside a field"))
}

/// Labels as presentation text (RFC 1035 section 5.1 escapes), for messages.
fn escaped(labels: &[&[u8]]) -> String {
    use std::fmt::Write as _;
    let mut text = String::new();
    for label in labels {
        for &octet in *label {
            // Writing to a String cannot fail.
            let _ = match octet {
                b'.' | b'\\' | b'"' | b'(' | b')' | b';' | b'@' | b'$' => {
                    write!(text, "\\{}", char::from(octet))
                }
                0x21..=0x7e => write!(text, "{}", char::from(octet)),
                _ => write!(text, "\\{octet:03}"),
            };
        }
        text.push('.');
    }
    if text.is_empty() {
        text.push('.');
    }
    text
}

#[cfg(test)]
mod tests {
    use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};
    use hickory_proto::rr::{self as hickory, rdata};
    use proptest::prelude::*;

    use super::*;

    /// The conversion the live backend did before this decoder: hickory-proto decodes, then
    /// each record is converted into the model. `None` when an owner cannot be represented.
    fn through_hickory(message: &Message) -> Option<Answer<'static>> {
        let name = |name: &hickory::Name| Name::from_labels(name.iter()).ok();
        let data = |data: &hickory::RData| -> Option<RData> {
            use hickory::RData as H;
            Some(match data {
                H::A(address) => RData::A(address.0),
                H::AAAA(address) => RData::Aaaa(address.0),
                H::CNAME(target) => RData::Cname(name(&target.0)?),
                H::NS(target) => RData::Ns(name(&target.0)?),
                H::PTR(target) => RData::Ptr(name(&target.0)?),
                H::MX(mx) => RData::Mx {
                    preference: mx.preference,
                    exchange: name(&mx.exchange)?,
                },
                H::SRV(srv) => RData::Srv {
                    priority: srv.priority,
                    weight: srv.weight,
                    port: srv.port,
                    target: name(&srv.target)?,
                },
                H::TXT(txt) => RData::Txt(txt.txt_data.clone()),
                // hickory keeps these three as i32; RFC 1035 has them unsigned, as this
                // decoder reads them (the old conversion dropped a record above 2^31 - 1).
                H::SOA(soa) => RData::Soa(Box::new(Soa {
                    primary: name(&soa.mname)?,
                    contact: name(&soa.rname)?,
                    refresh: u32::from_be_bytes(soa.refresh.to_be_bytes()),
                    retry: u32::from_be_bytes(soa.retry.to_be_bytes()),
                    expire: u32::from_be_bytes(soa.expire.to_be_bytes()),
                    minimum: soa.minimum,
                })),
                H::CAA(caa) => RData::Caa(Box::new(Caa {
                    flags: caa.flags(),
                    tag: caa.tag.as_str().into(),
                    value: String::from_utf8_lossy(&caa.value).into(),
                })),
                _ => return None,
            })
        };
        let section = |records: &[hickory::Record]| -> Option<Vec<ResponseRecord<'static>>> {
            let mut converted = Vec::new();
            for record in records {
                if let Some(data) = data(&record.data) {
                    converted.push(ResponseRecord {
                        owner: name(&record.name)?,
                        ttl: record.ttl,
                        data: Cow::Owned(data),
                        provenance: None,
                    });
                }
            }
            Some(converted)
        };
        Some(Answer {
            rcode: Rcode::from_code(u16::from(message.metadata.response_code)),
            authoritative: message.metadata.authoritative,
            answer: section(&message.answers)?,
            authority: section(&message.authorities)?,
            additional: section(&message.additionals)?,
        })
    }

    fn hickory_name(labels: &[String]) -> hickory::Name {
        hickory::Name::from_labels(labels.iter().map(String::as_bytes)).unwrap()
    }

    fn name(text: &str) -> Name {
        Name::parse_absolute(text).unwrap()
    }

    /// Labels below one of a few shared suffixes, so hickory compresses them against each
    /// other; a few carry a space, which the model cannot represent.
    fn labels() -> impl Strategy<Value = Vec<String>> {
        let label = prop_oneof![
            8 => "[a-zA-Z0-9_-]{1,8}",
            1 => Just("a b".to_owned()),
        ];
        let suffix = prop_oneof![
            Just(vec!["example", "net"]),
            Just(vec!["Example", "NET"]),
            Just(vec!["svc", "example", "net"]),
            Just(vec!["10", "in-addr", "arpa"]),
        ];
        (prop::collection::vec(label, 0..3), suffix).prop_map(|(mut labels, suffix)| {
            labels.extend(suffix.into_iter().map(str::to_owned));
            labels
        })
    }

    fn record_data() -> impl Strategy<Value = hickory::RData> {
        use hickory::RData as H;
        prop_oneof![
            any::<[u8; 4]>().prop_map(|octets| H::A(rdata::A::from(Ipv4Addr::from(octets)))),
            any::<[u8; 16]>().prop_map(|octets| H::AAAA(rdata::AAAA::from(Ipv6Addr::from(octets)))),
            labels().prop_map(|target| H::CNAME(rdata::CNAME(hickory_name(&target)))),
            labels().prop_map(|target| H::NS(rdata::NS(hickory_name(&target)))),
            labels().prop_map(|target| H::PTR(rdata::PTR(hickory_name(&target)))),
            (any::<u16>(), labels()).prop_map(|(preference, exchange)| H::MX(rdata::MX::new(
                preference,
                hickory_name(&exchange)
            ))),
            (any::<[u16; 3]>(), labels()).prop_map(|([priority, weight, port], target)| {
                H::SRV(rdata::SRV::new(
                    priority,
                    weight,
                    port,
                    hickory_name(&target),
                ))
            }),
            prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 1..4).prop_map(
                |strings| H::TXT(rdata::TXT::from_bytes(
                    strings.iter().map(Vec::as_slice).collect()
                ))
            ),
            (labels(), labels(), any::<u32>(), any::<i32>(), any::<u32>()).prop_map(
                |(primary, contact, serial, timer, minimum)| H::SOA(rdata::SOA::new(
                    hickory_name(&primary),
                    hickory_name(&contact),
                    serial,
                    timer,
                    timer / 2,
                    timer / 3,
                    minimum,
                ))
            ),
            (
                any::<u8>(),
                "[a-zA-Z0-9]{1,15}",
                prop::collection::vec(any::<u8>(), 0..30)
            )
                .prop_map(|(flags, tag, value)| {
                    let mut caa = rdata::CAA::new_issue(false, None, Vec::new());
                    caa.issuer_critical = flags & 0x80 != 0;
                    caa.reserved_flags = flags & 0x7f;
                    caa.tag = tag;
                    caa.value = value;
                    H::CAA(caa)
                }),
            // A type the model lacks.
            ("[a-z]{0,5}", "[a-z]{0,5}").prop_map(|(cpu, os)| H::HINFO(rdata::HINFO::new(cpu, os))),
        ]
    }

    fn records() -> impl Strategy<Value = Vec<hickory::Record>> {
        prop::collection::vec(
            (labels(), any::<u32>(), record_data()).prop_map(|(owner, ttl, data)| {
                hickory::Record::from_rdata(hickory_name(&owner), ttl, data)
            }),
            0..6,
        )
    }

    prop_compose! {
        fn message()(
            id in any::<u16>(),
            flags in any::<[bool; 2]>(),
            question in labels(),
            question_type in prop::sample::select(vec![1_u16, 28, 33, 12, 257, 13]),
            rcode in prop_oneof![0_u16..=5, 16_u16..=4095],
            answers in records(),
            authorities in records(),
            additionals in records(),
        ) -> Message {
            let mut message = Message::new(id, MessageType::Response, OpCode::Query);
            message.metadata.authoritative = flags[0];
            message.metadata.truncation = flags[1];
            message.metadata.response_code = <ResponseCode as From<u16>>::from(rcode);
            message.add_query(Query::query(
                hickory_name(&question),
                hickory::RecordType::from(question_type),
            ));
            message.add_answers(answers);
            message.add_authorities(authorities);
            message.add_additionals(additionals);
            // The extended RCODE's high bits travel in the OPT record.
            message.set_edns(Edns::new());
            message
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        /// Every message hickory-proto writes decodes as hickory-proto decodes it.
        #[test]
        fn decodes_as_hickory_does(message in message()) {
            let bytes = message.to_vec().unwrap();
            let response = Response::parse(&bytes).unwrap();
            prop_assert_eq!(response.id, message.metadata.id);
            prop_assert!(response.is_response);
            prop_assert_eq!(response.authoritative, message.metadata.authoritative);
            prop_assert_eq!(response.truncated, message.metadata.truncation);
            let query = &message.queries[0];
            prop_assert_eq!(
                response.question.clone(),
                Some((Name::from_labels(query.name().iter()).ok(), u16::from(query.query_type())))
            );
            let decoded = Message::from_vec(&bytes).unwrap();
            match through_hickory(&decoded) {
                Some(expected) => prop_assert_eq!(response.answer().unwrap(), expected),
                None => prop_assert!(
                    matches!(response.answer(), Err(WireError::Owner { .. })),
                    "an owner the model cannot represent is an error"
                ),
            }
        }

        /// Damaged messages never panic, and what both decoders accept they read alike.
        #[test]
        fn damaged_messages_decode_as_hickory_does_or_not_at_all(
            message in message(),
            damage in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        ) {
            let mut bytes = message.to_vec().unwrap();
            for (index, octet) in damage {
                let at = index.index(bytes.len());
                bytes[at] = octet;
            }
            let ours = Response::parse(&bytes).and_then(|response| response.answer());
            if let (Ok(ours), Ok(theirs)) = (ours, Message::from_vec(&bytes))
                && let Some(theirs) = through_hickory(&theirs)
            {
                prop_assert_eq!(ours, theirs);
            }
        }
    }

    /// A response: header (ID 0x1234, QR and AA, counts), the question `a.example.` A, then
    /// `records` as raw bytes.
    fn response(counts: [u16; 3], records: &[u8]) -> Vec<u8> {
        let mut bytes = vec![0x12, 0x34, 0x84, 0x00, 0, 1];
        for count in counts {
            bytes.extend_from_slice(&count.to_be_bytes());
        }
        bytes.extend_from_slice(b"\x01a\x07example\x00\x00\x01\x00\x01");
        bytes.extend_from_slice(records);
        bytes
    }

    /// A record owned by the question's name (a pointer to offset 12) of `record_type`.
    fn record(record_type: u16, data: &[u8]) -> Vec<u8> {
        let mut bytes = vec![0xc0, 12];
        bytes.extend_from_slice(&record_type.to_be_bytes());
        bytes.extend_from_slice(&[0, 1, 0, 0, 0x0e, 0x10]);
        bytes.extend_from_slice(&u16::try_from(data.len()).unwrap().to_be_bytes());
        bytes.extend_from_slice(data);
        bytes
    }

    /// A name of labels of `lengths` octets, ending in the pointer to `suffix` or in the root.
    fn long_name(lengths: &[u8], suffix: Option<u8>) -> Vec<u8> {
        let mut bytes = Vec::new();
        for &length in lengths {
            bytes.push(length);
            bytes.extend(std::iter::repeat_n(b'a', usize::from(length)));
        }
        match suffix {
            Some(at) => bytes.extend([0xc0, at]),
            None => bytes.push(0),
        }
        bytes
    }

    /// An A record (192.0.2.1) owned by the name `owner`.
    fn owned_by(owner: &[u8]) -> Vec<u8> {
        let mut bytes = owner.to_vec();
        bytes.extend_from_slice(&[0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 192, 0, 2, 1]);
        bytes
    }

    fn problem(bytes: &[u8]) -> String {
        match Response::parse(bytes).and_then(|response| response.answer()) {
            Ok(answer) => panic!("decoded {answer:?}"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn a_response_is_matched_by_id_question_and_type() {
        let bytes = response([1, 0, 0], &record(1, &[192, 0, 2, 1]));
        let parsed = Response::parse(&bytes).unwrap();
        let a = RecordType::A;
        assert!(
            parsed.answers(0x1234, &name("A.Example."), a),
            "case-insensitive"
        );
        assert!(!parsed.answers(0x1235, &name("a.example."), a));
        assert!(!parsed.answers(0x1234, &name("b.example."), a));
        assert!(!parsed.answers(0x1234, &name("a.example."), RecordType::Aaaa));
        let answer = parsed.answer().unwrap();
        assert_eq!(answer.rcode, Rcode::NoError);
        assert!(answer.authoritative);
        assert_eq!(answer.answer.len(), 1);
        assert_eq!(answer.answer[0].owner, name("a.example."));
        assert_eq!(
            *answer.answer[0].data,
            RData::A(Ipv4Addr::new(192, 0, 2, 1))
        );
        assert_eq!(answer.answer[0].ttl, 3600);
    }

    #[test]
    fn a_truncated_response_is_recognised_without_its_records() {
        let mut bytes = response([3, 0, 0], &record(1, &[192, 0, 2, 1])[..7]);
        bytes[2] |= 0x02;
        let parsed = Response::parse(&bytes).unwrap();
        assert!(parsed.truncated);
        assert!(parsed.answers(0x1234, &name("a.example."), RecordType::A));
        assert!(parsed.answer().is_err(), "the records are cut short");
    }

    #[test]
    fn names_a_pointer_repeats_are_shared() {
        let mut records = record(33, b"\x00\x0a\x00\x05\x01\xbb\x04web1\xc0\x0e");
        let target_at = 12 + 15 + 12 + 6;
        records.extend_from_slice(&[0xc0, u8::try_from(target_at).unwrap()]);
        records.extend_from_slice(&[0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 7]);
        let bytes = response([1, 0, 1], &records);
        let answer = Response::parse(&bytes).unwrap().answer().unwrap();
        let RData::Srv { target, .. } = &*answer.answer[0].data else {
            panic!("{answer:?}");
        };
        assert_eq!(*target, name("web1.example."));
        let owner = &answer.additional[0].owner;
        assert_eq!(owner, target);
        assert!(
            std::ptr::eq(owner.canonical_key(), target.canonical_key()),
            "one name, not two copies"
        );
    }

    #[test]
    fn the_extended_rcode_comes_from_the_opt_record() {
        // OPT: root owner, type 41, payload 1232, TTL with extended RCODE 1 (BADVERS = 16).
        let opt = [0, 0, 41, 0x04, 0xd0, 1, 0, 0, 0, 0, 0];
        let answer = Response::parse(&response([0, 0, 1], &opt))
            .unwrap()
            .answer()
            .unwrap();
        assert_eq!(answer.rcode, Rcode::Other(16));
        assert!(
            answer.additional.is_empty(),
            "OPT is not a record of the answer"
        );
    }

    // A bound of 319 octets passed every test while the only long name tried was 321 octets.
    #[test]
    fn a_name_of_255_octets_is_read_and_one_of_256_is_refused() {
        let longest = long_name(&[63, 63, 63, 61], None);
        assert_eq!(longest.len(), 255);
        let answer = Response::parse(&response([1, 0, 0], &owned_by(&longest)))
            .unwrap()
            .answer()
            .unwrap();
        assert_eq!(answer.answer[0].owner.wire_length(), 255);

        let too_long = long_name(&[63, 63, 63, 62], None);
        assert_eq!(too_long.len(), 256);
        assert_eq!(
            problem(&response([1, 0, 0], &owned_by(&too_long))),
            "at octet 27: a name is longer than 255 octets"
        );
    }

    #[test]
    fn a_names_length_counts_the_octets_behind_its_pointers() {
        // The first record's owner: two labels of 63 before the question `a.example.` (11
        // octets at 12), 139 octets in all, at 27; the second's: labels before that.
        let first = owned_by(&long_name(&[63, 63], Some(12)));
        let second_at = 12 + 15 + first.len();
        let answer_with = |lengths: &[u8]| {
            let mut records = first.clone();
            records.extend(owned_by(&long_name(lengths, Some(27))));
            Response::parse(&response([2, 0, 0], &records)).and_then(|parsed| parsed.answer())
        };
        let answer = answer_with(&[63, 51]).unwrap();
        assert_eq!(answer.answer[1].owner.wire_length(), 255);
        assert_eq!(
            answer_with(&[63, 52]).unwrap_err().to_string(),
            format!("at octet {second_at}: a name is longer than 255 octets")
        );
    }

    #[test]
    fn records_the_model_cannot_hold_are_left_out_but_an_owner_it_cannot_name_is_an_error() {
        // HINFO at an owner with a space: left out, no error.
        let mut records = vec![3, b'a', b' ', b'b', 0, 0, 13, 0, 1, 0, 0, 0, 1, 0, 2, 0, 0];
        // An SRV whose target has a space: left out.
        records.extend(record(33, b"\x00\x01\x00\x01\x00\x01\x03a b\x00"));
        let answer = Response::parse(&response([2, 0, 0], &records))
            .unwrap()
            .answer()
            .unwrap();
        assert!(answer.answer.is_empty());
        let records = [
            3, b'a', b' ', b'b', 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 192, 0, 2, 1,
        ];
        assert_eq!(
            problem(&response([1, 0, 0], &records)),
            "owner name `a\\032b.` cannot be represented: invalid character ' ' in label `a b`; \
             expected letters, digits, `-` or `_`"
        );
    }

    #[test]
    fn malformed_messages_are_refused_with_the_offset() {
        assert_eq!(
            problem(&[0x12, 0x34]),
            "at octet 2: the message is shorter than its header"
        );
        // A pointer to itself, and one pointing forwards.
        assert_eq!(
            problem(&response([1, 0, 0], &[0xc0, 27])),
            "at octet 27: a compression pointer does not point backwards"
        );
        assert_eq!(
            problem(&response([1, 0, 0], &[0xc0, 40])),
            "at octet 27: a compression pointer does not point backwards"
        );
        // Two pointers that point at each other.
        let mut looped = record(5, &[0xc0, 27]);
        looped[0..2].copy_from_slice(&[0xc0, 39]);
        assert!(problem(&response([1, 0, 0], &looped)).contains("does not point backwards"));
        assert_eq!(
            problem(&response([1, 0, 0], &[0x40])),
            "at octet 27: an unknown label type (RFC 6891 section 5)"
        );
        let long: Vec<u8> = (0..5)
            .flat_map(|_| [63].into_iter().chain([b'a'; 63]))
            .collect();
        assert_eq!(
            problem(&response([1, 0, 0], &long)),
            "at octet 27: a name is longer than 255 octets"
        );
        assert_eq!(
            problem(&response([1, 0, 0], &record(1, &[192, 0, 2]))),
            "at octet 39: A data is not 4 octets"
        );
        assert_eq!(
            problem(&response([1, 0, 0], &record(5, b"\x01a\xc0\x0e\x00"))),
            "at octet 39: the RDATA length does not match its content"
        );
        let mut cut = record(1, &[192, 0, 2, 1]);
        cut.truncate(cut.len() - 1);
        assert_eq!(
            problem(&response([1, 0, 0], &cut)),
            "at octet 39: the RDATA runs past the end"
        );
        assert_eq!(
            problem(&response([2, 0, 0], &record(1, &[192, 0, 2, 1]))),
            "at octet 43: a name runs past the end"
        );
        assert_eq!(
            problem(&response([1, 0, 0], &record(16, b""))),
            "at octet 39: a record has empty RDATA"
        );
        assert_eq!(
            problem(&response([1, 0, 0], &record(16, b"\x05abc"))),
            "at octet 39: a TXT string runs past its RDATA"
        );
        assert_eq!(
            problem(&response([1, 0, 0], &record(257, b"\x00\x00issue"))),
            "at octet 39: a CAA tag is not 1 to 15 letters and digits"
        );
    }
}
