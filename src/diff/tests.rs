//! The diff of two small revisions, checked record by record, and its reports.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Read};
use std::path::PathBuf;

use super::*;
use crate::inventory::files::{Entry, Files};

/// A repository held in memory: path -> content.
struct Memory(BTreeMap<String, String>);

impl Files for Memory {
    fn open(&self, path: &str) -> io::Result<Option<Box<dyn Read + '_>>> {
        Ok(self
            .0
            .get(path)
            .map(|text| Box::new(io::Cursor::new(text.as_bytes())) as Box<dyn Read>))
    }

    fn list(&self, directory: &str) -> io::Result<Vec<Entry>> {
        let prefix = format!("{directory}/");
        Ok(self
            .0
            .keys()
            .filter_map(|path| path.strip_prefix(&prefix))
            .filter(|rest| !rest.contains('/'))
            .map(Entry::file)
            .collect())
    }

    fn locate(&self, path: &str) -> PathBuf {
        PathBuf::from(path)
    }
}

fn base_files() -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    for (path, text) in [
        (
            "zones/zonegate.yaml",
            include_str!("../../tests/fixtures/base/zones/zonegate.yaml"),
        ),
        (
            "zones/cmdb/servers.csv",
            include_str!("../../tests/fixtures/base/zones/cmdb/servers.csv"),
        ),
        (
            "zones/services/web.yaml",
            include_str!("../../tests/fixtures/base/zones/services/web.yaml"),
        ),
        (
            "zones/services/api.yaml",
            include_str!("../../tests/fixtures/base/zones/services/api.yaml"),
        ),
        (
            "zones/records/edge.yaml",
            include_str!("../../tests/fixtures/base/zones/records/edge.yaml"),
        ),
    ] {
        files.insert(path.to_owned(), text.to_owned());
    }
    files
}

fn build(files: BTreeMap<String, String>) -> (Inventory, ZoneSet) {
    let inventory = crate::inventory::load(&Memory(files)).unwrap();
    let (zones, _) = crate::model::build(&inventory);
    (inventory, zones)
}

fn diff_of(base: BTreeMap<String, String>, head: BTreeMap<String, String>) -> Diff {
    let (base_inventory, base_zones) = build(base);
    let (head_inventory, head_zones) = build(head);
    diff(
        Side {
            inventory: &base_inventory,
            zones: &base_zones,
        },
        Side {
            inventory: &head_inventory,
            zones: &head_zones,
        },
    )
}

/// The large changes from `base` to `head` under the base's policy, with no file facts.
fn large_of(base: BTreeMap<String, String>, head: BTreeMap<String, String>) -> Vec<LargeChange> {
    large_with_files(
        base,
        head,
        &RevisionFiles::default(),
        &RevisionFiles::default(),
    )
}

fn large_with_files(
    base: BTreeMap<String, String>,
    head: BTreeMap<String, String>,
    base_files: &RevisionFiles,
    head_files: &RevisionFiles,
) -> Vec<LargeChange> {
    let (base_inventory, base_zones) = build(base);
    let (head_inventory, head_zones) = build(head);
    let base = Side {
        inventory: &base_inventory,
        zones: &base_zones,
    };
    let head = Side {
        inventory: &head_inventory,
        zones: &head_zones,
    };
    large_changes(
        &diff(base, head),
        base,
        head,
        large::FilePair {
            base: base_files,
            head: head_files,
        },
        &base_inventory.settings.policy,
    )
}

