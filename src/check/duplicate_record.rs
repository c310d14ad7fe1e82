//! The check of the `duplicate-record` rule (its documentation is in `rules::check`).

use super::{Context, describe};
use crate::diagnostic::Diagnostic;
use crate::rules::check::DUPLICATE_RECORD as RULE;

/// Reports every record `ZoneSet::duplicates` holds, next to the copy the zone kept.
pub(crate) fn check(context: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for duplicate in &context.zones.duplicates {
        let mut diagnostic = Diagnostic::warning(
            RULE,
            Some(duplicate.provenance.span),
            format!(
                "`{}` is defined more than once; it is served once",
                describe(duplicate)
            ),
        );
        let kept = context.zones.zone_for(&duplicate.name).and_then(|zone| {
            zone.rrset(&duplicate.name, duplicate.record_type())
                .iter()
                .find(|record| record.data == duplicate.data)
        });
        if let Some(kept) = kept
            && kept.provenance.span != duplicate.provenance.span
        {
            diagnostic = diagnostic.with_related(kept.provenance.span, "also defined here");
        }
        out.push(diagnostic.with_hint("remove one of the definitions"));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn distinct_records_pass() {
        let zones = zone_set(&[
            "www.example.net. 300 A 192.0.2.1",
            "www.example.net. 300 A 192.0.2.2",
        ]);
        assert_eq!(check_set(check, &zones), "");
    }

    #[test]
    fn a_repeated_record_is_reported_with_the_kept_copy() {
        let zones = zone_set(&[
            "www.example.net. 300 A 192.0.2.1",
            "www.example.net. 600 A 192.0.2.1",
        ]);
        insta::assert_snapshot!(check_set(check, &zones), @r"
        test.yaml:2:1: warning[duplicate-record]: `www.example.net. A 192.0.2.1` is defined more than once; it is served once
          note: test.yaml:1:1: also defined here
          hint: remove one of the definitions
        ");
    }
}
