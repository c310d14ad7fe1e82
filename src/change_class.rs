//! The change classes: kinds of change that are large whatever their size, each with a stable id
//! and its documentation (vocabulary, no logic).
//!
//! A pull request that touches one file can change what every zone serves: a template, the
//! apex name servers, a delegation. The blast radius by share of records does not see that, so
//! these classes are large by kind. `policy.large_change_classes` in `zones/zonegate.yaml`
//! chooses which apply (all by default); `diff::classes` finds them in a difference; `zonegate
//! explain ID` prints the documentation below; the settings schema lists the ids.
//!
//! This module sits below `inventory` (which resolves the policy key) and `diff` (which
//! classifies), so neither imports a later stage. It does no IO.

/// A kind of change that is large whatever its size.
#[derive(Debug, PartialEq, Eq)]
pub struct ChangeClass {
    /// Stable kebab-case id (`template-changed`), the value `policy.large_change_classes` lists.
    pub id: &'static str,
    /// One line: what the change is (lower-case, no trailing period).
    pub summary: &'static str,
    /// Markdown in fixed sections (What it is / Why it is large / Example / How to merge it),
    /// every line indented by one space as the doc comment wrote it; [`ChangeClass::explain`]
    /// removes it.
    pub explanation: &'static str,
}

impl ChangeClass {
    /// The explanation as Markdown, ready to print (`zonegate explain ID`).
    pub fn explain(&self) -> String {
        crate::rules::doc_text(self.explanation)
    }
}

