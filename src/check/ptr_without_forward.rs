//! The check of the `ptr-without-forward` rule (its documentation is in `rules::check`).

use std::net::IpAddr;

use super::{ChainEnd, Context, Lookup, ZoneView, reverse_address};
use crate::diagnostic::Diagnostic;
use crate::dns::record_type::RecordType;
use crate::model::record::{RData, Record};
use crate::rules::check::PTR_WITHOUT_FORWARD as RULE;

/// Checks every PTR at an address name.
pub(crate) fn check(context: &Context<'_>, view: &ZoneView<'_>, out: &mut Vec<Diagnostic>) {
    let mut chain: Vec<&Record> = Vec::new();
    for record in &view.zone.records {
        let RData::Ptr(target) = &record.data else {
            continue;
        };
        let Some(address) = reverse_address(&record.name) else {
            continue;
        };
        let mut answer = context.lookup(target);
        let mut resolved = target;
        if let Some(alias) = answer.rrset(RecordType::Cname).first() {
            if context.follow_cnames(alias, &mut chain) != ChainEnd::Resolved {
                continue;
            }
            let Some(end) = chain.last().and_then(|last| last.data.target()) else {
                continue;
            };
            resolved = end;
            answer = context.lookup(end);
        }
        let kind = match address {
            IpAddr::V4(_) => RecordType::A,
            IpAddr::V6(_) => RecordType::Aaaa,
        };
        let via = if resolved == target {
            String::new()
        } else {
            format!(" (through the alias to `{resolved}`)")
        };
        let problem = match answer {
            Lookup::Unmanaged | Lookup::Delegated => continue,
            Lookup::NxDomain(_) => format!("which does not exist{via}"),
            Lookup::EmptyNonTerminal | Lookup::Found(_) => {
                let addresses = answer.rrset(kind);
                if addresses.iter().any(|a| same_address(&a.data, address)) {
                    continue;
                }
                format!("which has no {kind} record for {address}{via}")
            }
        };
        let mut diagnostic = Diagnostic::error(
            RULE,
            Some(record.provenance.span),
            format!(
                "PTR `{}` points at `{target}`, {problem}; forward-confirmed reverse DNS fails",
                record.name
            ),
        );
        if let Some(first) = answer.rrset(kind).first() {
            diagnostic = diagnostic.with_related(
                first.provenance.span,
                format!("`{resolved}` gets its {kind} records here"),
            );
        }
        out.push(diagnostic.with_hint(format!(
            "add `{resolved} {kind} {address}`, point the PTR at the name that has this address, or remove the PTR"
        )));
    }
}

fn same_address(data: &RData, address: IpAddr) -> bool {
    match (data, address) {
        (RData::A(a), IpAddr::V4(b)) => *a == b,
        (RData::Aaaa(a), IpAddr::V6(b)) => *a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    const ORIGINS: &[&str] = &[
        "example.net.",
        "2.0.192.in-addr.arpa.",
        "8.b.d.0.1.0.0.2.ip6.arpa.",
    ];

    #[test]
    fn ptrs_that_map_back_pass() {
        let v6 = crate::model::reverse_name("2001:db8::1".parse().unwrap()).to_string();
        let v6_line = format!("{v6} 300 PTR web1.example.net.");
        let zones = zone_set_with(
            ORIGINS,
            &[
                "web1.example.net. 300 A 192.0.2.1",
                "web1.example.net. 300 AAAA 2001:db8::1",
                "1.2.0.192.in-addr.arpa. 300 PTR web1.example.net.",
                &v6_line,
                "2.2.0.192.in-addr.arpa. 300 PTR alias.example.net.",
                "alias.example.net. 300 CNAME web2.example.net.",
                "web2.example.net. 300 A 192.0.2.2",
                "3.2.0.192.in-addr.arpa. 300 PTR mail.example.org.",
            ],
        );
        assert_eq!(check_zones(check, &zones), "");
    }

    #[test]
    fn ptrs_to_missing_names_or_other_addresses_are_reported() {
        let zones = zone_set_with(
            ORIGINS,
            &[
                "1.2.0.192.in-addr.arpa. 300 PTR gone.example.net.",
                "2.2.0.192.in-addr.arpa. 300 PTR web1.example.net.",
                "web1.example.net. 300 A 192.0.2.1",
                "3.2.0.192.in-addr.arpa. 300 PTR alias.example.net.",
                "alias.example.net. 300 CNAME web1.example.net.",
            ],
        );
        insta::assert_snapshot!(check_zones(check, &zones), @r"
        test.yaml:1:1: error[ptr-without-forward]: PTR `1.2.0.192.in-addr.arpa.` points at `gone.example.net.`, which does not exist; forward-confirmed reverse DNS fails
          hint: add `gone.example.net. A 192.0.2.1`, point the PTR at the name that has this address, or remove the PTR
        test.yaml:2:1: error[ptr-without-forward]: PTR `2.2.0.192.in-addr.arpa.` points at `web1.example.net.`, which has no A record for 192.0.2.2; forward-confirmed reverse DNS fails
          note: test.yaml:3:1: `web1.example.net.` gets its A records here
          hint: add `web1.example.net. A 192.0.2.2`, point the PTR at the name that has this address, or remove the PTR
        test.yaml:4:1: error[ptr-without-forward]: PTR `3.2.0.192.in-addr.arpa.` points at `alias.example.net.`, which has no A record for 192.0.2.3 (through the alias to `web1.example.net.`); forward-confirmed reverse DNS fails
          note: test.yaml:3:1: `web1.example.net.` gets its A records here
          hint: add `web1.example.net. A 192.0.2.3`, point the PTR at the name that has this address, or remove the PTR
        ");
    }
}
