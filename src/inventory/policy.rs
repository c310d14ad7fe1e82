//! `policy:` in `zones/zonegate.yaml`: what the merge bot requires before it merges.
//!
//! The bot reads the policy from the base branch only, never from the pull request, so a change
//! cannot lower its own bar. This module parses and resolves it; the decisions live in `merge`.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::Spanned;

use super::yaml::span_of;
use crate::change_class::{self, CLASSES, ChangeClass};
use crate::diagnostic::{Diagnostic, FileId, Span};
use crate::rules::input::INVALID_VALUE;

/// The resolved merge policy.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    /// Approvals from reviewers other than the author, on the current head (default 1).
    pub approvals: u32,
    /// Approvals a large change needs instead (default 2).
    pub large_change_approvals: u32,
    /// A label that lets a large change merge with `approvals` alone; none by default.
    pub override_label: Option<String>,
    /// A label that keeps the bot away from a pull request (default `do-not-merge`).
    pub do_not_merge_label: String,
    /// When a change counts as large.
    pub thresholds: Thresholds,
    /// How the bot merges.
    pub merge_method: MergeMethod,
    /// Members of the teams CODEOWNERS names (`@org/team` or `team`), for forges that cannot
    /// list them (the local forge) or tokens that may not.
    pub teams: Vec<(String, Vec<String>)>,
    /// The change classes that make a change large whatever its size (default: every class),
    /// in the registry's order.
    pub large_change_classes: Vec<&'static ChangeClass>,
    /// When set, no pull request merges, and this is why (`.zonegate/freeze` on the base
    /// branch freezes too).
    pub freeze: Option<String>,
    /// A label that lets a pull request merge during a freeze, with approvals from
    /// [`Policy::admins`] only (default `emergency`).
    pub emergency_label: String,
    /// The logins whose approvals count for an emergency merge during a freeze.
    pub admins: Vec<String>,
    /// Where `policy:` was written (the settings file when defaulted).
    pub span: Span,
}

/// When a change counts as large. A share is "records removed or changed, of those the base
/// has"; a change is large when a share is *more than* its threshold.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Thresholds {
    /// Share of one zone's records (default 10 %).
    pub zone_percent: f64,
    /// Share of one datacenter's records, over every zone (default 10 %).
    pub datacenter_percent: f64,
    /// Share of one service's SRV targets in one datacenter (default 50 %). Losing every target
    /// in a datacenter is always large.
    pub service_percent: f64,
}

/// How the bot merges a pull request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MergeMethod {
    /// A merge commit with the base and the head as parents (the default).
    Merge,
    /// One commit on the base with the merged tree.
    Squash,
}

impl MergeMethod {
    /// The name used in configuration and the GitHub API.
    pub const fn as_str(self) -> &'static str {
        match self {
            MergeMethod::Merge => "merge",
            MergeMethod::Squash => "squash",
        }
    }
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            zone_percent: 10.0,
            datacenter_percent: 10.0,
            service_percent: 50.0,
        }
    }
}

impl Policy {
    /// The policy of a repository that does not configure one.
    pub fn defaults(span: Span) -> Self {
        Self {
            approvals: 1,
            large_change_approvals: 2,
            override_label: None,
            do_not_merge_label: "do-not-merge".to_owned(),
            thresholds: Thresholds::default(),
            merge_method: MergeMethod::Merge,
            teams: Vec::new(),
            large_change_classes: CLASSES.to_vec(),
            freeze: None,
            emergency_label: "emergency".to_owned(),
            admins: Vec::new(),
            span,
        }
    }

    /// True when changes of `class` are large under this policy.
    pub fn counts_as_large(&self, class: &ChangeClass) -> bool {
        self.large_change_classes
            .iter()
            .any(|enabled| enabled.id == class.id)
    }

    /// True when `login` is one of [`Policy::admins`] (case-insensitively, as logins are).
    pub fn is_admin(&self, login: &str) -> bool {
        self.admins
            .iter()
            .any(|admin| admin.eq_ignore_ascii_case(login))
    }

