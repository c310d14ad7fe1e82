//! The check of the `cname-at-apex` rule (its documentation is in `rules::check`).

use super::{Context, ZoneView};
use crate::diagnostic::Diagnostic;
use crate::dns::record_type::RecordType;
use crate::rules::check::CNAME_AT_APEX as RULE;

/// Reports a CNAME owned by the zone's origin.
pub(crate) fn check(_context: &Context<'_>, view: &ZoneView<'_>, out: &mut Vec<Diagnostic>) {
    let zone = view.zone;
    for cname in zone.rrset(&zone.origin, RecordType::Cname) {
        out.push(
            Diagnostic::error(
                RULE,
                Some(cname.provenance.span),
                format!(
                    "`{}` is the apex of its zone and cannot be a CNAME; the apex must hold the SOA and NS records",
                    zone.origin
                ),
            )
            .with_hint("publish A/AAAA records at the apex instead of the CNAME"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn addresses_at_the_apex_pass() {
        let zones = zone_set(&[
            "example.net. 300 NS ns1.example.org.",
            "example.net. 300 A 192.0.2.1",
            "www.example.net. 300 CNAME example.net.",
        ]);
        assert_eq!(check_zones(check, &zones), "");
    }

    #[test]
    fn a_cname_at_the_apex_is_reported() {
        let zones = zone_set(&[
            "example.net. 300 NS ns1.example.org.",
            "example.net. 300 CNAME edge.example.org.",
        ]);
        insta::assert_snapshot!(check_zones(check, &zones), @r"
        test.yaml:2:1: error[cname-at-apex]: `example.net.` is the apex of its zone and cannot be a CNAME; the apex must hold the SOA and NS records
          hint: publish A/AAAA records at the apex instead of the CNAME
        ");
    }
}