/// `cause: reason`, one per line.
fn lines_of(changes: &[LargeChange]) -> String {
    changes
        .iter()
        .map(LargeChange::line)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The base files with `path` edited by `edit`.
fn edited(path: &str, edit: impl FnOnce(&str) -> String) -> BTreeMap<String, String> {
    let mut files = base_files();
    let text = edit(&files[path]);
    files.insert(path.to_owned(), text);
    files
}

/// The sample change: ams loses both web hosts (one decommissioned, one dropped from the export),
/// nyc gains one, www gets a shorter TTL.
fn sample_head() -> BTreeMap<String, String> {
    let mut head = base_files();
    head.insert(
        "zones/cmdb/servers.csv".into(),
        "hostname,datacenter,rack,ipv4,ipv6,roles,status\n\
web1,ams,r1,10.1.0.1,2001:db8:1::1,web,decommissioned\n\
web3,nyc,r7,10.2.0.1,2001:db8:2::1,web;api,in_use\n\
api1,nyc,r7,10.2.0.2,,api,in_use\n\
new1,nyc,r8,10.2.0.9,,web,in_use\n\
old1,ams,r2,10.1.0.99,,web,decommissioned\n"
            .into(),
    );
    let records = head["zones/records/edge.yaml"].replace("ttl: 5m", "ttl: 1m");
    head.insert("zones/records/edge.yaml".into(), records);
    head
}

fn lines(zone: &ZoneDiff) -> Vec<String> {
    zone.changes
        .iter()
        .map(|change| {
            let mut line = String::new();
            report::change_line(change, &mut line);
            line
        })
        .collect()
}

#[test]
fn identical_revisions_have_an_empty_diff() {
    let diff = diff_of(base_files(), base_files());
    assert!(diff.is_empty());
    assert!(diff.services.is_empty() && diff.vanished.is_empty());
    assert!(diff.zones.iter().all(|zone| !zone.serial_changes));
    assert!(large_of(base_files(), base_files()).is_empty());
}

#[test]
fn the_sample_change_is_correct_to_the_record() {
    let diff = diff_of(base_files(), sample_head());
    let origins: Vec<String> = diff.zones.iter().map(|z| z.origin.to_string()).collect();
    assert_eq!(
        origins,
        [
            "10.in-addr.arpa.",
            "8.b.d.0.1.0.0.2.ip6.arpa.",
            "example.com."
        ]
    );
    let forward = &diff.zones[2];
    assert_eq!(
        lines(forward),
        [
            "- _web._tcp.ams.example.com. 300 IN SRV 10 10 443 web1.ams.example.com.",
            "- _web._tcp.ams.example.com. 300 IN SRV 10 10 443 web2.ams.example.com.",
            "- web1.ams.example.com. 3600 IN A 10.1.0.1",
            "- web1.ams.example.com. 3600 IN AAAA 2001:db8:1::1",
            "- web2.ams.example.com. 3600 IN A 10.1.0.2",
            "- web2.ams.example.com. 3600 IN AAAA 2001:db8:1::2",
            "+ _web._tcp.nyc.example.com. 300 IN SRV 10 10 443 new1.nyc.example.com.",
            "~ www.example.com. 300->60 IN CNAME web1.ams.example.com.",
        ]
    );
    assert_eq!(
        forward.counts,
        Counts {
            added: 1,
            removed: 6,
            changed: 1
        }
    );
    assert!(forward.serial_changes);
    assert_eq!(
        lines(&diff.zones[0]),
        [
            "- 1.0.1.10.in-addr.arpa. 3600 IN PTR web1.ams.example.com.",
            "- 2.0.1.10.in-addr.arpa. 3600 IN PTR web2.ams.example.com.",
        ]
    );

    let ams = &diff.datacenters[0];
    assert_eq!(
        (&*ams.name, ams.counts.removed, ams.counts.added),
        ("ams", 10, 0)
    );
    let nyc = &diff.datacenters[1];
    assert_eq!(
        (&*nyc.name, nyc.counts.removed, nyc.counts.added),
        ("nyc", 0, 1)
    );

    let services: Vec<(String, usize, usize, bool)> = diff
        .services
        .iter()
        .map(|s| {
            (
                s.owner.to_string(),
                s.base_targets,
                s.head_targets,
                s.loses_all(),
            )
        })
        .collect();
    assert_eq!(
        services,
        [
            ("_web._tcp.ams.example.com.".to_owned(), 2, 0, true),
            ("_web._tcp.nyc.example.com.".to_owned(), 1, 2, false),
        ]
    );
    assert_eq!(diff.services[0].group.service.as_deref(), Some("web"));
    assert_eq!(diff.services[0].group.datacenter.as_deref(), Some("ams"));

    let vanished: Vec<(String, VanishReason)> = diff
        .vanished
        .iter()
        .map(|v| (v.name.to_string(), v.reason.clone()))
        .collect();
    assert_eq!(
        vanished,
        [
            (
                "web1.ams.example.com.".to_owned(),
                VanishReason::Status("decommissioned".into())
            ),
            (
                "web2.ams.example.com.".to_owned(),
                VanishReason::NotExported
            ),
        ]
    );

    insta::assert_snapshot!(lines_of(&large_of(base_files(), sample_head())), @"
    service-loses-every-target: service web in ams (_web._tcp.ams.example.com.) loses all 2 of its SRV targets
    thresholds.zone_percent: zone 10.in-addr.arpa.: 2 of 10 records removed or changed (20.0%, above 10%)
    thresholds.zone_percent: zone 8.b.d.0.1.0.0.2.ip6.arpa.: 2 of 6 records removed or changed (33.3%, above 10%)
    thresholds.zone_percent: zone example.com.: 7 of 23 records removed or changed (30.4%, above 10%)
    thresholds.datacenter_percent: datacenter ams: 10 of 10 records removed or changed (100.0%, above 10%)
    ");
}

#[test]
fn the_sample_change_as_a_pull_request_comment() {
    let diff = diff_of(base_files(), sample_head());
    let large = large_of(base_files(), sample_head());
    let text = markdown::markdown(
        &diff,
        &report::Labels {
            base: "main",
            head: "drain-ams",
            large_changes: &large,
            rerun: Some("zonegate diff --base main --head drain-ams"),
        },
        markdown::COMMENT_BUDGET,
    );
    insta::assert_snapshot!(text);
}

/// The base fixture with `hosts` more web and api hosts in both datacenters, and the same
/// repository with every one of them decommissioned.
fn many_hosts(hosts: usize) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let mut base = base_files();
    let mut head = base_files();
    let mut base_export = base["zones/cmdb/servers.csv"].clone();
    let mut head_export = base_export.clone();
    for index in 0..hosts {
        let (datacenter, network) = if index % 2 == 0 {
            ("ams", 1)
        } else {
            ("nyc", 2)
        };
        let role = if index % 3 == 0 { "api" } else { "web" };
        let (high, low) = (index / 200 + 10, index % 200 + 1);
        let line = format!(
            "host{index},{datacenter},r9,10.{network}.{high}.{low},2001:db8:{network}::{high}:{low},{role},"
        );
        let _ = writeln!(base_export, "{line}in_use");
        let _ = writeln!(head_export, "{line}decommissioned");
    }
    base.insert("zones/cmdb/servers.csv".into(), base_export);
    head.insert("zones/cmdb/servers.csv".into(), head_export);
    (base, head)
}

fn labels(large: &[LargeChange]) -> report::Labels<'_> {
    report::Labels {
        base: "main",
        head: "decommission",
        large_changes: large,
        rerun: Some("zonegate diff --base main --head decommission"),
    }
}