    /// What differs between this policy and `other`, one `key: old -> new` each, in key order;
    /// empty when they decide alike (where the section was written does not count).
    pub fn differences(&self, other: &Policy) -> Vec<String> {
        fn list(items: &[String]) -> String {
            if items.is_empty() {
                "[]".to_owned()
            } else {
                format!("[{}]", items.join(", "))
            }
        }
        fn optional(value: Option<&str>) -> String {
            value.map_or_else(|| "none".to_owned(), |value| format!("`{value}`"))
        }
        let mut changes = Vec::new();
        let mut compare = |key: &str, old: String, new: String| {
            if old != new {
                changes.push(format!("{key} {old} -> {new}"));
            }
        };
        compare(
            "approvals",
            self.approvals.to_string(),
            other.approvals.to_string(),
        );
        compare(
            "large_change_approvals",
            self.large_change_approvals.to_string(),
            other.large_change_approvals.to_string(),
        );
        compare(
            "override_label",
            optional(self.override_label.as_deref()),
            optional(other.override_label.as_deref()),
        );
        compare(
            "do_not_merge_label",
            optional(Some(&self.do_not_merge_label)),
            optional(Some(&other.do_not_merge_label)),
        );
        compare(
            "thresholds.zone_percent",
            self.thresholds.zone_percent.to_string(),
            other.thresholds.zone_percent.to_string(),
        );
        compare(
            "thresholds.datacenter_percent",
            self.thresholds.datacenter_percent.to_string(),
            other.thresholds.datacenter_percent.to_string(),
        );
        compare(
            "thresholds.service_percent",
            self.thresholds.service_percent.to_string(),
            other.thresholds.service_percent.to_string(),
        );
        compare(
            "merge_method",
            self.merge_method.as_str().to_owned(),
            other.merge_method.as_str().to_owned(),
        );
        let teams = |policy: &Policy| {
            let teams: Vec<String> = policy
                .teams
                .iter()
                .map(|(team, members)| format!("{team}: {}", list(members)))
                .collect();
            list(&teams)
        };
        compare("teams", teams(self), teams(other));
        let classes = |policy: &Policy| {
            let ids: Vec<String> = policy
                .large_change_classes
                .iter()
                .map(|class| class.id.to_owned())
                .collect();
            list(&ids)
        };
        compare("large_change_classes", classes(self), classes(other));
        compare(
            "freeze",
            optional(self.freeze.as_deref()),
            optional(other.freeze.as_deref()),
        );
        compare(
            "emergency_label",
            optional(Some(&self.emergency_label)),
            optional(Some(&other.emergency_label)),
        );
        compare("admins", list(&self.admins), list(&other.admins));
        changes
    }

    /// The members of `team` (written as in CODEOWNERS, `@org/name` or `@name`), if configured.
    pub fn team_members(&self, team: &str) -> Option<&[String]> {
        let wanted = team.trim_start_matches('@');
        let short = wanted.rsplit('/').next().unwrap_or(wanted);
        self.teams
            .iter()
            .find(|(name, _)| {
                let name = name.trim_start_matches('@');
                name.eq_ignore_ascii_case(wanted) || name.eq_ignore_ascii_case(short)
            })
            .map(|(_, members)| members.as_slice())
    }
}

/// What the merge bot requires before it merges (read from the base branch only).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Policy")]
pub(super) struct RawPolicy {
    /// Approvals from reviewers other than the author, on the current head commit (default 1).
    #[schemars(with = "Option<u32>", range(min = 1))]
    approvals: Option<Spanned<u32>>,
    /// Approvals a large change needs instead (default 2, at least `approvals`).
    #[schemars(with = "Option<u32>")]
    large_change_approvals: Option<Spanned<u32>>,
    /// A label that lets a large change merge with `approvals` alone (default: none).
    override_label: Option<String>,
    /// The bot leaves pull requests with this label alone (default `do-not-merge`).
    #[schemars(with = "Option<String>")]
    do_not_merge_label: Option<Spanned<String>>,
    /// A change is large when any share is more than its threshold.
    #[serde(default)]
    #[schemars(with = "Option<RawThresholds>")]
    thresholds: Option<Spanned<RawThresholds>>,
    /// `merge` (a merge commit, the default) or `squash`.
    #[schemars(with = "Option<String>", extend("enum" = ["merge", "squash", null]))]
    merge_method: Option<Spanned<String>>,
    /// Members of CODEOWNERS teams, for forges that cannot list them: team -> logins.
    #[serde(default)]
    teams: std::collections::BTreeMap<String, Vec<String>>,
    /// Change classes that are large whatever their size (default: all; `zonegate explain ID`).
    #[schemars(with = "Option<Vec<ClassId>>")]
    large_change_classes: Option<Vec<Spanned<String>>>,
    /// Stop every merge, with this reason (so does a file `.zonegate/freeze` on the base).
    freeze: Option<String>,
    /// A label that lets a pull request merge in a freeze, on admins' approvals (`emergency`).
    #[schemars(with = "Option<String>")]
    emergency_label: Option<Spanned<String>>,
    /// Logins whose approvals count for an emergency merge during a freeze.
    #[serde(default)]
    admins: Vec<String>,
}

