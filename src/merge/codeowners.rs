//! CODEOWNERS, GitHub's syntax: who must approve a change to which file (pure).
//!
//! Each line is a gitignore-style pattern followed by owners (`@user`, `@org/team`, or an email
//! address); the *last* matching line decides a file's owners, and a matching line without
//! owners leaves the file unowned. As on GitHub:
//! - a pattern with a `/` at the start or in the middle is anchored at the repository root,
//!   otherwise it matches at any depth (`*.yaml`, `apps/`);
//! - a trailing `/` matches a directory and everything below it;
//! - `*` and `?` stay within one path segment, `**` spans any number of them;
//! - a pattern naming a directory owns everything below it, except that `docs/*` owns only the
//!   files directly in `docs/` (GitHub's documented exception);
//! - `!` negation and `[ ]` ranges are not supported: such lines are reported and skipped, as
//!   GitHub skips them.
//!
//! The bot reads the file from the base branch, never from the pull request.

use crate::diagnostic::{Diagnostic, FileId, Span};
use crate::rules::merge::INVALID_CODEOWNERS;

/// Where GitHub looks for the file, in order; the first that exists is used.
pub const LOCATIONS: [&str; 3] = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"];

/// A parsed CODEOWNERS file.
#[derive(Clone, Debug, Default)]
pub struct CodeOwners {
    rules: Vec<Rule>,
}

/// One usable line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// The pattern as written.
    pub pattern: String,
    /// Owners as written (`@user`, `@org/team`, `someone@example.net`); empty = unowned.
    pub owners: Vec<String>,
    /// 1-based line number.
    pub line: u32,
    segments: Vec<Segment>,
    /// The pattern ended with `/`: only a directory (and so everything below it) matches.
    directory_only: bool,
    /// The last segment is a lone `*`: direct children only (`docs/*`).
    children_only: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    /// `**`: any number of segments, including none.
    AnyDepth,
    /// A segment glob with `*` and `?`.
    Glob(String),
}

/// Parses `text` (the content of `file`). Unusable lines become warnings and are skipped.
pub fn parse(text: &str, file: FileId) -> (CodeOwners, Vec<Diagnostic>) {
    let mut rules = Vec::new();
    let mut diagnostics = Vec::new();
    for (index, raw_line) in text.lines().enumerate() {
        let line = index as u32 + 1;
        let trimmed = raw_line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let (pattern, rest) = split_pattern(trimmed);
        let column = raw_line.len() - raw_line.trim_start().len() + 1;
        let span = Span::new(file, line, column as u32);
        let parsed = match compile(&pattern) {
            Ok(parsed) => parsed,
            Err(message) => {
                diagnostics.push(
                    Diagnostic::warning(INVALID_CODEOWNERS, Some(span), message)
                        .with_hint("this line is skipped, as GitHub skips it"),
                );
                continue;
            }
        };
        let mut owners = Vec::new();
        for token in rest.split_whitespace() {
            if token.starts_with('#') {
                break;
            }
            if token.len() > 1 && (token.starts_with('@') || token.contains('@')) {
                owners.push(token.to_owned());
            } else {
                diagnostics.push(Diagnostic::warning(
                    INVALID_CODEOWNERS,
                    Some(span),
                    format!("owner `{token}` is neither `@user`, `@org/team` nor an email address"),
                ));
            }
        }
        let (segments, directory_only, children_only) = parsed;
        rules.push(Rule {
            pattern,
            owners,
            line,
            segments,
            directory_only,
            children_only,
        });
    }
    (CodeOwners { rules }, diagnostics)
}

impl CodeOwners {
    /// The rule that decides `path`'s owners (the last matching one), if any. `path` is relative
    /// to the repository root, `/`-separated.
    pub fn rule_for(&self, path: &str) -> Option<&Rule> {
        let segments: Vec<&str> = path
            .trim_start_matches('/')
            .split('/')
            .filter(|segment| !segment.is_empty())
            .collect();
        self.rules.iter().rev().find(|rule| rule.matches(&segments))
    }

