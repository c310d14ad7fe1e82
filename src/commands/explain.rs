//! `zonegate explain RULE`: what a rule means, why it matters (the RFC) and how to fix it, as
//! `ruff rule` does; `zonegate explain --all` lists every rule id with its summary, then every
//! change class (the kinds of change that are large whatever their size).
//!
//! The text is the rule's documentation in the registry (`rules::RULES`, the same text as the
//! rustdoc and the SARIF help, so the three cannot drift apart), or the class's in
//! `change_class::CLASSES`. No IO beyond writing to `out`.

use std::io::Write;

use super::{Error, Outcome};
use crate::change_class::{CLASSES, ChangeClass};
use crate::diagnostic::suggest;
use crate::rules::{RULES, Rule, Stage};

/// What to explain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// One rule, by id.
    Rule(String),
    /// The list of every rule.
    All,
}

/// Runs `explain`. An unknown id is a usage error (exit 2) that names the closest ids.
pub fn run(request: &Request, out: &mut dyn Write) -> Result<Outcome, Error> {
    match request {
        Request::All => {
            let width = RULES.iter().map(|rule| rule.id().len()).max().unwrap_or(0);
            for rule in RULES {
                writeln!(
                    out,
                    "{:width$}  {:7}  {}",
                    rule.id(),
                    rule.default_severity().as_str(),
                    rule.summary()
                )?;
            }
            writeln!(
                out,
                "\nchange classes: large whatever their size (policy.large_change_classes)"
            )?;
            let width = CLASSES
                .iter()
                .map(|class| class.id.len())
                .max()
                .unwrap_or(0);
            for class in CLASSES {
                writeln!(out, "{:width$}  {}", class.id, class.summary)?;
            }
            Ok(Outcome::Clean)
        }
        Request::Rule(id) => {
            let wanted = id.trim().to_ascii_lowercase();
            if let Some(rule) = crate::rules::rule(&wanted) {
                out.write_all(explanation(rule).as_bytes())?;
            } else if let Some(class) = crate::change_class::class(&wanted) {
                out.write_all(class_explanation(class).as_bytes())?;
            } else {
                return Err(Error::UnknownRule {
                    id: id.clone(),
                    suggestions: suggestions(&wanted),
                });
            }
            Ok(Outcome::Clean)
        }
    }
}

/// The full text for one rule: a heading, the summary, where it is reported and whether its
/// severity can be changed, then the documentation.
pub fn explanation(rule: &Rule) -> String {
    let reported = match rule.stage() {
        Stage::Input => {
            "Malformed input: always an error that stops the command (exit 2); `check.rules` cannot change it."
        }
        Stage::Build => {
            "Reported while the records are generated (render, check, test, diff, bot, deploy); change its severity under `check.rules` in zones/zonegate.yaml."
        }
        Stage::Check => {
            "Reported by `zonegate check` (and by render, which refuses on errors); change its severity under `check.rules` in zones/zonegate.yaml."
        }
        Stage::Render => {
            "Reported by `zonegate check` and the merge bot, and refused by `render` and `deploy` (exit 1, nothing written); `check.rules` cannot change it."
        }
        Stage::Deploy => {
            "Reported by `zonegate deploy` while planning against the served zones; `deploy.stale_serial` in zones/zonegate.yaml decides what happens, not `check.rules`."
        }
        Stage::Test => {
            "Reported by `zonegate test` (exit 1), by the merge bot on the merge result, and by `zonegate deploy` against the rendered zones before anything is written and against the live server after the reload; `check.rules` cannot change it."
        }
        Stage::Merge => {
            "Found by the merge bot when it reads CODEOWNERS from the base branch, which skips the line; `check.rules` cannot change it."
        }
    };
    format!(
        "# {id}\n\n{summary}.\n\nDefault severity: {severity}. {reported}\n\n{body}",
        id = rule.id(),
        summary = capitalised(rule.summary()),
        severity = rule.default_severity().as_str(),
        body = rule.explain().trim_start(),
    )
}

/// The full text for one change class: a heading, the summary, the policy key, then the
/// documentation.
pub fn class_explanation(class: &ChangeClass) -> String {
    format!(
        "# {id}\n\n{summary}.\n\nA change class: a pull request with such a change needs `policy.large_change_approvals` (or the override label) whatever its size, unless `policy.large_change_classes` in zones/zonegate.yaml leaves `{id}` out.\n\n{body}",
        id = class.id,
        summary = capitalised(class.summary),
        body = class.explain().trim_start(),
    )
}

