//! GitHub Actions expressions (`${{ }}`), evaluated as the runner evaluates them: literals,
//! context look-ups (case-insensitive, a missing property is `null`), the operators in GitHub's
//! documented precedence with its loose equality (different types compare as numbers, strings
//! case-insensitively), `&&`/`||` returning an operand, and the functions workflows use:
//! `contains`, `startsWith`, `endsWith`, `format`, `join`, `toJSON`, `fromJSON`, `hashFiles`
//! (over `GITHUB_WORKSPACE` only, as the runner's), and the status functions.
//!
//! Values are `serde_json::Value`s, the shape of the contexts the runner serialises.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

/// What an expression can see besides the contexts.
pub(crate) struct Scope<'a> {
    /// `github`, `env`, `steps`, `inputs`, `runner`, `vars`, `secrets`, `job`, `matrix`.
    pub(crate) contexts: &'a Value,
    /// `GITHUB_WORKSPACE`: the only directory `hashFiles` looks in.
    pub(crate) workspace: &'a Path,
    /// Whether a step before this one failed (`success()`, `failure()`).
    pub(crate) failed: bool,
}

/// Evaluates one expression (the text between `${{` and `}}`).
pub(crate) fn evaluate(expression: &str, scope: &Scope<'_>) -> Result<Value, String> {
    let tokens = tokenize(expression)?;
    let mut parser = Parser {
        tokens: &tokens,
        position: 0,
        scope,
    };
    let value = parser.or()?;
    if parser.position != tokens.len() {
        return Err(format!(
            "unexpected {:?} in `{expression}`",
            tokens[parser.position]
        ));
    }
    Ok(value)
}

/// Replaces every `${{ expression }}` in `text` by the expression's value as a string.
pub(crate) fn interpolate(text: &str, scope: &Scope<'_>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 3..];
        let end = closing(after).ok_or_else(|| format!("unclosed `${{{{` in {text:?}"))?;
        out.push_str(&to_text(&evaluate(&after[..end], scope)?));
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Evaluates an `if:` condition: `${{ }}` is optional, and a condition that calls no status
/// function runs only when nothing failed before (the runner prepends `success() &&`).
pub(crate) fn condition(text: &str, scope: &Scope<'_>) -> Result<bool, String> {
    let trimmed = text.trim();
    let inner = match trimmed
        .strip_prefix("${{")
        .and_then(|rest| rest.strip_suffix("}}"))
    {
        Some(inner) if closing(&trimmed[3..]) == Some(trimmed.len() - 5) => inner.to_owned(),
        _ if trimmed.contains("${{") => {
            // Text around an expression is a string, and a non-empty string is true.
            return Ok(truthy(&Value::String(interpolate(trimmed, scope)?)));
        }
        _ => trimmed.to_owned(),
    };
    let calls_status = tokenize(&inner)?.windows(2).any(|pair| {
        matches!(&pair[0], Token::Identifier(name)
            if ["success", "failure", "always", "cancelled"]
                .iter()
                .any(|status| name.eq_ignore_ascii_case(status)))
            && pair[1] == Token::Open
    });
    let expression = if calls_status {
        inner
    } else {
        format!("success() && ({inner})")
    };
    Ok(truthy(&evaluate(&expression, scope)?))
}

/// The runner's string form of a value.
pub(crate) fn to_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => format_number(number.as_f64().unwrap_or(f64::NAN)),
        Value::String(text) => text.clone(),
        Value::Array(_) => "Array".to_owned(),
        Value::Object(_) => "Object".to_owned(),
    }
}

/// Falsy: `false`, `0`, `-0`, `NaN`, `''` and `null`.
pub(crate) fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(flag) => *flag,
        Value::Number(number) => number.as_f64().is_some_and(|n| n != 0.0 && !n.is_nan()),
        Value::String(text) => !text.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// Where the `}}` closing an expression is, outside string literals.
