//! The reader on hand-written master files: every construct of RFC 1035 section 5 it reads,
//! and every refusal, with its position.

use super::*;
use crate::model::record::{Caa, Soa};

fn name(text: &str) -> Name {
    Name::parse_absolute(text).unwrap()
}

fn origin() -> Name {
    name("example.net.")
}

/// Every entry of `text`, errors included, as one line each.
fn read(text: &str) -> Vec<String> {
    Reader::new(text.as_bytes(), origin())
        .map(|entry| match entry {
            Ok(Entry::Record(record)) => {
                let mut data = String::new();
                crate::render::write_rdata(&record.data, &mut data);
                if let Some(serial) = record.serial {
                    data = data.replacen(" 0 ", &format!(" {serial} "), 1);
                }
                format!(
                    "{} {} {} {} {} @{}",
                    record.owner,
                    record.ttl,
                    record.class,
                    record.data.record_type(),
                    data,
                    record.position
                )
            }
            Ok(Entry::Directive(directive)) => {
                format!("{:?} @{}", directive.kind, directive.position)
            }
            Ok(Entry::Comment(comment)) => format!(
                "comment {:?} @{}",
                String::from_utf8_lossy(comment.text),
                comment.position
            ),
            Err(error) => format!("error {error}"),
        })
        .collect()
}