#[test]
fn a_markdown_report_never_exceeds_its_budget_and_stays_well_formed() {
    let (base, head) = many_hosts(600);
    let diff = diff_of(base.clone(), head.clone());
    let mut large = large_of(base, head);
    // Reasons enough to fill a small budget on their own.
    let assertions = crate::change_class::class("base-assertions-changed").unwrap();
    large.extend((0..200).map(|index| LargeChange {
        cause: Cause::Class(assertions),
        reason: format!("assertion {index} of the base is removed"),
    }));
    let whole = markdown::markdown(&diff, &labels(&large), usize::MAX);
    assert!(whole.len() > 200_000, "{}", whole.len());
    for cut in ["Shortened", "not shown", "- and ", "> - and "] {
        assert!(
            !whole.contains(cut),
            "nothing is left out without a budget: {cut}"
        );
    }
    for budget in [
        markdown::MINIMUM_BUDGET,
        1_500,
        4_000,
        10_000,
        33_333,
        markdown::COMMENT_BUDGET,
        150_000,
    ] {
        let text = markdown::markdown(&diff, &labels(&large), budget);
        assert!(text.len() <= budget, "{budget}: {} bytes", text.len());
        assert!(
            text.len() > budget * 9 / 10,
            "{budget}: only {} bytes used",
            text.len()
        );
        assert!(
            text.starts_with(
                "### DNS diff: `main` → `decommission`
"
            ),
            "{text}"
        );
        assert!(
            text.contains("> **Large change**"),
            "{budget}: the warning is kept
{text}"
        );
        // 200 reasons and more take about 10,000 bytes: a smaller budget keeps some of them.
        assert_eq!(
            text.contains("> - and "),
            budget <= 60_000,
            "{budget}: {text}"
        );
        assert!(
            text.ends_with(
                "*Shortened to fit {budget} bytes: `zonegate diff --base main --head decommission` prints the whole difference.*
"
                    .replace("{budget}", &budget.to_string())
                    .as_str()
            ),
            "{budget}: {text}"
        );
        // Every fence and collapsed block that opens also closes.
        assert_eq!(text.matches("```").count() % 2, 0, "{budget}: {text}");
        assert_eq!(
            text.matches("<details>").count(),
            text.matches("</details>").count(),
            "{budget}: {text}"
        );
    }
}

