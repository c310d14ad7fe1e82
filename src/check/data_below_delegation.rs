//! The check of the `data-below-delegation` rule (its documentation is in `rules::check`).

use super::{Context, ZoneView};
use crate::diagnostic::Diagnostic;
use crate::dns::name::Name;
use crate::dns::record_type::RecordType;
use crate::model::record::Record;
use crate::rules::check::DATA_BELOW_DELEGATION as RULE;

/// One pass in canonical order: a delegation point's subtree follows it directly.
pub(crate) fn check(_context: &Context<'_>, view: &ZoneView<'_>, out: &mut Vec<Diagnostic>) {
    let zone = view.zone;
    if view.cuts.is_empty() {
        return;
    }
    // The names delegations point at: their addresses below a cut are glue, not occluded data.
    // (A delegation below another one is itself occluded, so its servers do not count.)
    let mut servers: Vec<&Name> = Vec::new();
    for &cut in &view.cuts {
        for record in zone.rrset(cut, RecordType::Ns) {
            servers.extend(record.data.target());
        }
    }
    servers.sort_unstable();
    servers.dedup();

    let mut cuts = view.cuts.iter().peekable();
    let mut current: Option<&Name> = None;
    for node in view.nodes() {
        let name = &node[0].name;
        while let Some(&&cut) = cuts.peek() {
            if cut > name {
                break;
            }
            current = Some(cut);
            cuts.next();
        }
        let Some(cut) = current.filter(|cut| name.is_subdomain_of(cut)) else {
            continue;
        };
        let at_cut = name == cut;
        let is_glue_name = servers.binary_search(&name).is_ok();
        let occluded = |record: &&Record| {
            let kind = record.record_type();
            if at_cut {
                kind != RecordType::Ns
            } else {
                !(is_glue_name && matches!(kind, RecordType::A | RecordType::Aaaa))
            }
        };
        let Some(first) = node.iter().find(occluded) else {
            continue;
        };
        let mut types: Vec<&str> = Vec::new();
        for record in node.iter().filter(occluded) {
            let kind = record.record_type().as_str();
            if !types.contains(&kind) {
                types.push(kind);
            }
        }
        let message = if at_cut {
            format!(
                "`{name}` is delegated to other servers, so its {} record(s) in `{}` are never served; only NS records belong at a delegation",
                types.join(", "),
                zone.origin
            )
        } else {
            format!(
                "`{name}` is below the delegation of `{cut}`, so its {} record(s) in `{}` are never served",
                types.join(", "),
                zone.origin
            )
        };
        let mut diagnostic = Diagnostic::error(RULE, Some(first.provenance.span), message);
        if let Some(delegation) = zone.rrset(cut, RecordType::Ns).first() {
            diagnostic = diagnostic.with_related(
                delegation.provenance.span,
                format!("`{cut}` is delegated here"),
            );
        }
        out.push(diagnostic.with_hint(format!(
            "publish the record(s) in the zone that serves `{cut}`, or remove the delegation"
        )));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn delegations_with_glue_pass() {
        let zones = zone_set(&[
            "corp.example.net. 300 NS ns1.corp.example.net.",
            "corp.example.net. 300 NS ns1.lab.example.net.",
            "ns1.corp.example.net. 300 A 192.0.2.53",
            "ns1.corp.example.net. 300 AAAA 2001:db8::53",
            "lab.example.net. 300 NS ns1.lab.example.net.",
            "ns1.lab.example.net. 300 A 192.0.2.54",
            "corporate.example.net. 300 A 192.0.2.1",
        ]);
        assert_eq!(check_zones(check, &zones), "");
    }

    #[test]
    fn data_at_and_below_a_delegation_is_reported() {
        let zones = zone_set(&[
            "corp.example.net. 300 NS ns1.corp.example.net.",
            "corp.example.net. 300 A 192.0.2.80",
            "ns1.corp.example.net. 300 A 192.0.2.53",
            "ns1.corp.example.net. 300 TXT glue-does-not-need-this",
            "wiki.corp.example.net. 300 CNAME web1.example.net.",
            "web1.example.net. 300 A 192.0.2.1",
        ]);
        insta::assert_snapshot!(check_zones(check, &zones), @r"
        test.yaml:2:1: error[data-below-delegation]: `corp.example.net.` is delegated to other servers, so its A record(s) in `example.net.` are never served; only NS records belong at a delegation
          note: test.yaml:1:1: `corp.example.net.` is delegated here
          hint: publish the record(s) in the zone that serves `corp.example.net.`, or remove the delegation
        test.yaml:4:1: error[data-below-delegation]: `ns1.corp.example.net.` is below the delegation of `corp.example.net.`, so its TXT record(s) in `example.net.` are never served
          note: test.yaml:1:1: `corp.example.net.` is delegated here
          hint: publish the record(s) in the zone that serves `corp.example.net.`, or remove the delegation
        test.yaml:5:1: error[data-below-delegation]: `wiki.corp.example.net.` is below the delegation of `corp.example.net.`, so its CNAME record(s) in `example.net.` are never served
          note: test.yaml:1:1: `corp.example.net.` is delegated here
          hint: publish the record(s) in the zone that serves `corp.example.net.`, or remove the delegation
        ");
    }
}
