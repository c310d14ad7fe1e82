//! The check of the `multiple-cnames` rule (its documentation is in `rules::check`).

use super::{Context, ZoneView};
use crate::diagnostic::Diagnostic;
use crate::dns::record_type::RecordType;
use crate::rules::check::MULTIPLE_CNAMES as RULE;

/// Reports every CNAME RRset with more than one record, at the second record.
pub(crate) fn check(_context: &Context<'_>, view: &ZoneView<'_>, out: &mut Vec<Diagnostic>) {
    for rrset in view.rrsets() {
        if rrset[0].record_type() != RecordType::Cname || rrset.len() < 2 {
            continue;
        }
        let name = &rrset[0].name;
        let mut diagnostic = Diagnostic::error(
            RULE,
            Some(rrset[1].provenance.span),
            format!(
                "`{name}` has {} CNAME records; an alias can point at only one name",
                rrset.len()
            ),
        );
        for (index, record) in rrset.iter().enumerate() {
            if index == 1 {
                continue;
            }
            if let Some(target) = record.data.target() {
                diagnostic = diagnostic.with_related(
                    record.provenance.span,
                    format!("the CNAME to `{target}` comes from here"),
                );
            }
        }
        out.push(diagnostic.with_hint(
            "keep one CNAME; to spread load over several hosts, publish their A/AAAA records at this name instead",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn one_cname_per_name_passes() {
        let zones = zone_set(&[
            "www.example.net. 300 CNAME edge1.example.net.",
            "api.example.net. 300 CNAME edge1.example.net.",
        ]);
        assert_eq!(check_zones(check, &zones), "");
    }

    #[test]
    fn two_cnames_at_one_name_are_reported() {
        let zones = zone_set(&[
            "www.example.net. 300 CNAME edge1.example.net.",
            "www.example.net. 300 CNAME edge2.example.net.",
        ]);
        insta::assert_snapshot!(check_zones(check, &zones), @r"
        test.yaml:2:1: error[multiple-cnames]: `www.example.net.` has 2 CNAME records; an alias can point at only one name
          note: test.yaml:1:1: the CNAME to `edge1.example.net.` comes from here
          hint: keep one CNAME; to spread load over several hosts, publish their A/AAAA records at this name instead
        ");
    }
}
