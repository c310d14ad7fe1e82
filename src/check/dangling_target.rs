//! The check of the `dangling-target` rule (its documentation is in `rules::check`).

use super::{Context, Lookup, ZoneView, target_role};
use crate::diagnostic::Diagnostic;
use crate::dns::record_type::RecordType;
use crate::model::record::RData;
use crate::rules::check::DANGLING_TARGET as RULE;

/// Looks up the target of every CNAME, SRV, MX and NS record.
pub(crate) fn check(context: &Context<'_>, view: &ZoneView<'_>, out: &mut Vec<Diagnostic>) {
    for record in &view.zone.records {
        let needs_address = match record.data {
            RData::Cname(_) => false,
            RData::Srv { .. } | RData::Mx { .. } | RData::Ns(_) => true,
            _ => continue,
        };
        let Some(target) = record.data.target() else {
            continue;
        };
        if target.is_root() {
            continue;
        }
        let role = target_role(&record.data);
        let problem = match context.lookup(target) {
            Lookup::Unmanaged | Lookup::Delegated => continue,
            Lookup::NxDomain(zone) => format!(
                "{role} `{target}` does not exist; zone `{}` is managed here and has no such name",
                zone.origin
            ),
            Lookup::EmptyNonTerminal if needs_address => format!(
                "{role} `{target}` has no A or AAAA record (only names below it own records)"
            ),
            Lookup::EmptyNonTerminal => format!(
                "{role} `{target}` owns no records (only names below it do), so every query through `{}` gets an empty answer",
                record.name
            ),
            found @ Lookup::Found(_) => {
                if !needs_address
                    || found.has_address()
                    || !found.rrset(RecordType::Cname).is_empty()
                {
                    continue;
                }
                format!("{role} `{target}` has no A or AAAA record")
            }
        };
        out.push(
            Diagnostic::error(RULE, Some(record.provenance.span), problem).with_hint(format!(
                "fix the target, add the records for `{target}`, or remove this {} record",
                record.record_type()
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn targets_that_exist_or_are_not_managed_pass() {
        let zones = zone_set(&[
            "example.net. 300 NS ns1.example.net.",
            "example.net. 300 MX 10 mail.example.org.",
            "ns1.example.net. 300 A 192.0.2.53",
            "www.example.net. 300 CNAME web.example.net.",
            "web.example.net. 300 AAAA 2001:db8::1",
            "_sip._udp.example.net. 300 SRV 10 5 5060 sip.dyn.example.net.",
            "*.dyn.example.net. 300 A 192.0.2.9",
            "_none._tcp.example.net. 300 SRV 0 0 0 .",
            "corp.example.net. 300 NS ns1.corp.example.net.",
            "intranet.example.net. 300 CNAME wiki.corp.example.net.",
            "txt.example.net. 300 CNAME info.example.net.",
            "info.example.net. 300 TXT hello",
        ]);
        assert_eq!(check_zones(check, &zones), "");
    }

    #[test]
    fn missing_targets_and_targets_without_addresses_are_reported() {
        let zones = zone_set(&[
            "docs.example.net. 300 CNAME docs-host.ams.example.net.",
            "example.net. 300 MX 10 mail.example.net.",
            "mail.example.net. 300 TXT v=spf1",
            "_sip._udp.example.net. 300 SRV 10 5 5060 ams.example.net.",
            "web1.ams.example.net. 300 A 192.0.2.1",
            "alias.example.net. 300 CNAME ams.example.net.",
        ]);
        insta::assert_snapshot!(check_zones(check, &zones), @r"
        test.yaml:1:1: error[dangling-target]: CNAME target `docs-host.ams.example.net.` does not exist; zone `example.net.` is managed here and has no such name
          hint: fix the target, add the records for `docs-host.ams.example.net.`, or remove this CNAME record
        test.yaml:2:1: error[dangling-target]: MX exchange `mail.example.net.` has no A or AAAA record
          hint: fix the target, add the records for `mail.example.net.`, or remove this MX record
        test.yaml:4:1: error[dangling-target]: SRV target `ams.example.net.` has no A or AAAA record (only names below it own records)
          hint: fix the target, add the records for `ams.example.net.`, or remove this SRV record
        test.yaml:6:1: error[dangling-target]: CNAME target `ams.example.net.` owns no records (only names below it do), so every query through `alias.example.net.` gets an empty answer
          hint: fix the target, add the records for `ams.example.net.`, or remove this CNAME record
        ");
    }
}
