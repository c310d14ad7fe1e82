//! `docs/rules/<id>.md`, the page SARIF's `helpUri` links every code-scanning alert to: each is
//! the text of `zonegate explain <id>`, and `docs/rules/README.md` lists them all, so the pages
//! cannot drift from the rules' documentation in `check::RULES`.
//!
//! `UPDATE_EXPECT=1 cargo test --test rule_docs` writes the pages after a rule's documentation
//! changes (and removes the page of a rule that is gone); read the diff before committing.
#![allow(clippy::disallowed_methods)] // The test reads and writes the shipped pages.

mod support;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use zonegate::commands::explain;
use zonegate::report::{RULE_DOCUMENTATION, rule_documentation_url};
use zonegate::rules::RULES;

fn directory() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(RULE_DOCUMENTATION)
}

/// The index: every rule with its default severity and summary, in the registry's order.
fn index() -> String {
    let mut text = String::from(
        "<!-- Generated from the rules' documentation: `UPDATE_EXPECT=1 cargo test --test rule_docs`. -->\n\
         # zonegate's rules\n\n\
         What each finding of `zonegate check` (and of render, test, diff, bot and deploy) means, \
         why it matters and how to fix it: the text `zonegate explain <id>` prints. Each page \
         says whether `check.rules` in `zones/zonegate.yaml` can change the rule's severity.\n\n\
         | rule | default | what is wrong |\n|---|---|---|\n",
    );
    for rule in RULES {
        let _ = writeln!(
            text,
            "| [`{id}`]({id}.md) | {severity} | {summary} |",
            id = rule.id(),
            severity = rule.default_severity().as_str(),
            summary = rule.summary()
        );
    }
    text
}

/// Every page as it should be, by file name.
fn pages() -> BTreeMap<String, String> {
    let mut pages: BTreeMap<String, String> = RULES
        .iter()
        .map(|rule| (format!("{}.md", rule.id()), explain::explanation(rule)))
        .collect();
    pages.insert("README.md".to_owned(), index());
    pages
}

#[test]
fn every_rule_has_its_page_and_the_pages_are_the_explain_text() {
    let update = std::env::var_os("UPDATE_EXPECT").is_some_and(|value| value == "1");
    let wanted = pages();
    let directory = directory();
    if update {
        fs::create_dir_all(&directory).unwrap();
    }
    let mut stale = Vec::new();
    for (name, text) in &wanted {
        let path = directory.join(name);
        if fs::read_to_string(&path).ok().as_deref() == Some(text.as_str()) {
            continue;
        }
        if update {
            fs::write(&path, text).unwrap();
        } else {
            stale.push(name.clone());
        }
    }
    // A page whose rule is gone would still be linked from old SARIF; it must not look current.
    for entry in fs::read_dir(&directory).into_iter().flatten() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if !wanted.contains_key(&name) {
            if update {
                fs::remove_file(directory.join(&name)).unwrap();
            } else {
                stale.push(name);
            }
        }
    }
    assert!(
        stale.is_empty(),
        "these pages in {RULE_DOCUMENTATION}/ differ from the rules' documentation: {stale:?}\n\
         run `UPDATE_EXPECT=1 cargo test --test rule_docs` and read the diff"
    );
}

#[test]
fn the_page_is_what_explain_prints() {
    let rule = RULES
        .iter()
        .find(|rule| rule.id() == "cname-and-other-data")
        .unwrap();
    let run = support::zonegate(Path::new("."), &["explain", rule.id()]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert_eq!(run.stdout, pages()[&format!("{}.md", rule.id())]);
}

// Issue 16 item 3: code scanning links each alert's rule to its `helpUri`; the SARIF had none.
#[test]
fn every_sarif_rule_links_to_its_page_in_this_repository() {
    let repo = support::example_repository();
    let run = support::zonegate(repo.path(), &["check", "--format", "sarif"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let log: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert_eq!(rules.len(), RULES.len());
    let prefix = format!(
        "{}/blob/",
        env!("CARGO_PKG_REPOSITORY").trim_end_matches('/')
    );
    for rule in rules {
        let id = rule["id"].as_str().unwrap();
        let uri = rule["helpUri"].as_str().unwrap_or_else(|| panic!("{rule}"));
        assert_eq!(
            uri,
            rule_documentation_url(id, env!("CARGO_PKG_VERSION")),
            "{rule}"
        );
        // `https://github.com/OWNER/REPO/blob/REVISION/` and then a page this test keeps.
        let page = uri
            .strip_prefix(&prefix)
            .and_then(|rest| rest.split_once('/'))
            .map_or_else(|| panic!("{uri}"), |(_, path)| path);
        assert!(
            Path::new(env!("CARGO_MANIFEST_DIR")).join(page).is_file(),
            "{uri}: no {page}"
        );
    }
}
