//! The check of the `cname-chain-too-long` rule (its documentation is in `rules::check`).

use super::{ChainEnd, Context, MAX_CHAIN_FOLLOWED, ZoneView};
use crate::diagnostic::Diagnostic;
use crate::dns::record_type::RecordType;
use crate::model::record::Record;
use crate::rules::check::CNAME_CHAIN_TOO_LONG as RULE;

/// Follows the chain from every CNAME and reports those longer than the limit.
pub(crate) fn check(context: &Context<'_>, view: &ZoneView<'_>, out: &mut Vec<Diagnostic>) {
    let limit = context.limits.max_cname_chain;
    let mut chain: Vec<&Record> = Vec::new();
    for rrset in view.rrsets() {
        let start = &rrset[0];
        if start.record_type() != RecordType::Cname {
            continue;
        }
        let length = match context.follow_cnames(start, &mut chain) {
            ChainEnd::Loop(_) => continue,
            ChainEnd::Resolved if chain.len() <= limit => continue,
            ChainEnd::Resolved => chain.len().to_string(),
            ChainEnd::Endless => format!("more than {MAX_CHAIN_FOLLOWED}"),
        };
        let end = chain
            .last()
            .and_then(|last| last.data.target())
            .map_or_else(String::new, ToString::to_string);
        let mut diagnostic = Diagnostic::warning(
            RULE,
            Some(start.provenance.span),
            format!(
                "resolving `{}` follows {length} CNAMEs before reaching `{end}`; the limit is {limit}",
                start.name
            ),
        );
        if let Some(next) = chain.get(1) {
            diagnostic = diagnostic.with_related(
                next.provenance.span,
                format!("the chain goes on at `{}`", next.name),
            );
        }
        out.push(diagnostic.with_hint(format!(
            "point `{}` directly at `{end}`, or raise `check.max_cname_chain` if the chain is deliberate",
            start.name
        )));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::inventory::Limits;

    /// `length` CNAMEs in a row, ending at an address, checked with `limit`.
    fn check_chain(length: usize, limit: usize) -> String {
        let mut text: Vec<String> = (0..length)
            .map(|index| {
                format!(
                    "l{index}.example.net. 300 CNAME l{}.example.net.",
                    index + 1
                )
            })
            .collect();
        text.push(format!("l{length}.example.net. 300 A 192.0.2.1"));
        let lines: Vec<&str> = text.iter().map(String::as_str).collect();
        let limits = Limits {
            max_cname_chain: limit,
            ..settings().limits
        };
        check_zones_with(check, &zone_set(&lines), limits)
    }

    #[test]
    fn a_chain_at_the_limit_passes() {
        assert_eq!(check_chain(3, 3), "");
    }

    #[test]
    fn a_chain_over_the_limit_is_reported_where_it_starts() {
        insta::assert_snapshot!(check_chain(4, 3), @r"
        test.yaml:1:1: warning[cname-chain-too-long]: resolving `l0.example.net.` follows 4 CNAMEs before reaching `l4.example.net.`; the limit is 3
          note: test.yaml:2:1: the chain goes on at `l1.example.net.`
          hint: point `l0.example.net.` directly at `l4.example.net.`, or raise `check.max_cname_chain` if the chain is deliberate
        ");
    }

    #[test]
    fn loops_are_left_to_cname_loop() {
        let zones = zone_set(&[
            "a.example.net. 300 CNAME b.example.net.",
            "b.example.net. 300 CNAME a.example.net.",
        ]);
        let limits = Limits {
            max_cname_chain: 1,
            ..settings().limits
        };
        assert_eq!(check_zones_with(check, &zones, limits), "");
    }
}