    /// True when the file has no usable line.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

impl Rule {
    fn matches(&self, path: &[&str]) -> bool {
        if path.is_empty() {
            return false;
        }
        // The file itself.
        if !self.directory_only && match_segments(&self.segments, path) {
            return true;
        }
        // A directory above it: everything below a matched directory is matched.
        if self.children_only {
            return false;
        }
        (1..path.len()).any(|depth| match_segments(&self.segments, &path[..depth]))
    }
}

/// Splits a line into its pattern (unescaped: `\#` and `\ `) and the rest.
fn split_pattern(line: &str) -> (String, &str) {
    let mut pattern = String::new();
    let mut characters = line.char_indices().peekable();
    while let Some((index, character)) = characters.next() {
        match character {
            '\\' => {
                if let Some(&(_, next)) = characters.peek() {
                    pattern.push(next);
                    characters.next();
                }
            }
            character if character.is_whitespace() => return (pattern, &line[index..]),
            character => pattern.push(character),
        }
    }
    (pattern, "")
}

fn compile(pattern: &str) -> Result<(Vec<Segment>, bool, bool), String> {
    if pattern.starts_with('!') {
        return Err(format!(
            "`{pattern}`: negation (`!`) is not supported in CODEOWNERS"
        ));
    }
    if pattern.contains('[') || pattern.contains(']') {
        return Err(format!(
            "`{pattern}`: character ranges (`[ ]`) are not supported in CODEOWNERS"
        ));
    }
    let directory_only = pattern.ends_with('/');
    let body = pattern.trim_end_matches('/');
    let anchored = body.starts_with('/') || body.trim_start_matches('/').contains('/');
    let body = body.trim_start_matches('/');
    if body.is_empty() {
        return Err(format!("`{pattern}` matches nothing"));
    }
    let mut segments = Vec::new();
    if !anchored {
        segments.push(Segment::AnyDepth);
    }
    for part in body.split('/') {
        match part {
            "" => {}
            "**" => segments.push(Segment::AnyDepth),
            glob => segments.push(Segment::Glob(glob.to_owned())),
        }
    }
    let children_only = anchored && body.ends_with("/*") && !directory_only;
    Ok((segments, directory_only, children_only))
}

fn match_segments(pattern: &[Segment], path: &[&str]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((Segment::AnyDepth, rest)) => {
            (0..=path.len()).any(|skip| match_segments(rest, &path[skip..]))
        }
        Some((Segment::Glob(glob), rest)) => path.split_first().is_some_and(|(first, others)| {
            glob_match(glob.as_bytes(), first.as_bytes()) && match_segments(rest, others)
        }),
    }
}

