//! The check of the `missing-glue` rule (its documentation is in `rules::check`).

use super::{Context, ZoneView};
use crate::diagnostic::Diagnostic;
use crate::dns::record_type::RecordType;
use crate::rules::check::MISSING_GLUE as RULE;

/// Reports every in-bailiwick NS target of a delegation with no A/AAAA in this zone.
pub(crate) fn check(_context: &Context<'_>, view: &ZoneView<'_>, out: &mut Vec<Diagnostic>) {
    let zone = view.zone;
    if view.cuts.is_empty() {
        return;
    }
    for rrset in view.rrsets() {
        let cut = &rrset[0].name;
        if rrset[0].record_type() != RecordType::Ns || *cut == zone.origin {
            continue;
        }
        for record in rrset {
            let Some(server) = record.data.target() else {
                continue;
            };
            if !server.is_subdomain_of(cut)
                || !zone.rrset(server, RecordType::A).is_empty()
                || !zone.rrset(server, RecordType::Aaaa).is_empty()
            {
                continue;
            }
            let relative = {
                let mut text = String::new();
                server.write_relative(&zone.origin, &mut text);
                text
            };
            out.push(
                Diagnostic::error(
                    RULE,
                    Some(record.provenance.span),
                    format!(
                        "the delegation of `{cut}` to `{server}` has no glue: the name server is inside the zone it serves, and `{}` has no A or AAAA record for it",
                        zone.origin
                    ),
                )
                .with_hint(format!(
                    "add `{{ name: {relative}, type: A, address: ... }}` (and/or AAAA) with the name server's address"
                )),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn glued_and_out_of_bailiwick_delegations_pass() {
        let zones = zone_set(&[
            "corp.example.net. 300 NS ns1.corp.example.net.",
            "corp.example.net. 300 NS ns.provider.example.",
            "ns1.corp.example.net. 300 A 192.0.2.53",
            "lab.example.net. 300 NS ns2.corp.example.net.",
        ]);
        assert_eq!(check_zones(check, &zones), "");
    }

    #[test]
    fn an_in_bailiwick_server_without_addresses_is_reported() {
        let zones = zone_set(&[
            "corp.example.net. 300 NS ns1.corp.example.net.",
            "corp.example.net. 300 NS ns2.corp.example.net.",
            "ns2.corp.example.net. 300 AAAA 2001:db8::53",
        ]);
        insta::assert_snapshot!(check_zones(check, &zones), @r"
        test.yaml:1:1: error[missing-glue]: the delegation of `corp.example.net.` to `ns1.corp.example.net.` has no glue: the name server is inside the zone it serves, and `example.net.` has no A or AAAA record for it
          hint: add `{ name: ns1.corp, type: A, address: ... }` (and/or AAAA) with the name server's address
        ");
    }
}