/// The id of a change class (the schema lists every one).
struct ClassId;

impl JsonSchema for ClassId {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ChangeClass".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let ids: Vec<&str> = CLASSES.iter().map(|class| class.id).collect();
        schemars::json_schema!({
            "description": "a change class that is large whatever its size (`zonegate explain ID`)",
            "enum": ids,
        })
    }
}

/// Percentages (0 to 100) of records removed or changed.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(clippy::struct_field_names)] // The YAML keys say what unit they are in.
#[schemars(rename = "Thresholds")]
struct RawThresholds {
    /// Of one zone's records (default 10).
    #[schemars(with = "Option<f64>", range(min = 0, max = 100))]
    zone_percent: Option<Spanned<f64>>,
    /// Of one datacenter's records, over every zone (default 10).
    #[schemars(with = "Option<f64>", range(min = 0, max = 100))]
    datacenter_percent: Option<Spanned<f64>>,
    /// Of one service's SRV targets in one datacenter (default 50).
    #[schemars(with = "Option<f64>", range(min = 0, max = 100))]
    service_percent: Option<Spanned<f64>>,
}

/// Resolves `policy:` (or the defaults when absent), reporting bad values.
pub(super) fn resolve(
    raw: Option<Spanned<RawPolicy>>,
    file: FileId,
    diagnostics: &mut Vec<Diagnostic>,
) -> Policy {
    let Some(raw) = raw else {
        return Policy::defaults(Span::new(file, 1, 1));
    };
    let span = span_of(&raw, file);
    let raw = raw.value;
    let mut policy = Policy::defaults(span);
    let mut invalid = |span: Span, message: String| {
        diagnostics.push(Diagnostic::error(INVALID_VALUE, Some(span), message));
    };

    if let Some(approvals) = &raw.approvals {
        if approvals.value == 0 {
            invalid(
                span_of(approvals, file),
                "`policy.approvals` must be at least 1: the bot never merges an unreviewed change"
                    .into(),
            );
        }
        policy.approvals = approvals.value;
    }
    policy.large_change_approvals = match &raw.large_change_approvals {
        Some(large) => {
            if large.value < policy.approvals {
                invalid(
                    span_of(large, file),
                    format!(
                        "`policy.large_change_approvals` ({}) is below `policy.approvals` ({}); a large change must not need fewer approvals",
                        large.value, policy.approvals
                    ),
                );
            }
            large.value
        }
        None => policy.approvals.max(2),
    };
    policy.override_label = raw
        .override_label
        .map(|label| label.trim().to_owned())
        .filter(|label| !label.is_empty());
    if let Some(label) = &raw.do_not_merge_label {
        if label.value.trim().is_empty() {
            invalid(
                span_of(label, file),
                "`policy.do_not_merge_label` is empty".into(),
            );
        }
        label
            .value
            .trim()
            .clone_into(&mut policy.do_not_merge_label);
    }
    if let Some(thresholds) = &raw.thresholds {
        let mut percent = |value: &Option<Spanned<f64>>, default: f64, key: &str| match value {
            Some(value) if !(0.0..=100.0).contains(&value.value) => {
                invalid(
                    span_of(value, file),
                    format!(
                        "`policy.thresholds.{key}` is {}; expected a percentage from 0 to 100",
                        value.value
                    ),
                );
                default
            }
            Some(value) => value.value,
            None => default,
        };
        let defaults = Thresholds::default();
        policy.thresholds = Thresholds {
            zone_percent: percent(
                &thresholds.value.zone_percent,
                defaults.zone_percent,
                "zone_percent",
            ),
            datacenter_percent: percent(
                &thresholds.value.datacenter_percent,
                defaults.datacenter_percent,
                "datacenter_percent",
            ),
            service_percent: percent(
                &thresholds.value.service_percent,
                defaults.service_percent,
                "service_percent",
            ),
        };
    }
    if let Some(method) = &raw.merge_method {
        match method.value.trim() {
            "merge" => policy.merge_method = MergeMethod::Merge,
            "squash" => policy.merge_method = MergeMethod::Squash,
            other => invalid(
                span_of(method, file),
                format!(
                    "merge method `{other}` is not one of merge, squash (a rebase would create commits the bot did not test)"
                ),
            ),
        }
    }
    if let Some(ids) = &raw.large_change_classes {
        let mut classes = Vec::new();
        for id in ids {
            let wanted = id.value.trim();
            if let Some(class) = change_class::class(wanted) {
                classes.push(class);
                continue;
            }
            let mut diagnostic = Diagnostic::error(
                INVALID_VALUE,
                Some(span_of(id, file)),
                format!("`{wanted}` is not a change class"),
            );
            if let Some(close) =
                crate::diagnostic::suggest(wanted, CLASSES.iter().map(|class| class.id))
            {
                diagnostic = diagnostic.with_hint(format!("did you mean `{close}`?"));
            }
            diagnostics
                .push(diagnostic.with_hint(
                    "`zonegate explain --all` lists the change classes after the rules",
                ));
        }
        // In the registry's order, each once, so reports and comparisons do not depend on how
        // the list was written.
        policy.large_change_classes = CLASSES
            .iter()
            .copied()
            .filter(|class| classes.contains(class))
            .collect();
    }
    policy.freeze = raw
        .freeze
        .map(|reason| reason.trim().to_owned())
        .filter(|reason| !reason.is_empty());
    if let Some(label) = &raw.emergency_label {
        if label.value.trim().is_empty() {
            diagnostics.push(Diagnostic::error(
                INVALID_VALUE,
                Some(span_of(label, file)),
                "`policy.emergency_label` is empty",
            ));
        }
        label.value.trim().clone_into(&mut policy.emergency_label);
    }
    policy.admins = raw
        .admins
        .iter()
        .map(|admin| admin.trim().trim_start_matches('@').to_owned())
        .filter(|admin| !admin.is_empty())
        .collect();
    policy.teams = raw
        .teams
        .into_iter()
        .map(|(team, members)| {
            let members = members
                .into_iter()
                .map(|member| member.trim().trim_start_matches('@').to_owned())
                .collect();
            (team, members)
        })
        .collect();
    policy
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::SourceMap;

    #[derive(Deserialize)]
    struct Wrapper {
        policy: Option<Spanned<RawPolicy>>,
    }

    fn resolve_text(text: &str) -> Result<Policy, String> {
        let mut sources = SourceMap::default();
        let file = sources.add("zones/zonegate.yaml");
        let wrapper: Wrapper = crate::inventory::yaml::parse(text.as_bytes(), file)
            .map_err(|diagnostic| diagnostic.display(&sources).to_string())?;
        let mut diagnostics = Vec::new();
        let policy = resolve(wrapper.policy, file, &mut diagnostics);
        if diagnostics.is_empty() {
            Ok(policy)
        } else {
            Err(diagnostics
                .iter()
                .map(|diagnostic| diagnostic.display(&sources).to_string())
                .collect::<Vec<_>>()
                .join("\n"))
        }
    }

    #[test]
    fn absent_policy_is_one_approval_and_default_thresholds() {
        let policy = resolve_text("policy: null\n").unwrap();
        assert_eq!(policy.approvals, 1);
        assert_eq!(policy.large_change_approvals, 2);
        assert_eq!(policy.override_label, None);
        assert_eq!(policy.do_not_merge_label, "do-not-merge");
        assert_eq!(policy.merge_method, MergeMethod::Merge);
        assert_eq!(policy.thresholds, Thresholds::default());
    }

    #[test]
    fn every_key_is_read() {
        let policy = resolve_text(
            "policy:\n  approvals: 2\n  large_change_approvals: 3\n  override_label: big-ok\n  \
do_not_merge_label: hold\n  thresholds: { zone_percent: 5, datacenter_percent: 7.5, service_percent: 25 }\n  \
merge_method: squash\n  teams: { dns: ['@alice', bob] }\n  large_change_classes: [mx-changed]\n  \
freeze: ' change freeze '\n  emergency_label: break-glass\n  admins: ['@erin', frank]\n",
        )
        .unwrap();
        assert_eq!(policy.approvals, 2);
        assert_eq!(policy.large_change_approvals, 3);
        assert_eq!(policy.override_label.as_deref(), Some("big-ok"));
        assert_eq!(policy.do_not_merge_label, "hold");
        assert_eq!(
            policy.thresholds,
            Thresholds {
                zone_percent: 5.0,
                datacenter_percent: 7.5,
                service_percent: 25.0
            }
        );
        assert_eq!(policy.merge_method, MergeMethod::Squash);
        assert_eq!(
            policy.team_members("@example/dns").unwrap(),
            ["alice", "bob"]
        );
        assert!(policy.team_members("@example/other").is_none());
        assert_eq!(policy.large_change_classes, [&change_class::MX_CHANGED]);
        assert_eq!(policy.freeze.as_deref(), Some("change freeze"));
        assert_eq!(policy.emergency_label, "break-glass");
        assert_eq!(policy.admins, ["erin", "frank"]);
        assert!(policy.is_admin("Erin") && !policy.is_admin("alice"));
    }

    #[test]
    fn bad_values_are_located() {
        insta::assert_snapshot!(
            resolve_text("policy:\n  approvals: 0\n").unwrap_err(),
            @"zones/zonegate.yaml:2:14: error[invalid-value]: `policy.approvals` must be at least 1: the bot never merges an unreviewed change"
        );
        insta::assert_snapshot!(
            resolve_text("policy:\n  approvals: 3\n  large_change_approvals: 2\n").unwrap_err(),
            @"zones/zonegate.yaml:3:27: error[invalid-value]: `policy.large_change_approvals` (2) is below `policy.approvals` (3); a large change must not need fewer approvals"
        );
        insta::assert_snapshot!(
            resolve_text("policy:\n  merge_method: rebase\n").unwrap_err(),
            @"zones/zonegate.yaml:2:17: error[invalid-value]: merge method `rebase` is not one of merge, squash (a rebase would create commits the bot did not test)"
        );
        insta::assert_snapshot!(
            resolve_text("policy:\n  thresholds: { zone_percent: 150 }\n").unwrap_err(),
            @"zones/zonegate.yaml:2:31: error[invalid-value]: `policy.thresholds.zone_percent` is 150; expected a percentage from 0 to 100"
        );
        insta::assert_snapshot!(
            resolve_text("policy:\n  aprovals: 2\n").unwrap_err(),
            @"
        zones/zonegate.yaml:2:3: error[unknown-key]: unknown key `aprovals`
          hint: did you mean `approvals`?
          hint: expected one of: approvals, large_change_approvals, override_label, do_not_merge_label, thresholds, merge_method, teams, large_change_classes, freeze, emergency_label, admins
        "
        );
        insta::assert_snapshot!(
            resolve_text("policy:\n  large_change_classes: [template-changed, ttl-cuts, mx]\n").unwrap_err(),
            @"
        zones/zonegate.yaml:2:44: error[invalid-value]: `ttl-cuts` is not a change class
          hint: did you mean `ttl-cut`?
          hint: `zonegate explain --all` lists the change classes after the rules
        zones/zonegate.yaml:2:54: error[invalid-value]: `mx` is not a change class
          hint: `zonegate explain --all` lists the change classes after the rules
        "
        );
    }

    #[test]
    fn every_change_class_applies_unless_the_site_narrows_the_set() {
        let all = resolve_text("policy: { approvals: 1 }\n").unwrap();
        assert_eq!(all.large_change_classes, CLASSES);
        // Listed in any order, each once: kept in the registry's order.
        let narrowed =
            resolve_text("policy:\n  large_change_classes: [ttl-cut, template-changed, ttl-cut]\n")
                .unwrap();
        let ids: Vec<&str> = narrowed
            .large_change_classes
            .iter()
            .map(|class| class.id)
            .collect();
        assert_eq!(ids, ["template-changed", "ttl-cut"]);
        assert!(narrowed.counts_as_large(&change_class::TTL_CUT));
        assert!(!narrowed.counts_as_large(&change_class::MX_CHANGED));
        let none = resolve_text("policy:\n  large_change_classes: []\n").unwrap();
        assert!(none.large_change_classes.is_empty());
    }

    #[test]
    fn differences_name_every_key_that_decides_otherwise() {
        let base = resolve_text("policy:\n  approvals: 1\n  large_change_approvals: 2\n").unwrap();
        let moved =
            resolve_text("\n\npolicy:\n  approvals: 1\n  large_change_approvals: 2\n").unwrap();
        assert!(base.differences(&moved).is_empty(), "only the span differs");
        let lowered = resolve_text(
            "policy:\n  approvals: 1\n  large_change_approvals: 1\n  thresholds: { zone_percent: 100 }\n  \
large_change_classes: [mx-changed]\n  freeze: release week\n  admins: ['@erin']\n",
        )
        .unwrap();
        assert_eq!(
            base.differences(&lowered),
            [
                "large_change_approvals 2 -> 1",
                "thresholds.zone_percent 10 -> 100",
                "large_change_classes [template-changed, policy-changed, check-rules-changed, codeowners-changed, allowed-signers-changed, base-assertions-changed, zone-added-or-removed, apex-ns-changed, apex-soa-changed, delegation-changed, mx-changed, caa-changed, wildcard-changed, ttl-cut, service-loses-every-target] -> [mx-changed]",
                "freeze none -> `release week`",
                "admins [] -> [erin]",
            ]
        );
    }
}
