//! The check of the `cname-loop` rule (its documentation is in `rules::check`).

use std::fmt::Write as _;

use super::{ChainEnd, Context, ZoneView};
use crate::diagnostic::Diagnostic;
use crate::dns::record_type::RecordType;
use crate::model::record::Record;
use crate::rules::check::CNAME_LOOP as RULE;

/// Follows the chain from every CNAME in the zone and reports each loop once.
pub(crate) fn check(context: &Context<'_>, view: &ZoneView<'_>, out: &mut Vec<Diagnostic>) {
    let mut chain: Vec<&Record> = Vec::new();
    for rrset in view.rrsets() {
        let start = &rrset[0];
        if start.record_type() != RecordType::Cname {
            continue;
        }
        // Only a loop through the start is this start's to report, and only by its first member
        // in canonical order, so a loop of three names gives one finding, not three.
        if context.follow_cnames(start, &mut chain) != ChainEnd::Loop(0)
            || chain.iter().any(|member| member.name < start.name)
        {
            continue;
        }
        let mut path = String::new();
        for member in &chain {
            let _ = write!(path, "`{}` → ", member.name);
        }
        let _ = write!(path, "`{}`", start.name);
        let mut diagnostic = Diagnostic::error(
            RULE,
            Some(start.provenance.span),
            format!("CNAME loop: {path}"),
        );
        for member in &chain[1..] {
            if let Some(target) = member.data.target() {
                diagnostic = diagnostic.with_related(
                    member.provenance.span,
                    format!("`{}` points at `{target}` here", member.name),
                );
            }
        }
        out.push(diagnostic.with_hint(
            "resolvers answer SERVFAIL for every name in the loop; point one of them at a name with A/AAAA records",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn a_chain_that_ends_passes() {
        let zones = zone_set(&[
            "a.example.net. 300 CNAME b.example.net.",
            "b.example.net. 300 CNAME c.example.net.",
            "c.example.net. 300 A 192.0.2.1",
        ]);
        assert_eq!(check_zones(check, &zones), "");
    }

    #[test]
    fn a_loop_is_reported_once_at_its_first_member() {
        let zones = zone_set(&[
            "c.example.net. 300 CNAME a.example.net.",
            "a.example.net. 300 CNAME b.example.net.",
            "b.example.net. 300 CNAME c.example.net.",
            "x.example.net. 300 CNAME a.example.net.",
        ]);
        insta::assert_snapshot!(check_zones(check, &zones), @r"
        test.yaml:2:1: error[cname-loop]: CNAME loop: `a.example.net.` → `b.example.net.` → `c.example.net.` → `a.example.net.`
          note: test.yaml:3:1: `b.example.net.` points at `c.example.net.` here
          note: test.yaml:1:1: `c.example.net.` points at `a.example.net.` here
          hint: resolvers answer SERVFAIL for every name in the loop; point one of them at a name with A/AAAA records
        ");
    }

    #[test]
    fn loops_through_another_zone_and_a_self_loop_are_found() {
        let zones = zone_set_with(
            &["example.net.", "example.org."],
            &[
                "a.example.net. 300 CNAME a.example.org.",
                "a.example.org. 300 CNAME a.example.net.",
                "self.example.net. 300 CNAME self.example.net.",
            ],
        );
        insta::assert_snapshot!(check_zones(check, &zones), @r"
        test.yaml:1:1: error[cname-loop]: CNAME loop: `a.example.net.` → `a.example.org.` → `a.example.net.`
          note: test.yaml:2:1: `a.example.org.` points at `a.example.net.` here
          hint: resolvers answer SERVFAIL for every name in the loop; point one of them at a name with A/AAAA records
        test.yaml:3:1: error[cname-loop]: CNAME loop: `self.example.net.` → `self.example.net.`
          hint: resolvers answer SERVFAIL for every name in the loop; point one of them at a name with A/AAAA records
        ");
    }
}