fn closing(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut index = 0;
    let mut quoted = false;
    while index < bytes.len() {
        match bytes[index] {
            b'\'' => quoted = !quoted,
            b'}' if !quoted && bytes.get(index + 1) == Some(&b'}') => return Some(index),
            _ => {}
        }
        index += 1;
    }
    None
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Identifier(String),
    String(String),
    Number(f64),
    Open,
    Close,
    OpenIndex,
    CloseIndex,
    Dot,
    Comma,
    Not,
    Star,
    Operator(&'static str),
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let characters: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut index = 0;
    while index < characters.len() {
        let character = characters[index];
        let next = characters.get(index + 1).copied();
        match character {
            ' ' | '\t' | '\n' | '\r' => index += 1,
            '(' => (tokens.push(Token::Open), index += 1).1,
            ')' => (tokens.push(Token::Close), index += 1).1,
            '[' => (tokens.push(Token::OpenIndex), index += 1).1,
            ']' => (tokens.push(Token::CloseIndex), index += 1).1,
            '.' if !next.is_some_and(|c| c.is_ascii_digit()) => {
                tokens.push(Token::Dot);
                index += 1;
            }
            ',' => (tokens.push(Token::Comma), index += 1).1,
            '*' => (tokens.push(Token::Star), index += 1).1,
            '!' if next == Some('=') => {
                tokens.push(Token::Operator("!="));
                index += 2;
            }
            '!' => (tokens.push(Token::Not), index += 1).1,
            '=' if next == Some('=') => {
                tokens.push(Token::Operator("=="));
                index += 2;
            }
            '<' | '>' => {
                let operator = match (character, next) {
                    ('<', Some('=')) => "<=",
                    ('>', Some('=')) => ">=",
                    ('<', _) => "<",
                    _ => ">",
                };
                tokens.push(Token::Operator(operator));
                index += operator.len();
            }
            '&' if next == Some('&') => {
                tokens.push(Token::Operator("&&"));
                index += 2;
            }
            '|' if next == Some('|') => {
                tokens.push(Token::Operator("||"));
                index += 2;
            }
            '\'' => {
                let mut literal = String::new();
                index += 1;
                loop {
                    match characters.get(index) {
                        None => return Err(format!("unclosed string in `{text}`")),
                        Some('\'') if characters.get(index + 1) == Some(&'\'') => {
                            literal.push('\'');
                            index += 2;
                        }
                        Some('\'') => {
                            index += 1;
                            break;
                        }
                        Some(other) => {
                            literal.push(*other);
                            index += 1;
                        }
                    }
                }
                tokens.push(Token::String(literal));
            }
            c if c.is_ascii_digit() || c == '-' || c == '.' => {
                let start = index;
                index += 1;
                while index < characters.len()
                    && (characters[index].is_ascii_alphanumeric() || characters[index] == '.')
                {
                    index += 1;
                }
                let literal: String = characters[start..index].iter().collect();
                let number = parse_number(&literal);
                if number.is_nan() {
                    return Err(format!("bad number `{literal}` in `{text}`"));
                }
                tokens.push(Token::Number(number));
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let start = index;
                while index < characters.len()
                    && (characters[index].is_ascii_alphanumeric()
                        || characters[index] == '_'
                        || characters[index] == '-')
                {
                    index += 1;
                }
                tokens.push(Token::Identifier(characters[start..index].iter().collect()));
            }
            other => return Err(format!("unexpected `{other}` in `{text}`")),
        }
    }
    Ok(tokens)
}

struct Parser<'t, 's> {
    tokens: &'t [Token],
    position: usize,
    scope: &'s Scope<'s>,
}

impl Parser<'_, '_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.position)
    }

    fn take(&mut self, token: &Token) -> bool {
        if self.peek() == Some(token) {
            self.position += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, token: &Token) -> Result<(), String> {
        if self.take(token) {
            Ok(())
        } else {
            Err(format!("expected {token:?}, found {:?}", self.peek()))
        }
    }

    fn or(&mut self) -> Result<Value, String> {
        let mut left = self.and()?;
        while self.take(&Token::Operator("||")) {
            let right = self.and()?;
            if !truthy(&left) {
                left = right;
            }
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Value, String> {
        let mut left = self.equality()?;
        while self.take(&Token::Operator("&&")) {
            let right = self.equality()?;
            if truthy(&left) {
                left = right;
            }
        }
        Ok(left)
    }

    fn equality(&mut self) -> Result<Value, String> {
        let mut left = self.comparison()?;
        loop {
            let equal = if self.take(&Token::Operator("==")) {
                true
            } else if self.take(&Token::Operator("!=")) {
                false
            } else {
                return Ok(left);
            };
            let right = self.comparison()?;
            left = Value::Bool(loosely_equal(&left, &right) == equal);
        }
    }

    fn comparison(&mut self) -> Result<Value, String> {
        let mut left = self.unary()?;
        loop {
            let operator = match self.peek() {
                Some(Token::Operator(operator @ ("<" | "<=" | ">" | ">="))) => *operator,
                _ => return Ok(left),
            };
            self.position += 1;
            let right = self.unary()?;
            let ordering = compare(&left, &right);
            left = Value::Bool(match (operator, ordering) {
                (_, None) => false,
                ("<", Some(order)) => order.is_lt(),
                ("<=", Some(order)) => order.is_le(),
                (">", Some(order)) => order.is_gt(),
                (_, Some(order)) => order.is_ge(),
            });
        }
    }

    fn unary(&mut self) -> Result<Value, String> {
        if self.take(&Token::Not) {
            let value = self.unary()?;
            return Ok(Value::Bool(!truthy(&value)));
        }
        self.postfix()
    }

    fn postfix(&mut self) -> Result<Value, String> {
        let mut value = self.primary()?;
        loop {
            if self.take(&Token::Dot) {
                match self.peek().cloned() {
                    Some(Token::Identifier(name)) => {
                        self.position += 1;
                        value = property(&value, &name);
                    }
                    Some(Token::Star) => {
                        self.position += 1;
                        value = Value::Array(match value {
                            Value::Object(map) => map.into_iter().map(|(_, v)| v).collect(),
                            Value::Array(items) => items,
                            _ => Vec::new(),
                        });
                    }
                    other => return Err(format!("expected a property name, found {other:?}")),
                }
            } else if self.take(&Token::OpenIndex) {
                let index = self.or()?;
                self.expect(&Token::CloseIndex)?;
                value = match (&value, &index) {
                    (Value::Array(items), Value::Number(number)) => number
                        .as_f64()
                        .and_then(|n| n.to_string().parse::<usize>().ok())
                        .and_then(|n| items.get(n).cloned())
                        .unwrap_or(Value::Null),
                    (_, key) => property(&value, &to_text(key)),
                };
            } else {
                return Ok(value);
            }
        }
    }

    fn primary(&mut self) -> Result<Value, String> {
        let token = self
            .peek()
            .cloned()
            .ok_or_else(|| "unexpected end of expression".to_owned())?;
        self.position += 1;
        match token {
            Token::Open => {
                let value = self.or()?;
                self.expect(&Token::Close)?;
                Ok(value)
            }
            Token::String(text) => Ok(Value::String(text)),
            Token::Number(number) => Ok(number_value(number)),
            Token::Identifier(name) if self.peek() == Some(&Token::Open) => {
                self.position += 1;
                let mut arguments = Vec::new();
                if !self.take(&Token::Close) {
                    loop {
                        arguments.push(self.or()?);
                        if self.take(&Token::Close) {
                            break;
                        }
                        self.expect(&Token::Comma)?;
                    }
                }
                call(&name, &arguments, self.scope)
            }
            Token::Identifier(name) => Ok(match name.to_ascii_lowercase().as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                "null" => Value::Null,
                _ => {
                    let context = property(self.scope.contexts, &name);
                    if context.is_null() {
                        return Err(format!("unrecognized named-value: '{name}'"));
                    }
                    context
                }
            }),
            other => Err(format!("unexpected {other:?}")),
        }
    }
}

/// A property, matched case-insensitively as the runner does; `null` when missing.
fn property(value: &Value, name: &str) -> Value {
    let Value::Object(map) = value else {
        return Value::Null;
    };
    map.get(name)
        .or_else(|| {
            map.iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
                .map(|(_, value)| value)
        })
        .cloned()
        .unwrap_or(Value::Null)
}

fn call(name: &str, arguments: &[Value], scope: &Scope<'_>) -> Result<Value, String> {
    let argument = |index: usize| arguments.get(index).cloned().unwrap_or(Value::Null);
    let lower = |index: usize| to_text(&argument(index)).to_lowercase();
    Ok(match name.to_ascii_lowercase().as_str() {
        "success" => Value::Bool(!scope.failed),
        "failure" => Value::Bool(scope.failed),
        "always" => Value::Bool(true),
        "cancelled" => Value::Bool(false),
        "contains" => Value::Bool(match argument(0) {
            Value::Array(items) => items.iter().any(|item| loosely_equal(item, &argument(1))),
            _ => lower(0).contains(&lower(1)),
        }),
        "startswith" => Value::Bool(lower(0).starts_with(&lower(1))),
        "endswith" => Value::Bool(lower(0).ends_with(&lower(1))),
        "format" => Value::String(format(&to_text(&argument(0)), &arguments[1..])?),
        "join" => {
            let separator = if arguments.len() > 1 {
                to_text(&argument(1))
            } else {
                ",".to_owned()
            };
            Value::String(match argument(0) {
                Value::Array(items) => items
                    .iter()
                    .map(to_text)
                    .collect::<Vec<_>>()
                    .join(&separator),
                other => to_text(&other),
            })
        }
        "tojson" => Value::String(serde_json::to_string_pretty(&argument(0)).unwrap()),
        "fromjson" => serde_json::from_str(&to_text(&argument(0)))
            .map_err(|error| format!("fromJSON: {error}"))?,
        "hashfiles" => Value::String(hash_files(
            &arguments.iter().map(to_text).collect::<Vec<_>>(),
            scope.workspace,
        )),
        other => return Err(format!("unrecognized function: '{other}'")),
    })
}

/// `format('{0} and {1}', a, b)`, with `{{` and `}}` for braces.
fn format(template: &str, arguments: &[Value]) -> Result<String, String> {
    let mut out = String::new();
    let mut characters = template.chars().peekable();
    while let Some(character) = characters.next() {
        match character {
            '{' if characters.peek() == Some(&'{') => {
                characters.next();
                out.push('{');
            }
            '}' if characters.peek() == Some(&'}') => {
                characters.next();
                out.push('}');
            }
            '{' => {
                let mut index = String::new();
                for digit in characters.by_ref() {
                    if digit == '}' {
                        break;
                    }
                    index.push(digit);
                }
                let index: usize = index
                    .parse()
                    .map_err(|_| format!("bad format placeholder in {template:?}"))?;
                let value = arguments
                    .get(index)
                    .ok_or_else(|| format!("format: no argument {index} for {template:?}"))?;
                out.push_str(&to_text(value));
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

/// The runner's `hashFiles`: the SHA-256 of the SHA-256s of the files the patterns match, in
/// order; files outside `GITHUB_WORKSPACE` are skipped ("Ignore ... since it is not under
/// GITHUB_WORKSPACE"), and no match at all is the empty string.
pub(crate) fn hash_files(patterns: &[String], workspace: &Path) -> String {
    let mut included: Vec<PathBuf> = Vec::new();
    let mut excluded: Vec<String> = Vec::new();
    for pattern in patterns {
        if let Some(negated) = pattern.strip_prefix('!') {
            excluded.push(absolute(negated, workspace));
        } else {
            let pattern = absolute(pattern, workspace);
            included.extend(matching_files(&pattern));
        }
    }
    included.sort();
    included.dedup();
    let mut combined = Sha256::new();
    let mut any = false;
    for file in included {
        let text = file.to_string_lossy();
        if excluded.iter().any(|pattern| glob_matches(pattern, &text)) {
            continue;
        }
        if !file.starts_with(workspace) {
            continue;
        }
        let Ok(bytes) = std::fs::read(&file) else {
            continue;
        };
        combined.update(Sha256::digest(&bytes));
        any = true;
    }
    if any {
        format!("{:x}", combined.finalize())
    } else {
        String::new()
    }
}

fn absolute(pattern: &str, workspace: &Path) -> String {
    if pattern.starts_with('/') {
        pattern.to_owned()
    } else {
        format!("{}/{pattern}", workspace.display())
    }
}

/// The files below the pattern's directory part without wildcards that the pattern matches.
fn matching_files(pattern: &str) -> Vec<PathBuf> {
    let literal: Vec<&str> = pattern
        .split('/')
        .take_while(|part| !part.contains(['*', '?', '[']))
        .collect();
    let root = PathBuf::from(literal.join("/"));
    let mut found = Vec::new();
    let mut stack = vec![root];
    while let Some(path) = stack.pop() {
        let Ok(metadata) = std::fs::metadata(&path) else {
            continue;
        };
        if metadata.is_dir() {
            if let Ok(entries) = std::fs::read_dir(&path) {
                stack.extend(entries.filter_map(|entry| entry.ok().map(|entry| entry.path())));
            }
        } else if glob_matches(pattern, &path.to_string_lossy()) {
            found.push(path);
        }
    }
    found
}

/// `*` (within a path segment), `**` (any segments) and `?`, as @actions/glob matches.
fn glob_matches(pattern: &str, path: &str) -> bool {
    fn segments(pattern: &[&str], path: &[&str]) -> bool {
        match (pattern.first(), path.first()) {
            (None, None) => true,
            (Some(&"**"), _) => {
                segments(&pattern[1..], path) || (!path.is_empty() && segments(pattern, &path[1..]))
            }
            (Some(part), Some(name)) => {
                segment(part.as_bytes(), name.as_bytes()) && segments(&pattern[1..], &path[1..])
            }
            _ => false,
        }
    }
    fn segment(pattern: &[u8], name: &[u8]) -> bool {
        match (pattern.first(), name.first()) {
            (None, None) => true,
            (Some(b'*'), _) => {
                segment(&pattern[1..], name) || (!name.is_empty() && segment(pattern, &name[1..]))
            }
            (Some(b'?'), Some(_)) => segment(&pattern[1..], &name[1..]),
            (Some(expected), Some(actual)) => {
                expected == actual && segment(&pattern[1..], &name[1..])
            }
            _ => false,
        }
    }
    let pattern: Vec<&str> = pattern.split('/').filter(|part| !part.is_empty()).collect();
    let path: Vec<&str> = path.split('/').filter(|part| !part.is_empty()).collect();
    segments(&pattern, &path)
}

fn number_value(number: f64) -> Value {
    serde_json::Number::from_f64(number).map_or(Value::Null, Value::Number)
}

fn parse_number(text: &str) -> f64 {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return 0.0;
    }
    if let Some(hex) = trimmed.strip_prefix("0x") {
        return i32::from_str_radix(hex, 16).map_or(f64::NAN, f64::from);
    }
    trimmed.parse().unwrap_or(f64::NAN)
}

fn to_number(value: &Value) -> f64 {
    match value {
        Value::Null => 0.0,
        Value::Bool(flag) => f64::from(u8::from(*flag)),
        Value::Number(number) => number.as_f64().unwrap_or(f64::NAN),
        Value::String(text) => parse_number(text),
        Value::Array(_) | Value::Object(_) => f64::NAN,
    }
}

fn format_number(number: f64) -> String {
    if number.fract() == 0.0 && number.abs() < 1e15 {
        format!("{}", number as i64)
    } else {
        number.to_string()
    }
}

/// `==`: same types compare directly (strings ignoring case); different ones as numbers.
fn loosely_equal(left: &Value, right: &Value) -> bool {
    match (left, right) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::String(a), Value::String(b)) => a.to_lowercase() == b.to_lowercase(),
        // Objects and arrays are equal only to themselves, which a copy never is.
        (Value::Array(_) | Value::Object(_), _) | (_, Value::Array(_) | Value::Object(_)) => false,
        // NaN equals nothing; 0 and -0 are equal.
        _ => to_number(left).partial_cmp(&to_number(right)) == Some(std::cmp::Ordering::Equal),
    }
}

fn compare(left: &Value, right: &Value) -> Option<std::cmp::Ordering> {
    match (left, right) {
        (Value::String(a), Value::String(b)) => Some(a.to_lowercase().cmp(&b.to_lowercase())),
        _ => to_number(left).partial_cmp(&to_number(right)),
    }
}