#[test]
fn the_totals_and_the_blast_radius_come_before_the_record_lines() {
    let (base, head) = many_hosts(600);
    let diff = diff_of(base.clone(), head.clone());
    let large = large_of(base, head);
    let text = markdown::markdown(&diff, &labels(&large), markdown::COMMENT_BUDGET);
    let position = |needle: &str| {
        text.find(needle)
            .unwrap_or_else(|| panic!("{needle} missing:\n{text}"))
    };
    assert!(position("**0 added, ") < position("| zone |"));
    assert!(position("| zone |") < position("| datacenter |"));
    assert!(position("| datacenter |") < position("**Services whose SRV targets change**"));
    assert!(
        position("**Services whose SRV targets change**")
            < position("**Names that lose every address**")
    );
    assert!(position("**Names that lose every address**") < position("<details>"));
    // Each list that does not fit says how much it leaves out, and the counts add up.
    let shown_names = text
        .lines()
        .filter(|line| line.starts_with("- `host"))
        .count();
    let more_names: usize = text
        .lines()
        .find_map(|line| line.strip_prefix("- and ")?.strip_suffix(" more name(s)"))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(shown_names + more_names, diff.vanished.len());
    let records = diff
        .zones
        .iter()
        .map(|zone| zone.changes.len())
        .sum::<usize>();
    let shown_records = text
        .lines()
        .filter(|line| line.starts_with("- ") && line.contains(" IN "))
        .count();
    let more_records: usize = text
        .lines()
        .find_map(|line| line.strip_suffix(" more record(s) not shown."))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(shown_records + more_records, records);
}

