//! The check of the `host-collides-with-record` rule (its documentation is in `rules::check`).

use std::collections::HashMap;

use super::Context;
use crate::diagnostic::Diagnostic;
use crate::dns::name::Name;
use crate::model::record::{Origin, RData, Record};
use crate::rules::check::HOST_COLLIDES_WITH_RECORD as RULE;

/// The most other sources listed as notes on one finding.
const MAX_NOTES: usize = 5;

/// Reports every owner with records of a CMDB host beside records of another source, exact
/// duplicates the zone removed included (a hand-edited copy of a host's own address).
pub(crate) fn check(context: &Context<'_>, out: &mut Vec<Diagnostic>) {
    // The removed duplicates of host or non-host records, by owner: few, and only they need a
    // look-up, so the walk below stays free of allocation.
    let mut removed: HashMap<&Name, Vec<&Record>> = HashMap::new();
    for duplicate in &context.zones.duplicates {
        if !matches!(duplicate.provenance.origin, Origin::Service { .. }) {
            removed.entry(&duplicate.name).or_default().push(duplicate);
        }
    }
    for view in &context.views {
        for node in view.nodes() {
            let extra = removed.get(&node[0].name).map_or(&[][..], Vec::as_slice);
            report(node.iter().chain(extra.iter().copied()), out);
        }
    }
}

/// The finding for one owner's records, if a host's are among them beside others.
fn report<'a>(records: impl Iterator<Item = &'a Record> + Clone, out: &mut Vec<Diagnostic>) {
    let Some(host) = records
        .clone()
        .find(|record| matches!(record.provenance.origin, Origin::Host(_)))
    else {
        return;
    };
    let mut others = records
        .filter(|record| {
            matches!(
                record.provenance.origin,
                Origin::HandEdited | Origin::Settings
            )
        })
        .peekable();
    if others.peek().is_none() {
        return;
    }
    let name = &host.name;
    let mut types: Vec<&str> = Vec::new();
    let mut diagnostic = Diagnostic::error(RULE, Some(host.provenance.span), String::new());
    let mut sources: Vec<&str> = Vec::new();
    let mut notes = 0;
    for other in others {
        let kind = other.record_type().as_str();
        if !types.contains(&kind) {
            types.push(kind);
        }
        let source = match other.provenance.origin {
            Origin::Settings => "configured in zonegate.yaml",
            _ => "written by hand",
        };
        if !sources.contains(&source) {
            sources.push(source);
        }
        if notes < MAX_NOTES {
            notes += 1;
            diagnostic = diagnostic.with_related(
                other.provenance.span,
                format!("the {kind} record at `{name}` {source} is here"),
            );
        }
    }
    let (types, sources) = (types.join(", "), sources.join(" and "));
    diagnostic.message = match &host.data {
        RData::Ptr(target) => format!(
            "`{name}`, the reverse name of an address of CMDB host `{target}`, also has {types} record(s) {sources}"
        ),
        _ => format!(
            "CMDB host `{name}` shares its name with {types} record(s) {sources}; the name would answer with both"
        ),
    };
    out.push(diagnostic.with_hint(
        "a name's records come from one place: rename the host in the CMDB, or remove or rename the other records",
    ));
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    /// The records of `lines` (line N is line N), those numbered in `hosts` coming from the
    /// CMDB.
    fn zones_with_hosts(lines: &[&str], hosts: &[usize]) -> crate::model::zone::ZoneSet {
        let mut zones = zone_set_with(&["example.net.", "10.in-addr.arpa."], lines);
        for zone in &mut zones.zones {
            for record in &mut zone.records {
                if hosts.contains(&(record.provenance.span.line as usize)) {
                    record.provenance.origin = Origin::Host(0);
                }
            }
        }
        for record in &mut zones.duplicates {
            if hosts.contains(&(record.provenance.span.line as usize)) {
                record.provenance.origin = Origin::Host(0);
            }
        }
        zones
    }

    #[test]
    fn hosts_with_names_of_their_own_pass() {
        let zones = zones_with_hosts(
            &[
                "web1.ams.example.net. 300 A 10.1.0.1",
                "1.0.1.10.in-addr.arpa. 300 PTR web1.ams.example.net.",
                "ns1.example.net. 300 A 10.0.0.53",
                "www.example.net. 300 CNAME web1.ams.example.net.",
                "web1.ams.example.net. 300 AAAA 2001:db8::1",
            ],
            &[1, 2, 5],
        );
        assert_eq!(check_set(check, &zones), "");
    }

    // Security review: a host named like a name server added its address to the glue, and a
    // host named like any hand-edited name joined its records, without a word.
    #[test]
    fn a_host_beside_hand_edited_records_is_reported_at_its_row_and_theirs() {
        let zones = zones_with_hosts(
            &[
                "ns1.example.net. 300 A 10.1.0.9",
                "ns1.example.net. 300 A 10.0.0.53",
                "ns1.example.net. 300 AAAA 2001:db8::53",
                "53.0.0.10.in-addr.arpa. 300 PTR ns1.example.net.",
                "53.0.0.10.in-addr.arpa. 300 PTR db1.example.net.",
                "www.example.net. 300 TXT owner=web",
                "www.example.net. 300 A 10.1.0.80",
                // A hand-edited copy of a host's own address: the zone keeps one of the two.
                "db1.example.net. 300 A 10.0.0.53",
                "db1.example.net. 300 A 10.0.0.53",
            ],
            &[1, 5, 7, 8],
        );
        insta::assert_snapshot!(check_set(check, &zones), @"
        test.yaml:1:1: error[host-collides-with-record]: CMDB host `ns1.example.net.` shares its name with A, AAAA record(s) written by hand; the name would answer with both
          note: test.yaml:2:1: the A record at `ns1.example.net.` written by hand is here
          note: test.yaml:3:1: the AAAA record at `ns1.example.net.` written by hand is here
          hint: a name's records come from one place: rename the host in the CMDB, or remove or rename the other records
        test.yaml:5:1: error[host-collides-with-record]: `53.0.0.10.in-addr.arpa.`, the reverse name of an address of CMDB host `db1.example.net.`, also has PTR record(s) written by hand
          note: test.yaml:4:1: the PTR record at `53.0.0.10.in-addr.arpa.` written by hand is here
          hint: a name's records come from one place: rename the host in the CMDB, or remove or rename the other records
        test.yaml:7:1: error[host-collides-with-record]: CMDB host `www.example.net.` shares its name with TXT record(s) written by hand; the name would answer with both
          note: test.yaml:6:1: the TXT record at `www.example.net.` written by hand is here
          hint: a name's records come from one place: rename the host in the CMDB, or remove or rename the other records
        test.yaml:8:1: error[host-collides-with-record]: CMDB host `db1.example.net.` shares its name with A record(s) written by hand; the name would answer with both
          note: test.yaml:9:1: the A record at `db1.example.net.` written by hand is here
          hint: a name's records come from one place: rename the host in the CMDB, or remove or rename the other records
        ");
    }
}
