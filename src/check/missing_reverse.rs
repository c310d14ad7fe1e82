//! The check of the `missing-reverse` rule (its documentation is in `rules::check`).

use std::net::IpAddr;

use ipnet::IpNet;

use super::{Context, ZoneView, reverse_address, reverse_prefix};
use crate::diagnostic::Diagnostic;
use crate::model::record::RData;
use crate::rules::check::MISSING_REVERSE as RULE;

/// A managed reverse zone: its range and the parts of it delegated elsewhere.
struct ReverseZone<'a> {
    prefix: IpNet,
    delegated: Vec<IpNet>,
    view: &'a ZoneView<'a>,
}

/// Collects the addresses that have a PTR (one sorted vector per family), then looks up every
/// forward address.
pub(crate) fn check(context: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let reverse_zones: Vec<ReverseZone<'_>> = context
        .views
        .iter()
        .filter_map(|view| {
            let prefix = reverse_prefix(&view.zone.origin)?;
            let delegated = view
                .cuts
                .iter()
                .filter_map(|cut| reverse_prefix(cut))
                .collect();
            Some(ReverseZone {
                prefix,
                delegated,
                view,
            })
        })
        .collect();
    if reverse_zones.is_empty() {
        return;
    }
    let mut v4: Vec<u32> = Vec::new();
    let mut v6: Vec<u128> = Vec::new();
    for zone in &reverse_zones {
        for record in &zone.view.zone.records {
            if !matches!(record.data, RData::Ptr(_)) {
                continue;
            }
            match reverse_address(&record.name) {
                Some(IpAddr::V4(address)) => v4.push(address.into()),
                Some(IpAddr::V6(address)) => v6.push(address.into()),
                None => {}
            }
        }
    }
    v4.sort_unstable();
    v4.dedup();
    v6.sort_unstable();
    v6.dedup();

    for view in &context.views {
        if reverse_prefix(&view.zone.origin).is_some() {
            continue;
        }
        for record in &view.zone.records {
            let (address, has_ptr) = match record.data {
                RData::A(address) => (
                    IpAddr::V4(address),
                    v4.binary_search(&address.into()).is_ok(),
                ),
                RData::Aaaa(address) => (
                    IpAddr::V6(address),
                    v6.binary_search(&address.into()).is_ok(),
                ),
                _ => continue,
            };
            if has_ptr {
                continue;
            }
            let Some(reverse) = reverse_zones
                .iter()
                .filter(|zone| zone.prefix.contains(&address))
                .max_by_key(|zone| zone.prefix.prefix_len())
            else {
                continue;
            };
            if reverse
                .delegated
                .iter()
                .any(|prefix| prefix.contains(&address))
                || view.cut_above(&record.name).is_some()
            {
                continue;
            }
            let ptr_name = crate::model::reverse_name(address);
            out.push(
                Diagnostic::warning(
                    RULE,
                    Some(record.provenance.span),
                    format!(
                        "`{}` has address {address}, but the managed reverse zone `{}` has no PTR record for it",
                        record.name, reverse.view.zone.origin
                    ),
                )
                .with_hint(format!(
                    "add `{{ name: {ptr_name}, type: PTR, target: {} }}`",
                    record.name
                )),
            );
        }
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
    fn addresses_with_ptrs_or_outside_managed_reverse_zones_pass() {
        let v6 = crate::model::reverse_name("2001:db8::1".parse().unwrap()).to_string();
        let v6_line = format!("{v6} 300 PTR web1.example.net.");
        let zones = zone_set_with(
            ORIGINS,
            &[
                "web1.example.net. 300 A 192.0.2.1",
                "www.example.net. 300 A 192.0.2.1",
                "web1.example.net. 300 AAAA 2001:db8::1",
                "1.2.0.192.in-addr.arpa. 300 PTR web1.example.net.",
                &v6_line,
                "outside.example.net. 300 A 198.51.100.1",
                "130.2.0.192.in-addr.arpa. 300 NS ns1.example.org.",
                "customer.example.net. 300 A 192.0.2.130",
            ],
        );
        assert_eq!(check_set(check, &zones), "");
    }

    #[test]
    fn an_address_without_ptr_is_reported_with_the_record_to_add() {
        let zones = zone_set_with(
            ORIGINS,
            &[
                "shop.example.net. 300 A 192.0.2.7",
                "shop.example.net. 300 AAAA 2001:db8::7",
            ],
        );
        insta::assert_snapshot!(check_set(check, &zones), @r"
        test.yaml:1:1: warning[missing-reverse]: `shop.example.net.` has address 192.0.2.7, but the managed reverse zone `2.0.192.in-addr.arpa.` has no PTR record for it
          hint: add `{ name: 7.2.0.192.in-addr.arpa., type: PTR, target: shop.example.net. }`
        test.yaml:2:1: warning[missing-reverse]: `shop.example.net.` has address 2001:db8::7, but the managed reverse zone `8.b.d.0.1.0.0.2.ip6.arpa.` has no PTR record for it
          hint: add `{ name: 7.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa., type: PTR, target: shop.example.net. }`
        ");
    }
}