/// Ids close to `wanted`: a near miss by edit distance first, then the ids that contain it (so
/// `explain cname` lists the CNAME rules), rules before change classes.
fn suggestions(wanted: &str) -> Vec<&'static str> {
    let ids = || {
        RULES
            .iter()
            .map(|rule| rule.id())
            .chain(CLASSES.iter().map(|class| class.id))
    };
    let mut found: Vec<&'static str> = suggest(wanted, ids()).into_iter().collect();
    if !wanted.is_empty() {
        for id in ids() {
            if id.contains(wanted) && !found.contains(&id) {
                found.push(id);
            }
        }
    }
    found
}

fn capitalised(text: &str) -> String {
    let mut characters = text.chars();
    characters.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(characters).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn explain(request: &Request) -> Result<String, String> {
        let mut out = Vec::new();
        match run(request, &mut out) {
            Ok(outcome) => {
                assert_eq!(outcome, Outcome::Clean);
                Ok(String::from_utf8(out).unwrap())
            }
            Err(error) => Err(error.to_string()),
        }
    }

    #[test]
    fn a_rule_is_explained_with_its_heading_severity_and_sections() {
        let text = explain(&Request::Rule("cname-and-other-data".into())).unwrap();
        let head: Vec<&str> = text.lines().take(5).collect();
        insta::assert_snapshot!(head.join("\n"), @"
        # cname-and-other-data

        A CNAME beside other records at one name.

        Default severity: error. Reported by `zonegate check` (and by render, which refuses on errors); change its severity under `check.rules` in zones/zonegate.yaml.
        ");
        assert!(text.contains("## Why it matters"), "{text}");
        assert!(text.contains("RFC 1034"), "{text}");
    }

    #[test]
    fn a_change_class_is_explained_with_its_policy_key() {
        let text = explain(&Request::Rule("delegation-changed".into())).unwrap();
        let head: Vec<&str> = text.lines().take(5).collect();
        insta::assert_snapshot!(head.join("\n"), @"
        # delegation-changed

        A delegation is added, removed or re-pointed.

        A change class: a pull request with such a change needs `policy.large_change_approvals` (or the override label) whatever its size, unless `policy.large_change_classes` in zones/zonegate.yaml leaves `delegation-changed` out.
        ");
        assert!(text.contains("## Why it is large"), "{text}");
        let all = explain(&Request::All).unwrap();
        for class in CLASSES {
            assert!(
                all.lines()
                    .any(|line| line.starts_with(&format!("{}  ", class.id))),
                "{all}"
            );
        }
    }

    #[test]
    fn ids_are_matched_without_regard_to_case_or_surrounding_spaces() {
        assert_eq!(
            explain(&Request::Rule(" TTL-Mismatch ".into())).unwrap(),
            explain(&Request::Rule("ttl-mismatch".into())).unwrap()
        );
    }

    #[test]
    fn an_unknown_id_names_the_closest_ones() {
        insta::assert_snapshot!(
            explain(&Request::Rule("cname-at-apx".into())).unwrap_err(),
            @"unknown rule `cname-at-apx`; did you mean `cname-at-apex`? (`zonegate explain --all` lists every rule)"
        );
        insta::assert_snapshot!(
            explain(&Request::Rule("cname".into())).unwrap_err(),
            @"unknown rule `cname`; did you mean `cname-and-other-data`, `cname-at-apex`, `cname-chain-too-long`, `cname-loop`, `multiple-cnames`? (`zonegate explain --all` lists every rule)"
        );
        insta::assert_snapshot!(
            explain(&Request::Rule("no-such-thing".into())).unwrap_err(),
            @"unknown rule `no-such-thing` (`zonegate explain --all` lists every rule)"
        );
    }

    #[test]
    fn every_rule_in_the_registry_is_explained() {
        for rule in RULES {
            let text = explain(&Request::Rule(rule.id().to_owned())).unwrap();
            assert!(text.starts_with(&format!("# {}\n", rule.id())), "{text}");
            assert!(text.contains("Default severity: "), "{text}");
        }
    }

    #[test]
    fn the_list_has_one_line_per_rule_then_one_per_change_class() {
        let text = explain(&Request::All).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), RULES.len() + 2 + CLASSES.len());
        for (line, rule) in lines.iter().zip(RULES) {
            assert!(line.starts_with(rule.id()), "{line}");
            assert!(line.ends_with(rule.summary()), "{line}");
        }
        assert_eq!(lines[RULES.len()], "");
        for (line, class) in lines[RULES.len() + 2..].iter().zip(CLASSES) {
            assert!(line.starts_with(class.id), "{line}");
            assert!(line.ends_with(class.summary), "{line}");
        }
    }
}
