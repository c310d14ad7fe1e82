//! Which of the base's assertions a change removes or alters (pure).
//!
//! A pull request must not lower its own bar: the base's assertions run on the merge result
//! anyway, but a change that deletes or edits one lowers the bar for every change after it, so
//! it counts as a large change. Whether an edit weakens or strengthens an assertion is not for a
//! bot to judge; any edit counts. Assertions are compared as YAML values (so re-indenting or
//! moving one to another file is no change), one list item at a time, independently of the
//! assertion runner.

use serde_saphyr::Spanned;

/// One `assertions/*.yaml` file: its path and content.
pub type AssertionFile = (String, Vec<u8>);

/// Sentences naming each assertion of `base` that `merged` no longer has, in file order.
pub fn removed_or_changed(base: &[AssertionFile], merged: &[AssertionFile]) -> Vec<String> {
    let mut remaining: Vec<Item> = merged
        .iter()
        .flat_map(|(path, bytes)| items(path, bytes))
        .collect();
    let mut reasons = Vec::new();
    for (path, bytes) in base {
        for item in items(path, bytes) {
            if let Some(position) = remaining.iter().position(|other| other.value == item.value) {
                remaining.swap_remove(position);
                continue;
            }
            reasons.push(match &item.name {
                Some(name) => format!(
                    "assertion \"{name}\" ({}:{}) is removed or changed",
                    item.path, item.line
                ),
                None => format!(
                    "assertion at {}:{} is removed or changed",
                    item.path, item.line
                ),
            });
        }
    }
    reasons
}

struct Item {
    path: String,
    line: usize,
    name: Option<String>,
    value: serde_json::Value,
}

/// The list items of an assertions file. A file that does not parse is one opaque item (its
/// text), so deleting or editing it still counts.
fn items(path: &str, bytes: &[u8]) -> Vec<Item> {
    let parsed = std::str::from_utf8(bytes)
        .ok()
        .and_then(|text| serde_saphyr::from_str::<Vec<Spanned<serde_json::Value>>>(text).ok());
    match parsed {
        Some(list) => list
            .into_iter()
            .map(|item| Item {
                path: path.to_owned(),
                line: item.referenced.line() as usize,
                name: item
                    .value
                    .get("it")
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_owned),
                value: item.value,
            })
            .collect(),
        None => vec![Item {
            path: path.to_owned(),
            line: 1,
            name: None,
            value: serde_json::Value::String(String::from_utf8_lossy(bytes).into_owned()),
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> AssertionFile {
        (path.to_owned(), text.as_bytes().to_vec())
    }

    const WEB: &str = "- it: web is discoverable\n  query: _web._tcp.ams.example.com.\n  type: SRV\n  expect: { at_least: 2 }\n- it: www points at the edge\n  query: www.example.com.\n  expect: { target: edge.example.com. }\n";

    #[test]
    fn an_unchanged_or_moved_or_reformatted_assertion_is_no_change() {
        assert!(
            removed_or_changed(
                &[file("assertions/web.yaml", WEB)],
                &[file("assertions/web.yaml", WEB)]
            )
            .is_empty()
        );
        let reformatted = "- it: www points at the edge\n  query: www.example.com.\n  expect:\n    target: edge.example.com.\n";
        let first = "- it: web is discoverable\n  query: _web._tcp.ams.example.com.\n  type: SRV\n  expect: { at_least: 2 }\n";
        assert!(
            removed_or_changed(
                &[file("assertions/web.yaml", WEB)],
                &[
                    file("assertions/a.yaml", first),
                    file("assertions/b.yaml", reformatted)
                ]
            )
            .is_empty()
        );
    }

    #[test]
    fn weakening_deleting_and_emptying_are_reported() {
        let weakened = WEB.replace("at_least: 2", "at_least: 1");
        assert_eq!(
            removed_or_changed(
                &[file("assertions/web.yaml", WEB)],
                &[file("assertions/web.yaml", &weakened)]
            ),
            ["assertion \"web is discoverable\" (assertions/web.yaml:1) is removed or changed"]
        );
        assert_eq!(
            removed_or_changed(&[file("assertions/web.yaml", WEB)], &[]).len(),
            2
        );
        let broken = "- it: [unclosed\n";
        assert_eq!(
            removed_or_changed(&[file("assertions/x.yaml", broken)], &[]),
            ["assertion at assertions/x.yaml:1 is removed or changed"]
        );
        // Adding assertions is never a large change.
        assert!(removed_or_changed(&[], &[file("assertions/web.yaml", WEB)]).is_empty());
    }

    #[test]
    fn duplicates_are_counted() {
        let once = "- { it: a, query: a.example.com., expect: nxdomain }\n";
        let twice = format!("{once}{once}");
        assert_eq!(
            removed_or_changed(
                &[file("assertions/x.yaml", &twice)],
                &[file("assertions/x.yaml", once)]
            )
            .len(),
            1
        );
    }
}
