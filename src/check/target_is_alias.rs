//! The check of the `target-is-alias` rule (its documentation is in `rules::check`).

use super::{ChainEnd, Context, ZoneView, target_role};
use crate::diagnostic::Diagnostic;
use crate::dns::record_type::RecordType;
use crate::model::record::{RData, Record};
use crate::rules::check::TARGET_IS_ALIAS as RULE;

/// Reports SRV, MX and NS targets that own a CNAME.
pub(crate) fn check(context: &Context<'_>, view: &ZoneView<'_>, out: &mut Vec<Diagnostic>) {
    let mut chain: Vec<&Record> = Vec::new();
    for record in &view.zone.records {
        let Some(target) = (match &record.data {
            RData::Srv { target, .. }
            | RData::Mx {
                exchange: target, ..
            }
            | RData::Ns(target) => Some(target),
            _ => None,
        }) else {
            continue;
        };
        let Some(alias) = context.lookup(target).rrset(RecordType::Cname).first() else {
            continue;
        };
        let hint = match context.follow_cnames(alias, &mut chain) {
            ChainEnd::Resolved => {
                let canonical = chain
                    .last()
                    .and_then(|last| last.data.target())
                    .map_or_else(String::new, ToString::to_string);
                format!("point the {} record at `{canonical}`", record.record_type())
            }
            ChainEnd::Loop(_) | ChainEnd::Endless => format!(
                "point the {} record at a host with A/AAAA records; the alias chain never ends",
                record.record_type()
            ),
        };
        out.push(
            Diagnostic::error(
                RULE,
                Some(record.provenance.span),
                format!(
                    "{} `{target}` is an alias (CNAME); {} targets must be canonical names",
                    target_role(&record.data),
                    record.record_type()
                ),
            )
            .with_related(
                alias.provenance.span,
                format!("`{}` is a CNAME here", alias.name),
            )
            .with_hint(hint),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn canonical_targets_pass() {
        let zones = zone_set(&[
            "example.net. 300 MX 10 mail.example.net.",
            "mail.example.net. 300 A 192.0.2.25",
            "_sip._udp.example.net. 300 SRV 10 5 5060 sip.example.net.",
            "sip.example.net. 300 A 192.0.2.26",
            "www.example.net. 300 CNAME sip.example.net.",
        ]);
        assert_eq!(check_zones(check, &zones), "");
    }

    #[test]
    fn aliases_as_targets_are_reported_with_the_canonical_name() {
        let zones = zone_set(&[
            "_sip._udp.example.net. 300 SRV 10 5 5060 www.example.net.",
            "www.example.net. 300 CNAME edge.example.net.",
            "edge.example.net. 300 CNAME web1.example.net.",
            "web1.example.net. 300 A 192.0.2.1",
            "example.net. 300 MX 10 edge.example.net.",
        ]);
        insta::assert_snapshot!(check_zones(check, &zones), @r"
        test.yaml:1:1: error[target-is-alias]: SRV target `www.example.net.` is an alias (CNAME); SRV targets must be canonical names
          note: test.yaml:2:1: `www.example.net.` is a CNAME here
          hint: point the SRV record at `web1.example.net.`
        test.yaml:5:1: error[target-is-alias]: MX exchange `edge.example.net.` is an alias (CNAME); MX targets must be canonical names
          note: test.yaml:3:1: `edge.example.net.` is a CNAME here
          hint: point the MX record at `web1.example.net.`
        ");
    }
}
