//! The module layering of ARCHITECTURE.md ("Layers") holds in the source: a module of `src/`
//! imports only from its own layer and the layers below it, so data flows one way through the
//! pipeline and no stage reaches into a later one.
//!
//! A small scan rather than a linker trick: every `crate::NAME` path (and `super::` climbing out
//! to the crate root) outside comments and test modules names the top-level module it uses.
//! Test code may use later stages (a reader's tests render what they read back), so files named
//! `tests.rs` or `testing.rs` and `#[cfg(test)] mod tests { .. }` blocks are not scanned.
#![allow(clippy::disallowed_methods)] // The test reads the source tree directly.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The layers, lowest first, as ARCHITECTURE.md lists them: the first `text` block after the
/// "## Layers" heading, one layer per line, the modules of a layer separated by spaces.
fn layers() -> BTreeMap<String, usize> {
    let text = fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let section = &text[text
        .find("\n## Layers\n")
        .expect("ARCHITECTURE.md has `## Layers`")..];
    let start = section
        .find("```text\n")
        .expect("a ```text block under `## Layers`")
        + 8;
    let block = &section[start..start + section[start..].find("```").unwrap()];
    let mut rank = BTreeMap::new();
    for (index, line) in block
        .lines()
        .filter(|line| !line.trim().is_empty())
        .enumerate()
    {
        for module in line.split_whitespace() {
            assert!(
                rank.insert(module.to_owned(), index).is_none(),
                "`{module}` is listed twice"
            );
        }
    }
    assert!(rank.len() > 10, "{rank:?}");
    rank
}

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            found.push(path);
        }
    }
}

/// The module path of a source file: `src/check/mod.rs` is `["check"]`, `src/render/verify.rs`
/// is `["render", "verify"]`.
fn module_path(file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(root().join("src")).unwrap();
    let mut path: Vec<String> = relative
        .with_extension("")
        .iter()
        .map(|part| part.to_string_lossy().into_owned())
        .collect();
    if path.last().is_some_and(|last| last == "mod") {
        path.pop();
    }
    path
}

/// The code of a file that ships: without its `#[cfg(test)] mod tests { .. }` blocks and without
/// comment lines.
fn shipped_code(text: &str) -> String {
    let mut code = String::new();
    let mut rest = text;
    while let Some(start) = [
        "#[cfg(test)]\nmod tests {",
        "#[cfg(test)]\npub(crate) mod tests {",
    ]
    .iter()
    .filter_map(|marker| rest.find(marker))
    .min()
    {
        code.push_str(&rest[..start]);
        // The block ends at the brace that closes its first one (braces in the tests' strings
        // come in pairs as well; a miscount scans test code, which can only add findings).
        let open = start + rest[start..].find('{').unwrap();
        let mut depth = 0;
        let mut end = rest.len();
        for (offset, byte) in rest[open..].bytes().enumerate() {
            match byte {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + offset + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &rest[end..];
    }
    code.push_str(rest);
    code.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_identifier_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

fn identifier_at(code: &str, at: usize) -> &str {
    let length = code[at..]
        .bytes()
        .take_while(|&byte| is_identifier_byte(byte))
        .count();
    &code[at..at + length]
}

/// The first identifier of each item of a `{ a::b, c, d::{e, f} }` group starting at `at` (just
/// after the `{`).
fn group_heads(code: &str, at: usize) -> Vec<&str> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut expecting_head = true;
    for (offset, byte) in code[at..].bytes().enumerate() {
        match byte {
            b'{' => depth += 1,
            b'}' if depth == 0 => break,
            b'}' => depth -= 1,
            b',' if depth == 0 => expecting_head = true,
            _ if expecting_head && is_identifier_byte(byte) && depth == 0 => {
                heads.push(identifier_at(code, at + offset));
                expecting_head = false;
            }
            _ => {}
        }
    }
    heads
}

/// The top-level modules `code` (of the module at `path`) names through `crate::` or through
/// `super::` out to the crate root.
fn used_modules<'c>(code: &'c str, path: &[String]) -> Vec<&'c str> {
    let mut used = Vec::new();
    let bytes = code.as_bytes();
    let mut at = 0;
    while at < code.len() {
        // Bytes, not `str` slices: the code may hold non-ASCII text between the paths.
        let starts_path = at == 0 || !is_identifier_byte(bytes[at - 1]);
        let rest = &bytes[at..];
        let (after, climbs) = if starts_path && rest.starts_with(b"crate::") {
            (at + "crate::".len(), None)
        } else if starts_path && rest.starts_with(b"super::") {
            let mut climbs = 0;
            let mut next = at;
            while bytes[next..].starts_with(b"super::") {
                climbs += 1;
                next += "super::".len();
            }
            (next, Some(climbs))
        } else {
            at += 1;
            continue;
        };
        // `super::` that stays inside the top-level module names nothing outside it.
        if climbs.is_none_or(|climbs| climbs >= path.len()) {
            if bytes.get(after) == Some(&b'{') {
                used.extend(group_heads(code, after + 1));
            } else {
                used.push(identifier_at(code, after));
            }
        }
        at = after;
    }
    used.retain(|module| !module.is_empty() && *module != "self");
    used
}

#[test]
fn no_module_imports_a_later_layer() {
    let rank = layers();
    let mut files = Vec::new();
    sources(&root().join("src"), &mut files);
    files.sort();
    let mut problems = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for file in &files {
        let path = module_path(file);
        let top = path[0].as_str();
        let name = file.file_name().unwrap().to_string_lossy();
        // The crate roots wire every module together; test-only files may use any stage.
        if path == ["lib"] || path == ["main"] || name == "tests.rs" || name == "testing.rs" {
            continue;
        }
        seen.insert(top.to_owned());
        let Some(&own) = rank.get(top) else {
            problems.push(format!("`{top}` is not in ARCHITECTURE.md's layers"));
            continue;
        };
        let code = shipped_code(&fs::read_to_string(file).unwrap());
        for used in used_modules(&code, &path) {
            match rank.get(used) {
                None => problems.push(format!(
                    "{}: `crate::{used}` is not in ARCHITECTURE.md's layers",
                    file.display()
                )),
                Some(&layer) if layer > own => problems.push(format!(
                    "{}: `{top}` imports `{used}`, a later layer",
                    file.display()
                )),
                Some(_) => {}
            }
        }
    }
    for listed in rank.keys() {
        if !seen.contains(listed) {
            problems.push(format!(
                "ARCHITECTURE.md's layers name `{listed}`, which src/ does not have"
            ));
        }
    }
    problems.sort();
    problems.dedup();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_scan_sees_paths_groups_and_climbs_to_the_root() {
    let path = ["render".to_owned(), "verify".to_owned()];
    let code = "use super::write;\nuse super::super::model::Zone;\nuse crate::{check, dns::name::{Name, NameError}, self};\nlet x = crate::serial::next(1);\nlet y = mycrate::other;";
    assert_eq!(
        used_modules(code, &path),
        ["model", "check", "dns", "serial"]
    );
    assert_eq!(
        shipped_code(
            "use crate::a;\n// crate::b\n#[cfg(test)]\nmod tests {\n    fn f() { crate::c::g(); }\n}\nuse crate::d;\n"
        ),
        "use crate::a;\n\nuse crate::d;"
    );
}
