//! The renderer: the built-in template's output, streaming, custom templates, and the
//! verification of what any template writes.

use super::*;
use crate::diagnostic::{FileId, Span};
use crate::model::name::Name;
use crate::model::record::{Caa, Origin, Provenance, Soa};

fn name(text: &str) -> Name {
    Name::parse_absolute(text).unwrap()
}

fn record(owner: &str, ttl: u32, data: RData) -> Record {
    Record {
        name: name(owner),
        ttl,
        data,
        provenance: Provenance {
            span: Span::new(FileId(0), 1, 1),
            origin: Origin::HandEdited,
        },
    }
}

fn sample_zone() -> Zone {
    let soa = Soa {
        primary: name("ns1.example.net."),
        contact: name("hostmaster.example.net."),
        refresh: 3600,
        retry: 600,
        expire: 1_209_600,
        minimum: 300,
    };
    let records = vec![
        record(
            "www.example.net.",
            300,
            RData::Cname(name("edge.lon.example.net.")),
        ),
        record("example.net.", 86400, RData::Ns(name("ns2.example.net."))),
        record("example.net.", 3600, RData::Soa(Box::new(soa))),
        record("example.net.", 86400, RData::Ns(name("ns1.example.net."))),
        record(
            "example.net.",
            3600,
            RData::Mx {
                preference: 20,
                exchange: name("mx2.example.net."),
            },
        ),
        record(
            "example.net.",
            3600,
            RData::Mx {
                preference: 10,
                exchange: name("mx1.example.net."),
            },
        ),
        record(
            "example.net.",
            3600,
            RData::txt(&["v=spf1 \"quoted\" \\ -all".into(), "caf\u{e9}".into()]),
        ),
        record(
            "example.net.",
            3600,
            RData::Caa(Box::new(Caa {
                flags: 0,
                tag: "issue".into(),
                value: "letsencrypt.org".into(),
            })),
        ),
        record(
            "edge.lon.example.net.",
            3600,
            RData::A("192.0.2.10".parse().unwrap()),
        ),
        record(
            "edge.lon.example.net.",
            3600,
            RData::A("192.0.2.9".parse().unwrap()),
        ),
        record(
            "edge.lon.example.net.",
            3600,
            RData::Aaaa("2001:db8::a".parse().unwrap()),
        ),
        record(
            "_playlist._tcp.lon.example.net.",
            300,
            RData::Srv {
                priority: 10,
                weight: 5,
                port: 8080,
                target: name("edge.lon.example.net."),
            },
        ),
    ];
    Zone::from_records(name("example.net."), records).0
}

fn render_default(zone: &Zone, serial: u32) -> String {
    let options = RenderOptions {
        default_ttl: 3600,
        template: DEFAULT_TEMPLATE,
        limits: TemplateLimits::DEFAULT,
        template_name: "zone.j2",
        abandon: None,
    };
    to_string(zone, serial, &options).unwrap()
}

#[test]
fn default_template_renders_a_canonical_master_file() {
    insta::assert_snapshot!(render_default(&sample_zone(), 2_026_112_501));
}

#[test]
fn output_does_not_depend_on_input_order() {
    let zone = sample_zone();
    let mut reversed = zone.records.clone();
    reversed.reverse();
    let (shuffled, _) = Zone::from_records(zone.origin.clone(), reversed);
    assert_eq!(render_default(&zone, 1), render_default(&shuffled, 1));
}

#[test]
fn content_hash_ignores_the_serial_but_not_the_records() {
    let zone = sample_zone();
    let options = RenderOptions {
        default_ttl: 3600,
        template: DEFAULT_TEMPLATE,
        limits: TemplateLimits::DEFAULT,
        template_name: "zone.j2",
        abandon: None,
    };
    let first = content_hash(&zone, &options);
    assert_eq!(first, content_hash(&zone.clone(), &options));
    let mut changed = zone.clone();
    changed.records.pop();
    assert_ne!(first, content_hash(&changed, &options));
    let mut retimed = zone.clone();
    retimed.records[3].ttl += 1;
    assert_ne!(first, content_hash(&retimed, &options));
    let other_ttl = RenderOptions {
        default_ttl: 300,
        ..options.clone()
    };
    assert_ne!(first, content_hash(&zone, &other_ttl));
    let other_template = RenderOptions {
        template: "{{ body }}",
        ..options
    };
    assert_ne!(first, content_hash(&zone, &other_template));
}

