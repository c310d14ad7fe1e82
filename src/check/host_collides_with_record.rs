//! The `host-collides-with-record` rule.

use std::collections::HashMap;

use super::Context;
use crate::diagnostic::Diagnostic;
use crate::model::name::Name;
use crate::model::record::{Origin, RData, Record};

declare_rule! {
    /// ## What it does
    /// Reports a name that holds records of a CMDB host and records written by hand (in
    /// `zones/records/`) or set in `zonegate.yaml` (the SOA and NS of a zone apex or a
    /// delegation): a host named like a name server whose glue addresses are hand-edited, like
    /// a hand-edited CNAME, TXT or MX name, like a delegated zone or an apex; or a host address
    /// whose reverse name has a hand-edited PTR. The finding names the CMDB row and, as notes,
    /// each line the other records come from.
    ///
    /// ## Why it matters
    /// The host's records join the others without a word: a host exported as `ns1.example.net`
    /// adds its address to the glue of the name servers, so resolvers are sent to a machine that
    /// serves no DNS; a host named like a hand-edited name changes what that name answers, and a
    /// PTR beside a hand-edited one makes reverse lookups answer two names (RFC 1912 section 2.1
    /// asks for one). A name's records must come from one place, or a change to one source
    /// silently changes what the other published.
    ///
    /// ## Example
    /// ```text
    /// # zones/records/nameservers.yaml
    /// - { name: ns1, type: A, address: 192.0.2.53 }
    /// # zones/cmdb/servers.csv
    /// ns1.example.net,ams,r1,10.1.0.9,,,in_use
    /// ```
    ///
    /// ## How to fix
    /// Rename the host in the CMDB, or remove (or rename) the hand-edited records; records of a
    /// name server belong in the records files, where they are written on purpose.
    pub(crate) const RULE: Rule = {
        id: "host-collides-with-record",
        severity: Error,
        stage: Check,
        summary: "a CMDB host's records at a name that also has hand-edited or configured records",
    };
}

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
    let mut diagnostic = Diagnostic::error(RULE.id, Some(host.provenance.span), String::new());
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