#[test]
fn a_zone_file_with_every_construct_reads_back() {
    let text = "\
; a zone
$ORIGIN example.net.
$TTL 1h
@\tIN\tSOA\tns1 hostmaster (
\t\t2026112501 ; serial
\t\t1h 10m 2w 5m )
\tNS\tns1.example.net.
www 300 CNAME edge.lon
edge.lon IN 60 A 192.0.2.10
\t\tAAAA 2001:db8::a
_sip._udp SRV 10 5 5060 sip ; trailing
@ MX 10 mx1
@ TXT \"v=spf1 \\\"q\\\" -all\" plain \"caf\\233\"
@ CAA 0 issue \"letsencrypt.org\"
10.2 PTR host.other.org.
$ORIGIN lon
db 1D A 192.0.2.20
";
    insta::assert_snapshot!(read(text).join("\n"), @r#"
    comment " a zone" @1:1
    Origin(Name(example.net.)) @2:1
    Ttl(3600) @3:1
    example.net. 3600 IN SOA ns1.example.net. hostmaster.example.net. 2026112501 3600 600 1209600 300 @4:1
    comment " serial" @5:14
    example.net. 3600 IN NS ns1.example.net. @7:2
    www.example.net. 300 IN CNAME edge.lon.example.net. @8:1
    edge.lon.example.net. 60 IN A 192.0.2.10 @9:1
    edge.lon.example.net. 3600 IN AAAA 2001:db8::a @10:3
    _sip._udp.example.net. 3600 IN SRV 10 5 5060 sip.example.net. @11:1
    comment " trailing" @11:29
    example.net. 3600 IN MX 10 mx1.example.net. @12:1
    example.net. 3600 IN TXT "v=spf1 \"q\" -all" "plain" "caf\233" @13:1
    example.net. 3600 IN CAA 0 issue "letsencrypt.org" @14:1
    10.2.example.net. 3600 IN PTR host.other.org. @15:1
    Origin(Name(lon.example.net.)) @16:1
    db.lon.example.net. 86400 IN A 192.0.2.20 @17:1
    "#);
}

#[test]
fn the_model_data_of_every_type_is_read() {
    let records: Vec<(RData, Option<u32>)> = Reader::new(
        b"$TTL 60\n@ SOA ns1 host 7 1 2 3 4\n@ CAA 128 iodef \"mailto:a@b\"\n@ TXT \"\"\n",
        origin(),
    )
    .filter_map(|entry| match entry.unwrap() {
        Entry::Record(record) => Some((record.data, record.serial)),
        _ => None,
    })
    .collect();
    assert_eq!(
        records,
        [
            (
                RData::Soa(Box::new(Soa {
                    primary: name("ns1.example.net."),
                    contact: name("host.example.net."),
                    refresh: 1,
                    retry: 2,
                    expire: 3,
                    minimum: 4,
                })),
                Some(7)
            ),
            (
                RData::Caa(Box::new(Caa {
                    flags: 128,
                    tag: "iodef".into(),
                    value: "mailto:a@b".into(),
                })),
                None
            ),
            (RData::Txt(vec![Box::default()].into_boxed_slice()), None),
        ]
    );
}

#[test]
fn directives_are_recognised_and_not_acted_on() {
    insta::assert_snapshot!(read("$INCLUDE /etc/passwd other.\n$GENERATE 1-5000 evil$ 60 IN A 10.66.0.1\n$date 1\n$include \"a b\"\n$origin other.\n").join("\n"), @r#"
    Include { file: [47, 101, 116, 99, 47, 112, 97, 115, 115, 119, 100], origin: Some([111, 116, 104, 101, 114, 46]) } @1:1
    Generate { arguments: [[49, 45, 53, 48, 48, 48], [101, 118, 105, 108, 36], [54, 48], [73, 78], [65], [49, 48, 46, 54, 54, 46, 48, 46, 49]] } @2:1
    Other { name: "$date", arguments: [[49]] } @3:1
    Include { file: [97, 32, 98], origin: None } @4:1
    Other { name: "$origin", arguments: [[111, 116, 104, 101, 114, 46]] } @5:1
    "#);
}

#[test]
fn every_problem_is_located_and_reading_goes_on() {
    let text = "\
\tA 192.0.2.1
www 60 IN A 192.0.2.300
www 60 IN A 010.0.0.1
www 60 XX 1
www 60 SSHFP 1 1 abcd
www 60 TYPE1 \\# 4 0a000001
www 60 A \\# 4 0a000001
www 60 60 A 192.0.2.1
www 60 IN CH A 192.0.2.1
www A 192.0.2.1
www 60 MX 65536 mx
www 60 MX 10
www 60 CNAME a b
www 60 TXT \"a\"b
www 60 CNAME a\\.b
www 60 A 192.0.2.1 ; fine
www 4294967295 A 192.0.2.1
(www) 60 A 192.0.2.1
www 60 CAA 0 is-sue \"x\"
www 60 SRV 1 2 3 \"target\"
$ORIGIN
$TTL 1h 2h
www 60 A 192.0.2.1)
www 60 \"A\" 192.0.2.1
www 60 ( A
 192.0.2.1 )
\t( A 192.0.2.1 )
$TTL ( 60 )
www 60 A ( 192.0.2.1
 )
";
    insta::assert_snapshot!(read(text).join("\n"), @r#"
    error 1:2: the line starts with a space (the previous owner), but no record before it named one
    error 2:13: `192.0.2.300` is not an IPv4 address
    error 3:13: `010.0.0.1` is not an IPv4 address
    error 4:8: expected a TTL, a class or a record type, found `XX`
    error 5:8: record type SSHFP is not one zonegate writes (SOA, NS, A, AAAA, CNAME, PTR, MX, TXT, SRV, CAA)
    error 6:8: record type TYPE1 is not one zonegate writes (SOA, NS, A, AAAA, CNAME, PTR, MX, TXT, SRV, CAA)
    error 7:10: the A data is in RFC 3597 generic form (`\#`), which zonegate does not read
    error 8:8: the record has two TTLs
    error 9:11: the record has two classes
    error 10:1: the record has no TTL and no `$TTL` came before it (servers disagree on what it gets)
    error 11:11: `65536` is not a valid preference for a MX record: expected a decimal number in range
    error 12:13: the MX record ends before its exchange
    error 13:16: `b` after the end of the CNAME record's data
    error 14:15: a quote touches a word or another string; separate them with a space
    error 15:14: `a\.b` is not a valid target for a CNAME record: invalid character '.' in label `a.b`; expected letters, digits, `-` or `_`
    www.example.net. 60 IN A 192.0.2.1 @16:1
    comment " fine" @16:20
    error 17:5: `4294967295` is not a TTL: the largest TTL is 2147483647 (RFC 2181 section 8)
    error 18:1: a line must start with its owner name, or with a space for the previous owner
    error 19:14: CAA tag `is-sue` is not 1 to 15 letters and digits (RFC 8659 section 4.1)
    error 20:18: the target of the SRV record is quoted; write it without quotes
    error 21:8: $ORIGIN needs an argument
    error 22:9: `2h` after the argument of $TTL
    error 23:19: `)` without an open `(`
    error 24:8: expected a TTL, a class or a record type, found `A`
    error 25:8: a parenthesis before the record type; parentheses may only group the record's data
    error 27:2: a parenthesis before the record type; parentheses may only group the record's data
    error 28:6: a parenthesis among a directive's arguments
    www.example.net. 60 IN A 192.0.2.1 @29:1
    "#);
}

#[test]
fn an_unclosed_parenthesis_swallows_the_lines_after_it_and_is_reported_where_it_opened() {
    let text = "@ 60 IN SOA ns1 host (\n 1 2 3 4 5\nwww 60 IN A 192.0.2.1\n";
    assert_eq!(
        read(text),
        ["error 1:22: this parenthesis is never closed: every line after it is part of its record"]
    );
}

#[test]
fn a_reader_can_go_on_from_the_state_another_left() {
    let mut first = Reader::new(
        b"$ORIGIN example.net.\n$TTL 300\nwww A 192.0.2.1\n",
        origin(),
    );
    while first.next_entry().is_some() {}
    assert!(first.at_clean_line_start());
    let state = first.into_state();
    assert_eq!(state.default_ttl, Some(300));
    let records: Vec<String> = Reader::with_state(b"\tAAAA 2001:db8::1\n", state)
        .map(|entry| match entry.unwrap() {
            Entry::Record(record) => format!("{} {} {:?}", record.owner, record.ttl, record.data),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(records, ["www.example.net. 300 Aaaa(2001:db8::1)"]);
}

#[test]
fn comments_can_be_left_out() {
    let entries: Vec<_> = Reader::new(b"; a\nwww 60 A 192.0.2.1 ; b\n", origin())
        .without_comments()
        .collect();
    assert_eq!(entries.len(), 1);
}

#[test]
fn classes_and_generic_class_names() {
    assert_eq!(Class::parse(b"in"), Some(Class::In));
    assert_eq!(Class::parse(b"CLASS1"), Some(Class::In));
    assert_eq!(Class::parse(b"class255"), Some(Class::Other(255)));
    assert_eq!(Class::parse(b"CLASS"), None);
    assert_eq!(Class::parse(b"CLASS65536"), None);
    assert_eq!(Class::parse(b"A"), None);
}