fn options(template: &str) -> RenderOptions<'_> {
    RenderOptions {
        default_ttl: 3600,
        template,
        limits: TemplateLimits::DEFAULT,
        template_name: "zone.j2",
        abandon: None,
    }
}

#[test]
fn custom_templates_can_iterate_records_and_loops_are_bounded() {
    let zone = sample_zone();
    let template = "{% for r in records %}{{ r.owner }} {{ r.ttl }} IN {{ r.type }} {{ r.data }}\n{% endfor %}";
    let text = to_string(&zone, 7, &options(template)).unwrap();
    // The SOA of the per-record view carries the planned serial (it carried 0 before the
    // rendered text was read back, and servers were handed serial 0).
    assert!(text.starts_with("@ 3600 IN SOA ns1.example.net. hostmaster.example.net. 7 3600 600 1209600 300\n@ 86400 IN NS ns1.example.net.\n"), "{text}");

    let endless =
        "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}";
    let options = RenderOptions {
        limits: TemplateLimits {
            fuel: 100_000,
            ..TemplateLimits::DEFAULT
        },
        ..options(endless)
    };
    let Err(RenderError::Template(error)) = to_string(&zone, 7, &options) else {
        panic!("an endless template must run out of fuel");
    };
    assert_eq!(
        error.problem.engine().map(minijinja::Error::kind),
        Some(minijinja::ErrorKind::OutOfFuel)
    );
}

/// The head of a template that writes the SOA itself, for the tests that change the body.
const SOA_HEAD: &str = "$ORIGIN {{ origin }}\n@ {{ soa.ttl }} IN SOA {{ soa.primary }} {{ soa.contact }} {{ serial }} {{ soa.refresh }} {{ soa.retry }} {{ soa.expire }} {{ soa.minimum }}\n";

#[test]
fn a_template_that_transforms_the_body_is_rendered_whole() {
    let zone = sample_zone();
    // Changing the marker sends the template down the whole-text path; tabs become spaces and a
    // name changes case (RFC 4343): the same records.
    let template = format!(
        "{SOA_HEAD}{{{{ body | replace('zonegate-body', 'x') | replace('\t', ' ') | replace('NS ns1', 'NS NS1') }}}}"
    );
    let text = to_string(&zone, 7, &options(&template)).unwrap();
    assert!(
        text.contains("\n@ 86400 IN NS NS1.example.net.\n"),
        "{text}"
    );
    assert!(!text.contains('\0'), "the marker never leaks");
}

#[test]
fn large_zones_stream_in_windows_with_the_same_text() {
    let zone = sample_zone();
    let mut records = zone.records.clone();
    for index in 0..(CHUNK as u32 * 5 + 17) {
        records.push(record(
            &format!("h{index}.example.net."),
            60,
            RData::A(std::net::Ipv4Addr::from(index)),
        ));
    }
    let (big, _) = Zone::from_records(zone.origin.clone(), records);
    let streamed = render_default(&big, 9);
    let whole = render_lines(&big, &big.records);
    assert!(streamed.contains(&whole), "the streamed body is the body");
    assert_eq!(streamed.matches("\tA\t").count(), CHUNK * 5 + 17 + 2);
}

#[test]
fn template_errors_name_the_zone_and_line() {
    let zone = sample_zone();
    let options = RenderOptions {
        default_ttl: 3600,
        template: "$ORIGIN {{ origin }}\n{{ no_such_variable }}\n",
        limits: TemplateLimits::DEFAULT,
        template_name: "zone.j2",
        abandon: None,
    };
    let error = to_string(&zone, 7, &options).unwrap_err();
    // The cause is the error's source, so `main` prints it once in the chain.
    let cause = std::error::Error::source(&error).map(ToString::to_string);
    let chain = format!("{error}: {}", cause.unwrap_or_default());
    insta::assert_snapshot!(chain, @"zone template for example.net.: undefined value (in zone.j2:2)");
}

/// What rendering `sample_zone` with `template` reports: the problem, where in the rendered
/// text, and the template line (`-` when unknown).
fn refusal(template: &str) -> String {
    match to_string(&sample_zone(), 7, &options(template)) {
        Ok(text) => format!("accepted:\n{text}"),
        Err(RenderError::Mismatch(mismatch)) => format!(
            "{}: {mismatch}",
            mismatch
                .at
                .map_or_else(|| "-".to_owned(), |at| format!("zone.j2:{at}"))
        ),
        Err(error) => format!("error: {error}"),
    }
}

