//! The check of the `ttl-mismatch` rule (its documentation is in `rules::check`).

use super::{Context, ZoneView};
use crate::diagnostic::Diagnostic;
use crate::rules::check::TTL_MISMATCH as RULE;

/// Reports each RRset whose TTLs differ, at the first record that differs from the first one.
pub(crate) fn check(_context: &Context<'_>, view: &ZoneView<'_>, out: &mut Vec<Diagnostic>) {
    for rrset in view.rrsets() {
        let first = &rrset[0];
        let Some(differing) = rrset.iter().find(|record| record.ttl != first.ttl) else {
            continue;
        };
        let mut ttls: Vec<u32> = rrset.iter().map(|record| record.ttl).collect();
        ttls.sort_unstable();
        ttls.dedup();
        let ttls: Vec<String> = ttls.iter().map(u32::to_string).collect();
        out.push(
            Diagnostic::error(
                RULE,
                Some(differing.provenance.span),
                format!(
                    "the {} RRset at `{}` has records with different TTLs ({}); all records of an RRset must have the same TTL",
                    first.record_type(),
                    first.name,
                    ttls.join(", ")
                ),
            )
            .with_related(
                first.provenance.span,
                format!("a record with TTL {} comes from here", first.ttl),
            )
            .with_hint("set the same `ttl:` on every record of the RRset (RFC 2181 section 5.2)"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn equal_ttls_pass_and_types_are_separate_rrsets() {
        let zones = zone_set(&[
            "shop.example.net. 300 A 192.0.2.1",
            "shop.example.net. 300 A 192.0.2.2",
            "shop.example.net. 600 AAAA 2001:db8::1",
        ]);
        assert_eq!(check_zones(check, &zones), "");
    }

    #[test]
    fn differing_ttls_are_reported_once_per_rrset() {
        let zones = zone_set(&[
            "shop.example.net. 300 A 192.0.2.1",
            "shop.example.net. 600 A 192.0.2.2",
            "shop.example.net. 900 A 192.0.2.3",
        ]);
        insta::assert_snapshot!(check_zones(check, &zones), @r"
        test.yaml:2:1: error[ttl-mismatch]: the A RRset at `shop.example.net.` has records with different TTLs (300, 600, 900); all records of an RRset must have the same TTL
          note: test.yaml:1:1: a record with TTL 300 comes from here
          hint: set the same `ttl:` on every record of the RRset (RFC 2181 section 5.2)
        ");
    }
}