#[test]
fn a_shortened_service_list_keeps_the_services_that_lose_every_target() {
    let (base, mut head) = many_hosts(600);
    // Only some hosts go: api loses every target in ams, web loses some everywhere.
    let base_export = base["zones/cmdb/servers.csv"].clone();
    let mut export = String::new();
    for (index, line) in base_export.lines().enumerate() {
        let drop = line.contains(",ams,") && line.contains(",api,")
            || line.starts_with("host") && index % 5 == 0;
        if drop {
            export.push_str(&line.replace(",in_use", ",decommissioned"));
        } else {
            export.push_str(line);
        }
        export.push('\n');
    }
    head.insert("zones/cmdb/servers.csv".into(), export);
    let diff = diff_of(base, head);
    assert!(diff.services.iter().any(ServiceDiff::loses_all));
    assert!(diff.services.iter().any(|service| !service.loses_all()));
    let text = markdown::markdown(&diff, &labels(&[]), markdown::MINIMUM_BUDGET * 2);
    let services: Vec<&str> = text
        .lines()
        .skip_while(|line| !line.starts_with("**Services"))
        .filter(|line| line.starts_with("- "))
        .take_while(|line| !line.starts_with("- and "))
        .collect();
    assert!(!services.is_empty(), "{text}");
    assert!(
        services.iter().all(|line| line.starts_with("- ⚠️ ")),
        "only services losing every target fit:\n{text}"
    );
}

#[test]
fn a_report_that_fits_has_no_note() {
    let diff = diff_of(base_files(), sample_head());
    let text = markdown::markdown(&diff, &labels(&[]), markdown::COMMENT_BUDGET);
    assert!(!text.contains("Shortened"), "{text}");
    assert!(!text.contains("not shown"), "{text}");
}

#[test]
fn revision_labels_with_backticks_stay_code() {
    assert_eq!(markdown::code_span("main"), "`main`");
    assert_eq!(markdown::code_span("a`b"), "`` a`b ``");
    assert_eq!(markdown::code_span("a``b`"), "``` a``b` ```");
}

#[test]
fn the_sample_change_for_people_and_programs() {
    let diff = diff_of(base_files(), sample_head());
    let labels = report::Labels {
        base: "main",
        head: "drain-ams",
        large_changes: &[],
        rerun: None,
    };
    let mut human = Vec::new();
    report::human(&mut human, &diff, &labels).unwrap();
    insta::assert_snapshot!(String::from_utf8(human).unwrap());
    let mut json = Vec::new();
    report::json(&mut json, &diff, &labels).unwrap();
    let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(value["totals"]["removed"], 10);
    assert_eq!(value["zones"][2]["changes"][7]["change"], "ttl");
    assert_eq!(value["zones"][2]["changes"][7]["from_ttl"], 300);
    assert_eq!(value["services"][0]["loses_all"], true);
    assert_eq!(value["vanished"][1]["name"], "web2.ams.example.com.");
}

#[test]
fn a_template_change_changes_serials_without_record_changes() {
    let mut head = base_files();
    head.insert(
        "zones/templates/zone.j2".into(),
        format!("; custom\n{}", crate::render::DEFAULT_TEMPLATE),
    );
    let diff = diff_of(base_files(), head.clone());
    assert!(diff.zones.iter().all(|zone| zone.counts.is_empty()));
    assert!(diff.zones.iter().all(|zone| zone.serial_changes));
    assert!(!diff.is_empty());
    insta::assert_snapshot!(lines_of(&large_of(base_files(), head.clone())), @"template-changed: zones/templates/zone.j2 is added: every zone file is rendered from it instead of the built-in template");
    let mut changed = head.clone();
    changed.insert(
        "zones/templates/zone.j2".into(),
        format!("; custom, again\n{}", crate::render::DEFAULT_TEMPLATE),
    );
    insta::assert_snapshot!(lines_of(&large_of(head.clone(), changed)), @"template-changed: zones/templates/zone.j2 is changed: every zone file is rendered from it");
    insta::assert_snapshot!(lines_of(&large_of(head, base_files())), @"template-changed: zones/templates/zone.j2 is removed: every zone file goes back to the built-in template");
}