#[test]
fn every_way_a_template_could_smuggle_text_is_refused_at_its_line() {
    let with = |extra: &str| format!("{DEFAULT_TEMPLATE}\n{extra}\n");
    let replaced = |from: &str, to: &str| DEFAULT_TEMPLATE.replace(from, to);
    let cases = [
        with("$INCLUDE /etc/hostname"),
        with("$GENERATE 1-5000 evil$ 60 IN A 10.66.0.1"),
        with("$ORIGIN other.\nwww 60 IN A 10.66.0.1"),
        with("smuggled 60 IN A 10.66.0.2"),
        with("{{ 'smuggled 60 IN A 10.66.0.2' }}"),
        with("\t60 IN A 10.66.0.3"),
        with("www 60 CH A 10.66.0.4"),
        replaced("{{ body }}", "; {{ body }}"),
        replaced("\t\t)\n", "\n"),
        replaced("{{ body }}", "\t{{ body }}"),
        replaced("{{ body }}", "\"{{ body }}"),
        replaced("{{ body }}", "{{ body }}\n{{ body }}"),
        replaced("{{ serial }}", "{{ serial + 1 }}"),
        replaced("$ORIGIN {{ origin }}", "$ORIGIN other."),
        format!(
            "{SOA_HEAD}{{{{ body | replace('zonegate-body', 'x') | replace('www\\t300', 'www\\t60') }}}}"
        ),
        format!(
            "{SOA_HEAD}{{{{ body | replace('zonegate-body', 'x') | replace('www\\t300\\tIN\\tCNAME\\tedge.lon.example.net.\\n', '') }}}}"
        ),
        format!(
            "{SOA_HEAD}{{% for r in records if r.type != 'SOA' and r.type != 'CAA' %}}{{{{ r.owner }}}} {{{{ r.ttl }}}} IN {{{{ r.type }}}} {{{{ r.data }}}}\n{{% endfor %}}"
        ),
    ];
    let outcomes: Vec<String> = cases.iter().map(|template| refusal(template)).collect();
    insta::assert_snapshot!(outcomes.join("\n"));
}

#[test]
fn a_template_that_only_lays_records_out_is_accepted() {
    // Comments, blank lines, `$TTL` anywhere, parentheses that close, the SOA by hand, the
    // records one by one from `records` with the TTL left to `$TTL` where it is the default.
    let template = format!(
        "; {{{{ origin }}}} by hand\n$TTL 3600\n{SOA_HEAD}\n{{% for r in records if r.type != 'SOA' %}}{{{{ r.owner }}}} {{% if r.ttl != 3600 %}}{{{{ r.ttl }}}} {{% endif %}}{{{{ r.type }}}} (\n  {{{{ r.data }}}} ) ; {{{{ loop.index }}}}\n{{% endfor %}}$TTL 60\n"
    );
    let text = refusal(&template);
    assert!(text.starts_with("accepted:\n"), "{text}");
    assert!(
        text.contains("\n@ 86400 NS (\n  ns1.example.net. ) ; 1\n"),
        "{text}"
    );
}

#[test]
fn a_budget_spent_on_one_zone_stops_the_zones_after_it_only() {
    let earlier = sample_zone();
    let (later, _) = Zone::from_records(
        name("z.example.net."),
        vec![record(
            "z.example.net.",
            60,
            RData::A("192.0.2.1".parse().unwrap()),
        )],
    );
    assert!(earlier.origin < later.origin);
    let abandon = std::sync::Arc::new(Abandon::default());
    let endless =
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}";
    let options = RenderOptions {
        limits: TemplateLimits {
            fuel: 10_000,
            ..TemplateLimits::DEFAULT
        },
        abandon: Some(std::sync::Arc::clone(&abandon)),
        ..options(endless)
    };
    let problem = |zone: &Zone| match to_string(zone, 1, &options) {
        Err(RenderError::Template(error)) => error.problem.to_string(),
        other => panic!("{other:?}"),
    };
    // The later zone runs out first; the earlier one still runs its own budget, so the error
    // reported first in zone order is its own, whatever order the threads ran in.
    assert_eq!(problem(&later), "engine ran out of fuel (in zone.j2:1)");
    assert_eq!(problem(&earlier), "engine ran out of fuel (in zone.j2:1)");
    // Now that the earlier zone ran out, the later one stops at its first check.
    assert_eq!(
        problem(&later),
        "stopped: the template ran out of a budget on an earlier zone"
    );
}
