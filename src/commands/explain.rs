//! `zonegate explain RULE`: what a rule means, why it matters (the RFC) and how to fix it, as
//! `ruff rule` does; `zonegate explain --all` lists every rule id with its summary.
//!
//! The text is the rule's documentation in `check::RULES`, the same text as the rustdoc and the
//! SARIF help, so the three cannot drift apart. No IO beyond writing to `out`.

use std::io::Write;

use super::{Error, Outcome};
use crate::check::{RULES, Rule, Stage};
use crate::model::suggest;

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
            let width = RULES.iter().map(|rule| rule.id.len()).max().unwrap_or(0);
            for rule in RULES {
                writeln!(
                    out,
                    "{:width$}  {:7}  {}",
                    rule.id,
                    rule.default_severity.as_str(),
                    rule.summary
                )?;
            }
            Ok(Outcome::Clean)
        }
        Request::Rule(id) => {
            let wanted = id.trim().to_ascii_lowercase();
            let Some(rule) = RULES.iter().find(|rule| rule.id == wanted) else {
                return Err(Error::UnknownRule {
                    id: id.clone(),
                    suggestions: suggestions(&wanted),
                });
            };
            out.write_all(explanation(rule).as_bytes())?;
            Ok(Outcome::Clean)
        }
    }
}

/// The full text for one rule: a heading, the summary, where it is reported and whether its
/// severity can be changed, then the documentation.
pub fn explanation(rule: &Rule) -> String {
    let reported = match rule.stage {
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
    };
    format!(
        "# {id}\n\n{summary}.\n\nDefault severity: {severity}. {reported}\n\n{body}",
        id = rule.id,
        summary = capitalised(rule.summary),
        severity = rule.default_severity.as_str(),
        body = rule.explain().trim_start(),
    )
}

/// Ids close to `wanted`: a near miss by edit distance first, then the ids that contain it (so
/// `explain cname` lists the CNAME rules).
fn suggestions(wanted: &str) -> Vec<&'static str> {
    let mut found: Vec<&'static str> = suggest(wanted, RULES.iter().map(|rule| rule.id))
        .into_iter()
        .collect();
    if !wanted.is_empty() {
        for rule in RULES {
            if rule.id.contains(wanted) && !found.contains(&rule.id) {
                found.push(rule.id);
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
    fn the_list_has_one_line_per_rule() {
        let text = explain(&Request::All).unwrap();
        assert_eq!(text.lines().count(), RULES.len());
        for (line, rule) in text.lines().zip(RULES) {
            assert!(line.starts_with(rule.id), "{line}");
            assert!(line.ends_with(rule.summary), "{line}");
        }
    }
}