#[test]
fn added_and_deleted_zones_count_whole() {
    let mut head = base_files();
    let settings = head["zones/zonegate.yaml"].replace(
        "reverse: [10.0.0.0/8, 2001:db8::/32]",
        "reverse: [10.0.0.0/8]",
    );
    head.insert("zones/zonegate.yaml".into(), settings);
    let diff = diff_of(base_files(), head);
    let deleted = &diff.zones[1];
    assert_eq!(deleted.origin.to_string(), "8.b.d.0.1.0.0.2.ip6.arpa.");
    assert_eq!(deleted.presence, Presence::Removed);
    assert_eq!(deleted.counts.removed, deleted.base_records);
    let settings = head_settings_without_ipv6();
    insta::assert_snapshot!(
        lines_of(&large_of(base_files(), edited("zones/zonegate.yaml", |_| settings.clone()))),
        @"
    zone-added-or-removed: zone 8.b.d.0.1.0.0.2.ip6.arpa. is removed (6 records are no longer served)
    thresholds.datacenter_percent: datacenter ams: 2 of 10 records removed or changed (20.0%, above 10%)
    "
    );
    insta::assert_snapshot!(
        lines_of(&large_of(edited("zones/zonegate.yaml", |_| settings), base_files())),
        @"zone-added-or-removed: zone 8.b.d.0.1.0.0.2.ip6.arpa. is added (6 records)"
    );
}

fn head_settings_without_ipv6() -> String {
    base_files()["zones/zonegate.yaml"].replace(
        "reverse: [10.0.0.0/8, 2001:db8::/32]",
        "reverse: [10.0.0.0/8]",
    )
}

#[test]
fn thresholds_are_strictly_above() {
    let lenient = |text: &str| {
        format!(
            "{text}policy:\n  thresholds: {{ zone_percent: 100, datacenter_percent: 100, service_percent: 100 }}\n"
        )
    };
    // Losing every target is large whatever the percentages say.
    insta::assert_snapshot!(
        lines_of(&large_of(
            edited("zones/zonegate.yaml", lenient),
            {
                let mut head = sample_head();
                let settings = lenient(&head["zones/zonegate.yaml"]);
                head.insert("zones/zonegate.yaml".into(), settings);
                head
            }
        )),
        @"service-loses-every-target: service web in ams (_web._tcp.ams.example.com.) loses all 2 of its SRV targets"
    );
}

