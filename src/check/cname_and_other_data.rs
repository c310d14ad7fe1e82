//! The check of the `cname-and-other-data` rule (its documentation is in `rules::check`).

use super::{Context, ZoneView};
use crate::diagnostic::Diagnostic;
use crate::dns::record_type::RecordType;
use crate::rules::check::CNAME_AND_OTHER_DATA as RULE;

/// Reports every node below the apex with a CNAME and other records.
pub(crate) fn check(_context: &Context<'_>, view: &ZoneView<'_>, out: &mut Vec<Diagnostic>) {
    let zone = view.zone;
    for node in view.nodes() {
        let name = &node[0].name;
        if *name == zone.origin {
            continue;
        }
        let Some(cname) = node
            .iter()
            .find(|record| record.record_type() == RecordType::Cname)
        else {
            continue;
        };
        let mut others = node
            .iter()
            .filter(|record| record.record_type() != RecordType::Cname)
            .peekable();
        if others.peek().is_none() {
            continue;
        }
        let mut types: Vec<&str> = Vec::new();
        let mut diagnostic = Diagnostic::error(RULE, Some(cname.provenance.span), String::new());
        for other in others {
            let kind = other.record_type().as_str();
            if !types.contains(&kind) {
                types.push(kind);
                diagnostic = diagnostic.with_related(
                    other.provenance.span,
                    format!("the {kind} record at `{name}` comes from here"),
                );
            }
        }
        diagnostic.message = format!(
            "`{name}` has a CNAME and other data ({}); a CNAME must be the only record at its name",
            types.join(", ")
        );
        let target = cname
            .data
            .target()
            .map_or_else(String::new, ToString::to_string);
        out.push(diagnostic.with_hint(format!(
            "move the {} record(s) to `{target}` or another name, or replace the CNAME by the target's addresses (RFC 1034 section 3.6.2)",
            types.join("/")
        )));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn a_lone_cname_passes() {
        let zones = zone_set(&[
            "www.example.net. 300 CNAME web1.example.net.",
            "web1.example.net. 300 A 192.0.2.1",
            "web1.example.net. 300 TXT owner=web",
        ]);
        assert_eq!(check_zones(check, &zones), "");
    }

    #[test]
    fn a_cname_beside_other_data_is_reported_once_with_each_other_type() {
        let zones = zone_set(&[
            "shop.example.net. 300 CNAME web1.example.net.",
            "shop.example.net. 300 TXT owner=shop",
            "shop.example.net. 300 A 192.0.2.1",
            "shop.example.net. 300 A 192.0.2.2",
        ]);
        insta::assert_snapshot!(check_zones(check, &zones), @r"
        test.yaml:1:1: error[cname-and-other-data]: `shop.example.net.` has a CNAME and other data (A, TXT); a CNAME must be the only record at its name
          note: test.yaml:3:1: the A record at `shop.example.net.` comes from here
          note: test.yaml:2:1: the TXT record at `shop.example.net.` comes from here
          hint: move the A/TXT record(s) to `web1.example.net.` or another name, or replace the CNAME by the target's addresses (RFC 1034 section 3.6.2)
        ");
    }

    #[test]
    fn the_apex_is_left_to_cname_at_apex() {
        let zones = zone_set(&[
            "example.net. 300 NS ns1.example.org.",
            "example.net. 300 CNAME web1.example.org.",
        ]);
        assert_eq!(check_zones(check, &zones), "");
    }
}