/// `*` (any run of characters) and `?` (one character) within one segment.
fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == b'?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            backtrack = Some((p, t));
            p += 1;
        } else if let Some((star, matched)) = backtrack {
            p = star + 1;
            t = matched + 1;
            backtrack = Some((star, matched + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&byte| byte == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::SourceMap;

    /// GitHub's documented example file.
    const GITHUB_EXAMPLE: &str = "\
# This is a comment.
*       @global-owner1 @global-owner2
*.js    @js-owner #This is an inline comment.
*.go docs@example.com
*.txt @octo-org/octocats
/build/logs/ @doctocat
docs/*  docs@example.com
apps/ @octocat
/docs/ @doctocat
/scripts/ @doctocat @octocat
**/logs @octocat
/apps/ @octocat
/apps/github
";

    fn owners(file: &CodeOwners, path: &str) -> Option<Vec<String>> {
        file.rule_for(path).map(|rule| rule.owners.clone())
    }

    fn parsed(text: &str) -> CodeOwners {
        let (file, diagnostics) = parse(text, FileId(0));
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        file
    }

    #[test]
    fn githubs_documented_examples() {
        let file = parsed(GITHUB_EXAMPLE);
        let list = |names: &[&str]| Some(names.iter().map(|n| (*n).to_owned()).collect());
        assert_eq!(
            owners(&file, "README.md"),
            list(&["@global-owner1", "@global-owner2"])
        );
        assert_eq!(owners(&file, "src/app.js"), list(&["@js-owner"]));
        assert_eq!(owners(&file, "x/y/z.go"), list(&["docs@example.com"]));
        assert_eq!(owners(&file, "notes.txt"), list(&["@octo-org/octocats"]));
        assert_eq!(
            owners(&file, "build/logs/today.log"),
            list(&["@octocat"]),
            "**/logs wins as the later line"
        );
        // `docs/*` owns direct children only, and `/docs/` (later) owns the whole tree anyway.
        assert_eq!(
            owners(&file, "docs/getting-started.md"),
            list(&["@doctocat"])
        );
        assert_eq!(
            owners(&file, "deep/apps/x.rs"),
            list(&["@octocat"]),
            "apps/ matches at any depth"
        );
        assert_eq!(
            owners(&file, "scripts/deploy.sh"),
            list(&["@doctocat", "@octocat"])
        );
        assert_eq!(owners(&file, "deeply/nested/logs/a"), list(&["@octocat"]));
        assert_eq!(
            owners(&file, "apps/github/x"),
            Some(vec![]),
            "a line without owners unowns"
        );
        assert_eq!(owners(&file, "apps/other/x"), list(&["@octocat"]));
    }

    #[test]
    fn children_only_and_anchoring() {
        let file =
            parsed("docs/* @docs\n/zones/services/ @services\nzones/records/edge.yaml @edge\n");
        assert_eq!(owners(&file, "docs/a.md"), Some(vec!["@docs".into()]));
        assert_eq!(
            owners(&file, "docs/build/a.md"),
            None,
            "docs/* does not own nested files"
        );
        assert_eq!(
            owners(&file, "zones/services/web.yaml"),
            Some(vec!["@services".into()])
        );
        assert_eq!(
            owners(&file, "other/zones/services/web.yaml"),
            None,
            "anchored"
        );
        assert_eq!(
            owners(&file, "zones/records/edge.yaml"),
            Some(vec!["@edge".into()])
        );
        assert_eq!(
            owners(&file, "x/zones/records/edge.yaml"),
            None,
            "a middle slash anchors"
        );
    }

    #[test]
    fn globs_stay_in_a_segment_and_double_star_spans() {
        let file = parsed("zones/*.yaml @a\nzones/**/web.yaml @b\n");
        assert_eq!(
            owners(&file, "zones/zonegate.yaml"),
            Some(vec!["@a".into()])
        );
        assert_eq!(owners(&file, "zones/services/api.yaml"), None);
        assert_eq!(
            owners(&file, "zones/services/web.yaml"),
            Some(vec!["@b".into()])
        );
        assert_eq!(
            owners(&file, "zones/web.yaml"),
            Some(vec!["@b".into()]),
            "** may be empty"
        );
        assert!(glob_match(b"a*b?c", b"axxxbyc"));
        assert!(!glob_match(b"a*b?c", b"axxxbc"));
        assert!(glob_match(b"*", b""));
    }

    #[test]
    fn escapes_and_unusable_lines() {
        let mut sources = SourceMap::default();
        let id = sources.add("CODEOWNERS");
        let (file, diagnostics) = parse(
            "\\#notes @hash\n!zones/ @nope\nzones/[ab].yaml @nope\nzones/ owner-without-at @ok\n",
            id,
        );
        assert_eq!(owners(&file, "#notes"), Some(vec!["@hash".into()]));
        assert_eq!(owners(&file, "zones/x"), Some(vec!["@ok".into()]));
        let text: Vec<String> = diagnostics
            .iter()
            .map(|d| d.display(&sources).to_string())
            .collect();
        insta::assert_snapshot!(text.join("\n"), @"
        CODEOWNERS:2:1: warning[invalid-codeowners]: `!zones/`: negation (`!`) is not supported in CODEOWNERS
          hint: this line is skipped, as GitHub skips it
        CODEOWNERS:3:1: warning[invalid-codeowners]: `zones/[ab].yaml`: character ranges (`[ ]`) are not supported in CODEOWNERS
          hint: this line is skipped, as GitHub skips it
        CODEOWNERS:4:1: warning[invalid-codeowners]: owner `owner-without-at` is neither `@user`, `@org/team` nor an email address
        ");
    }
}
