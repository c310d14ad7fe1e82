//! The check of the `rrset-too-large` rule (its documentation is in `rules::check`).

use super::{Context, ZoneView};
use crate::diagnostic::Diagnostic;
use crate::rules::check::RRSET_TOO_LARGE as RULE;

/// Reports every RRset longer than the limit, at its first record.
pub(crate) fn check(context: &Context<'_>, view: &ZoneView<'_>, out: &mut Vec<Diagnostic>) {
    let limit = context.limits.max_rrset_records;
    for rrset in view.rrsets() {
        if rrset.len() <= limit {
            continue;
        }
        let first = &rrset[0];
        out.push(
            Diagnostic::error(
                RULE,
                Some(first.provenance.span),
                format!(
                    "the {} RRset at `{}` has {} records; the limit is {limit}",
                    first.record_type(),
                    first.name,
                    rrset.len()
                ),
            )
            .with_related(
                rrset[limit].provenance.span,
                format!("record {} comes from here", limit + 1),
            )
            .with_hint(format!(
                "BIND 9.18.28 and later refuse to load a zone with more than {limit} records of one type at a name (`max-records-per-type`); split the set or raise the limit on every server and in `check.max_rrset_records`"
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::inventory::Limits;

    fn check_pool(size: usize, limit: usize) -> String {
        let lines: Vec<String> = (0..size)
            .map(|index| format!("pool.example.net. 300 A 192.0.2.{}", index + 1))
            .collect();
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        let limits = Limits {
            max_rrset_records: limit,
            ..settings().limits
        };
        check_zones_with(check, &zone_set(&lines), limits)
    }

    #[test]
    fn an_rrset_at_the_limit_passes() {
        assert_eq!(check_pool(100, 100), "");
    }

    #[test]
    fn an_rrset_over_the_limit_is_reported() {
        insta::assert_snapshot!(check_pool(4, 3), @r"
        test.yaml:1:1: error[rrset-too-large]: the A RRset at `pool.example.net.` has 4 records; the limit is 3
          note: test.yaml:4:1: record 4 comes from here
          hint: BIND 9.18.28 and later refuse to load a zone with more than 3 records of one type at a name (`max-records-per-type`); split the set or raise the limit on every server and in `check.max_rrset_records`
        ");
    }
}