/// Declares a class whose doc comment is also its run-time explanation, as `check` declares its
/// rules.
macro_rules! declare_class {
    (
        $(#[doc = $doc:literal])*
        $vis:vis static $name:ident = { id: $id:literal, summary: $summary:literal $(,)? };
    ) => {
        $(#[doc = $doc])*
        $vis static $name: ChangeClass = ChangeClass {
            id: $id,
            summary: $summary,
            explanation: concat!($($doc, "\n"),*),
        };
    };
}

/// Every class, in the order reports list them: files that decide how zones are made and who
/// approves first, then the records.
pub static CLASSES: [&ChangeClass; 15] = [
    &TEMPLATE_CHANGED,
    &POLICY_CHANGED,
    &CHECK_RULES_CHANGED,
    &CODEOWNERS_CHANGED,
    &ALLOWED_SIGNERS_CHANGED,
    &BASE_ASSERTIONS_CHANGED,
    &ZONE_ADDED_OR_REMOVED,
    &APEX_NS_CHANGED,
    &APEX_SOA_CHANGED,
    &DELEGATION_CHANGED,
    &MX_CHANGED,
    &CAA_CHANGED,
    &WILDCARD_CHANGED,
    &TTL_CUT,
    &SERVICE_LOSES_EVERY_TARGET,
];

/// The class with this id.
pub fn class(id: &str) -> Option<&'static ChangeClass> {
    CLASSES.iter().copied().find(|class| class.id == id)
}

declare_class! {
    /// ## What it is
    ///
    /// `zones/templates/zone.j2` is added, changed or removed.
    ///
    /// ## Why it is large
    ///
    /// Every zone file is rendered from the template: one line in it changes the text of every
    /// zone, forward and reverse, in every datacenter, however few records the change touches
    /// (none, usually).
    ///
    /// ## Example
    ///
    /// A pull request that adds a `$INCLUDE` or edits the SOA block of the template.
    ///
    /// ## How to merge it
    ///
    /// Get `policy.large_change_approvals` approvals, or the override label from a reviewer.
    pub static TEMPLATE_CHANGED = {
        id: "template-changed",
        summary: "the zone template is added, changed or removed",
    };
}

declare_class! {
    /// ## What it is
    ///
    /// The `policy:` section of `zones/zonegate.yaml` is edited: approvals, thresholds, labels,
    /// classes, teams, admins or the freeze.
    ///
    /// ## Why it is large
    ///
    /// The bot applies the base branch's policy, so a pull request cannot lower its own bar;
    /// but once merged, a lowered policy lowers the bar of every pull request after it, the
    /// ones already open included.
    ///
    /// ## Example
    ///
    /// `large_change_approvals: 1` with every threshold at 100%.
    ///
    /// ## How to merge it
    ///
    /// Get `policy.large_change_approvals` approvals, or the override label from a reviewer.
    pub static POLICY_CHANGED = {
        id: "policy-changed",
        summary: "the merge policy is edited",
    };
}

declare_class! {
    /// ## What it is
    ///
    /// `check.rules` in `zones/zonegate.yaml` changes a rule's severity, adds or removes one.
    ///
    /// ## Why it is large
    ///
    /// Turning a rule off (or down to a warning) lets every later change through with the
    /// problem it reports, in every zone.
    ///
    /// ## Example
    ///
    /// `check: { rules: { dangling-target: off } }`.
    ///
    /// ## How to merge it
    ///
    /// Get `policy.large_change_approvals` approvals, or the override label from a reviewer.
    pub static CHECK_RULES_CHANGED = {
        id: "check-rules-changed",
        summary: "the severities of the check rules are edited",
    };
}

declare_class! {
    /// ## What it is
    ///
    /// A CODEOWNERS file (`.github/CODEOWNERS`, `CODEOWNERS` or `docs/CODEOWNERS`) is added,
    /// edited or removed.
    ///
    /// ## Why it is large
    ///
    /// CODEOWNERS decides whose approval every later change to a file needs.
    ///
    /// ## Example
    ///
    /// Removing the line that makes the DNS team own `zones/zonegate.yaml`.
    ///
    /// ## How to merge it
    ///
    /// Get `policy.large_change_approvals` approvals, or the override label from a reviewer.
    pub static CODEOWNERS_CHANGED = {
        id: "codeowners-changed",
        summary: "CODEOWNERS is added, edited or removed",
    };
}

declare_class! {
    /// ## What it is
    ///
    /// `.zonegate/allowed_signers` is added, edited or removed.
    ///
    /// ## Why it is large
    ///
    /// On the local forge a review or label counts only when it is signed by a key this file
    /// lists for the reviewer: the file decides who may approve every later change.
    ///
    /// ## Example
    ///
    /// Adding a key for a new name, or a second key for an existing reviewer.
    ///
    /// ## How to merge it
    ///
    /// Get `policy.large_change_approvals` approvals, or the override label from a reviewer.
    pub static ALLOWED_SIGNERS_CHANGED = {
        id: "allowed-signers-changed",
        summary: "the keys that may sign reviews on the local forge are edited",
    };
}

declare_class! {
    /// ## What it is
    ///
    /// An assertion of the base branch (`assertions/*.yaml`) is edited or removed. Assertions
    /// are compared as YAML values, one list item at a time, so re-indenting one or moving it
    /// to another file is no change.
    ///
    /// ## Why it is large
    ///
    /// The base's assertions run on the merge result anyway, so the pull request itself must
    /// pass them; but once merged, a weakened or deleted assertion no longer guards any change
    /// after it. Whether an edit weakens or strengthens is not for a bot to judge.
    ///
    /// ## Example
    ///
    /// `at_least: 2` becomes `at_least: 1`.
    ///
    /// ## How to merge it
    ///
    /// Get `policy.large_change_approvals` approvals, or the override label from a reviewer.
    pub static BASE_ASSERTIONS_CHANGED = {
        id: "base-assertions-changed",
        summary: "an assertion of the base branch is edited or removed",
    };
}

declare_class! {
    /// ## What it is
    ///
    /// A zone is added to or removed from the zone set (`zones.forward` or `zones.reverse`).
    ///
    /// ## Why it is large
    ///
    /// A removed zone stops being served altogether; a new one takes over names from its
    /// parent zone, which then delegates nothing for them, and must be configured on every
    /// server before its file arrives.
    ///
    /// ## Example
    ///
    /// Dropping `2001:db8::/32` from `zones.reverse`.
    ///
    /// ## How to merge it
    ///
    /// Get `policy.large_change_approvals` approvals, or the override label from a reviewer.
    pub static ZONE_ADDED_OR_REMOVED = {
        id: "zone-added-or-removed",
        summary: "a zone is added or removed",
    };
}

declare_class! {
    /// ## What it is
    ///
    /// The NS records at a zone's apex change (`nameservers` in `zones/zonegate.yaml`).
    ///
    /// ## Why it is large
    ///
    /// The apex NS RRset says which servers are authoritative for the whole zone (RFC 1034
    /// section 4.2.1); a mistake there takes the zone down for every resolver that follows it,
    /// though it is two records of thousands.
    ///
    /// ## Example
    ///
    /// Moving every zone to another provider's name servers.
    ///
    /// ## How to merge it
    ///
    /// Get `policy.large_change_approvals` approvals, or the override label from a reviewer.
    pub static APEX_NS_CHANGED = {
        id: "apex-ns-changed",
        summary: "the name servers at a zone's apex change",
    };
}

declare_class! {
    /// ## What it is
    ///
    /// A zone's SOA record changes: the primary, the contact, or a timer (`soa` in
    /// `zones/zonegate.yaml`; the serial is not part of the comparison).
    ///
    /// ## Why it is large
    ///
    /// The SOA's timers decide how long secondaries keep serving the zone without reaching the
    /// primary (expire) and how long resolvers cache a negative answer (minimum, RFC 2308):
    /// one value, the behaviour of the whole zone.
    ///
    /// ## Example
    ///
    /// `expire: 2w` becomes `expire: 1h`.
    ///
    /// ## How to merge it
    ///
    /// Get `policy.large_change_approvals` approvals, or the override label from a reviewer.
    pub static APEX_SOA_CHANGED = {
        id: "apex-soa-changed",
        summary: "a zone's SOA record changes",
    };
}

declare_class! {
    /// ## What it is
    ///
    /// A delegation is added, removed or re-pointed: NS records below a zone's apex, the glue
    /// addresses at or below the delegation point, or its DS records.
    ///
    /// ## Why it is large
    ///
    /// Below a delegation another set of servers answers for a whole subtree (RFC 1034 section
    /// 4.2.1); re-pointing it hands every name there to those servers, however few records the
    /// change touches here.
    ///
    /// ## Example
    ///
    /// `corp.example.net.` moves from the IT department's servers to a DNS provider's.
    ///
    /// ## How to merge it
    ///
    /// Get `policy.large_change_approvals` approvals, or the override label from a reviewer.
    pub static DELEGATION_CHANGED = {
        id: "delegation-changed",
        summary: "a delegation is added, removed or re-pointed",
    };
}

declare_class! {
    /// ## What it is
    ///
    /// MX records are added or removed (a preference or an exchange changes).
    ///
    /// ## Why it is large
    ///
    /// MX records decide where every message for the domain is delivered (RFC 5321 section
    /// 5.1): a wrong exchange sends the mail of the whole domain elsewhere, or nowhere.
    ///
    /// ## Example
    ///
    /// The apex MX moves to a new mail provider.
    ///
    /// ## How to merge it
    ///
    /// Get `policy.large_change_approvals` approvals, or the override label from a reviewer.
    pub static MX_CHANGED = {
        id: "mx-changed",
        summary: "MX records are added or removed",
    };
}

declare_class! {
    /// ## What it is
    ///
    /// CAA records are added or removed.
    ///
    /// ## Why it is large
    ///
    /// CAA records say which certification authorities may issue certificates for the name and
    /// every name below it (RFC 8659 section 3): one record can stop the renewal of every
    /// certificate of the domain, or let any authority issue them.
    ///
    /// ## Example
    ///
    /// `0 issue "letsencrypt.org"` is removed.
    ///
    /// ## How to merge it
    ///
    /// Get `policy.large_change_approvals` approvals, or the override label from a reviewer.
    pub static CAA_CHANGED = {
        id: "caa-changed",
        summary: "CAA records are added or removed",
    };
}

declare_class! {
    /// ## What it is
    ///
    /// Records at a wildcard name (`*.example.net.`) are added or removed.
    ///
    /// ## Why it is large
    ///
    /// A wildcard answers for every name below its parent that does not exist (RFC 4592): one
    /// record changes the answer for an unbounded set of names, typos included.
    ///
    /// ## Example
    ///
    /// `*.example.net. CNAME edge.example.net.` is added.
    ///
    /// ## How to merge it
    ///
    /// Get `policy.large_change_approvals` approvals, or the override label from a reviewer.
    pub static WILDCARD_CHANGED = {
        id: "wildcard-changed",
        summary: "wildcard records are added or removed",
    };
}

declare_class! {
    /// ## What it is
    ///
    /// A record's TTL is cut by more than ten times (3600 to 300 is twelve times shorter).
    ///
    /// ## Why it is large
    ///
    /// Resolvers ask again as often as the TTL allows: a TTL cut tenfold multiplies the queries
    /// the authoritative servers answer for those names tenfold, at once, and leaves clients
    /// with no cached answer to fall back on when the servers struggle.
    ///
    /// ## Example
    ///
    /// `ttl: { host: 1h }` becomes `ttl: { host: 1m }`.
    ///
    /// ## How to merge it
    ///
    /// Get `policy.large_change_approvals` approvals, or the override label from a reviewer.
    pub static TTL_CUT = {
        id: "ttl-cut",
        summary: "a TTL is cut by more than ten times",
    };
}

declare_class! {
    /// ## What it is
    ///
    /// An SRV RRset loses every one of its targets: a service is no longer discoverable in a
    /// datacenter (or, for a global name, anywhere).
    ///
    /// ## Why it is large
    ///
    /// Clients that discover the service through SRV (RFC 2782) find nothing to connect to:
    /// the service is down in that datacenter, though only a few records changed.
    ///
    /// ## Example
    ///
    /// Both web hosts in ams are decommissioned in the CMDB.
    ///
    /// ## How to merge it
    ///
    /// Get `policy.large_change_approvals` approvals, or the override label from a reviewer.
    pub static SERVICE_LOSES_EVERY_TARGET = {
        id: "service-loses-every-target",
        summary: "a service loses every SRV target in a datacenter",
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case_and_every_class_is_documented() {
        let mut seen = std::collections::HashSet::new();
        for entry in CLASSES {
            assert!(seen.insert(entry.id), "{} twice", entry.id);
            assert!(
                entry
                    .id
                    .chars()
                    .all(|character| character.is_ascii_lowercase() || character == '-'),
                "{}",
                entry.id
            );
            assert_eq!(class(entry.id), Some(entry));
            let text = entry.explain();
            for section in [
                "## What it is",
                "## Why it is large",
                "## Example",
                "## How to merge it",
            ] {
                assert!(text.contains(section), "{}: {section}", entry.id);
            }
        }
    }
}
