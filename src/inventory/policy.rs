//! `policy:` in `zones/zonegate.yaml`: what the merge bot requires before it merges.
//!
//! The bot reads the policy from the base branch only, never from the pull request, so a change
//! cannot lower its own bar. This module parses and resolves it; the decisions live in `merge`.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::Spanned;

use super::yaml::span_of;
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
            span,
        }
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
merge_method: squash\n  teams: { dns: ['@alice', bob] }\n",
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
          hint: expected one of: approvals, large_change_approvals, override_label, do_not_merge_label, thresholds, merge_method, teams
        "
        );
    }
}