#[test]
fn the_policy_and_the_check_rules_are_large_when_edited_not_when_moved() {
    let with_policy =
        |text: &str| format!("{text}policy:\n  approvals: 1\n  large_change_approvals: 2\n");
    let base = edited("zones/zonegate.yaml", with_policy);
    // The same policy, written in a flow mapping: no edit.
    let rewritten = edited("zones/zonegate.yaml", |text| {
        format!("{text}policy: {{ large_change_approvals: 2, approvals: 1 }}\n")
    });
    assert!(large_of(base.clone(), rewritten).is_empty());
    let lowered = edited("zones/zonegate.yaml", |text| {
        format!(
            "{text}policy:\n  approvals: 1\n  large_change_approvals: 1\n  thresholds: {{ zone_percent: 100 }}\ncheck:\n  rules: {{ dangling-target: off }}\n"
        )
    });
    insta::assert_snapshot!(lines_of(&large_of(base, lowered)), @"
    policy-changed: policy in zones/zonegate.yaml is edited: large_change_approvals 2 -> 1; thresholds.zone_percent 10 -> 100
    check-rules-changed: check.rules in zones/zonegate.yaml is edited: dangling-target set to off
    ");
}

#[test]
fn codeowners_signers_and_the_base_assertions_are_file_facts() {
    let assertion =
        "- it: www resolves\n  query: www.example.com.\n  expect: { resolves_to: [10.1.0.1] }\n";
    let base = RevisionFiles {
        codeowners: vec![("CODEOWNERS".into(), b"* @dns\n".to_vec())],
        allowed_signers: Some((
            ".zonegate/allowed_signers".into(),
            b"bob ssh-ed25519 AAAA\n".to_vec(),
        )),
        assertions: vec![("assertions/www.yaml".into(), assertion.as_bytes().to_vec())],
        freeze: None,
    };
    assert!(large_with_files(base_files(), base_files(), &base, &base.clone()).is_empty());
    let head = RevisionFiles {
        codeowners: vec![(".github/CODEOWNERS".into(), b"* @dns\n".to_vec())],
        allowed_signers: Some((
            ".zonegate/allowed_signers".into(),
            b"bob ssh-ed25519 AAAB\n".to_vec(),
        )),
        assertions: Vec::new(),
        freeze: None,
    };
    insta::assert_snapshot!(lines_of(&large_with_files(base_files(), base_files(), &base, &head)), @r#"
    codeowners-changed: .github/CODEOWNERS is added, CODEOWNERS is removed: who must approve a change to which file changes
    allowed-signers-changed: .zonegate/allowed_signers is edited: whose signed reviews count on the local forge changes
    base-assertions-changed: assertion "www resolves" (assertions/www.yaml:1) is removed or changed
    "#);
    // A head that does not load: the file facts still count.
    let (inventory, _) = build(base_files());
    assert_eq!(
        large::file_changes(
            large::FilePair {
                base: &base,
                head: &head
            },
            &inventory.settings.policy
        )
        .len(),
        3
    );
}

#[test]
fn the_apex_ns_and_soa_are_large_in_every_zone_they_change() {
    let head = edited("zones/zonegate.yaml", |text| {
        text.replace(
            "nameservers: [ns1.example.com., ns2.example.com.]",
            "nameservers: [ns1.example.com., ns3.provider.example.org.]",
        )
        .replace(
            "  contact: hostmaster@example.com\n",
            "  contact: hostmaster@example.com\n  expire: 1h\n",
        )
    });
    insta::assert_snapshot!(lines_of(&large_of(base_files(), head)), @"
    apex-ns-changed: zone 10.in-addr.arpa.: the apex NS records change: ns2.example.com. removed; ns3.provider.example.org. added
    apex-ns-changed: zone 8.b.d.0.1.0.0.2.ip6.arpa.: the apex NS records change: ns2.example.com. removed; ns3.provider.example.org. added
    apex-ns-changed: zone example.com.: the apex NS records change: ns2.example.com. removed; ns3.provider.example.org. added
    apex-soa-changed: zone 10.in-addr.arpa.: the SOA record changes: expire 1209600 -> 3600
    apex-soa-changed: zone 8.b.d.0.1.0.0.2.ip6.arpa.: the SOA record changes: expire 1209600 -> 3600
    apex-soa-changed: zone example.com.: the SOA record changes: expire 1209600 -> 3600
    thresholds.zone_percent: zone 10.in-addr.arpa.: 2 of 10 records removed or changed (20.0%, above 10%)
    thresholds.zone_percent: zone 8.b.d.0.1.0.0.2.ip6.arpa.: 2 of 6 records removed or changed (33.3%, above 10%)
    ");
}

/// Records appended to the base's `edge.yaml`.
fn with_records(records: &str) -> BTreeMap<String, String> {
    edited("zones/records/edge.yaml", |text| format!("{text}{records}"))
}

const CORP: &str = "  - { name: corp, type: NS, target: ns1.corp.example.com. }\n  - { name: corp, type: NS, target: ns2.corp.example.com. }\n  - { name: ns1.corp, type: A, address: 10.0.0.153 }\n  - { name: ns2.corp, type: A, address: 10.0.0.154 }\n";

#[test]
fn a_delegation_added_removed_re_pointed_or_with_new_glue_is_large() {
    let delegated = with_records(CORP);
    insta::assert_snapshot!(lines_of(&large_of(base_files(), delegated.clone())), @"delegation-changed: corp.example.com. (zone example.com.) is delegated to ns1.corp.example.com., ns2.corp.example.com.; its glue changes: + ns1.corp.example.com. 3600 IN A 10.0.0.153, + ns2.corp.example.com. 3600 IN A 10.0.0.154");
    insta::assert_snapshot!(lines_of(&large_of(delegated.clone(), base_files())), @"
    delegation-changed: corp.example.com. (zone example.com.) is no longer delegated to ns1.corp.example.com., ns2.corp.example.com.; its glue changes: - ns1.corp.example.com. 3600 IN A 10.0.0.153, - ns2.corp.example.com. 3600 IN A 10.0.0.154
    thresholds.zone_percent: zone example.com.: 4 of 27 records removed or changed (14.8%, above 10%)
    ");
    let re_pointed = with_records(
        "  - { name: corp, type: NS, target: ns1.provider.example.org. }\n  - { name: corp, type: NS, target: ns2.provider.example.org. }\n",
    );
    insta::assert_snapshot!(lines_of(&large_of(delegated.clone(), re_pointed)), @"
    delegation-changed: corp.example.com. (zone example.com.) is re-pointed from ns1.corp.example.com., ns2.corp.example.com. to ns1.provider.example.org., ns2.provider.example.org.; its glue changes: - ns1.corp.example.com. 3600 IN A 10.0.0.153, - ns2.corp.example.com. 3600 IN A 10.0.0.154
    thresholds.zone_percent: zone example.com.: 4 of 27 records removed or changed (14.8%, above 10%)
    ");
    let new_glue = with_records(&CORP.replace("10.0.0.154", "10.0.0.155"));
    insta::assert_snapshot!(lines_of(&large_of(delegated, new_glue)), @"delegation-changed: corp.example.com. (zone example.com.) keeps its name servers; its glue changes: - ns2.corp.example.com. 3600 IN A 10.0.0.154, + ns2.corp.example.com. 3600 IN A 10.0.0.155");
}

#[test]
fn mx_caa_wildcards_and_tenfold_ttl_cuts_are_large_small_ttl_cuts_are_not() {
    let head = edited("zones/records/edge.yaml", |text| {
        let text = text
            .replace(
                "exchange: web3.nyc.example.com.",
                "exchange: api1.nyc.example.com.",
            )
            .replace("ttl: 5m", "ttl: 10s");
        format!(
            "{text}  - {{ name: \"@\", type: CAA, flags: 0, tag: issue, value: letsencrypt.org }}\n  - {{ name: \"*.edge\", type: CNAME, target: web3.nyc.example.com. }}\n"
        )
    });
    insta::assert_snapshot!(lines_of(&large_of(base_files(), head)), @r#"
    mx-changed: zone example.com.: MX records change: + example.com. 3600 IN MX 10 api1.nyc.example.com., - example.com. 3600 IN MX 10 web3.nyc.example.com.
    caa-changed: zone example.com.: CAA records change: + example.com. 3600 IN CAA 0 issue "letsencrypt.org"
    wildcard-changed: zone example.com.: wildcard records change: + *.edge.example.com. 3600 IN CNAME web3.nyc.example.com.
    ttl-cut: zone example.com.: TTLs are cut more than tenfold: www.example.com. CNAME 300 -> 10
    "#);
    let fivefold = edited("zones/records/edge.yaml", |text| {
        text.replace("ttl: 5m", "ttl: 1m")
    });
    assert!(large_of(base_files(), fivefold).is_empty());
}

#[test]
fn a_site_narrows_the_classes_in_its_policy() {
    let narrowed = |text: &str| format!("{text}policy:\n  large_change_classes: [ttl-cut]\n");
    let base = edited("zones/zonegate.yaml", narrowed);
    let mut head = sample_head();
    let settings = narrowed(&head["zones/zonegate.yaml"]);
    head.insert("zones/zonegate.yaml".into(), settings);
    let head = {
        let records = head["zones/records/edge.yaml"].replace("ttl: 1m", "ttl: 10s");
        head.insert("zones/records/edge.yaml".into(), records);
        head
    };
    let causes: Vec<&str> = large_of(base, head)
        .iter()
        .map(|change| change.cause.id())
        .collect();
    assert_eq!(
        causes,
        [
            "ttl-cut",
            "thresholds.zone_percent",
            "thresholds.zone_percent",
            "thresholds.zone_percent",
            "thresholds.datacenter_percent"
        ]
    );
}
