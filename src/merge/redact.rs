//! Keeping the API token out of everything the GitHub client hands on (part of the
//! [`super::github`] IO edge).
//!
//! A server or proxy may echo the request, `Authorization` header included, into any field of
//! any answer, a header, or an error page. So the client never hands on raw text: every answer
//! becomes an [`Answer`] at once, whose body is parsed into a JSON tree with the token blanked
//! out of every string and key before anything is decoded from it, and whose `Link` header is
//! blanked the same way. An `Answer` has no accessor for the raw body, so every value decoded
//! from it, every decode error (serde quotes the value it choked on) and every error message
//! quoting it is made from redacted text: nothing derived from a forge's answer can carry the
//! token to stdout, stderr, a comment, a status or a commit message. The other direction is
//! held too: a request whose path or body would carry the token (a CMDB export holding it, say)
//! is refused before anything is sent.

use serde::de::DeserializeOwned;
use serde_json::Value;

/// What stands where the token was.
pub(crate) const REDACTED: &str = "<redacted>";

/// The longest start of an unparsable body an error quotes.
const QUOTED_CHARACTERS: usize = 200;

/// Blanks one secret out of text and JSON.
#[derive(Clone)]
pub(crate) struct Redactor {
    secret: String,
}

impl Redactor {
    /// Redacts `secret` (nothing when it is empty).
    pub(crate) fn new(secret: &str) -> Self {
        Self {
            secret: secret.to_owned(),
        }
    }

    /// `text` with every occurrence of the secret replaced by [`REDACTED`].
    pub(crate) fn text(&self, text: &str) -> String {
        if self.secret.is_empty() || !text.contains(&self.secret) {
            text.to_owned()
        } else {
            text.replace(&self.secret, REDACTED)
        }
    }

    /// Whether `text` holds the secret.
    pub(crate) fn is_in(&self, text: &str) -> bool {
        !self.secret.is_empty() && text.contains(&self.secret)
    }

    /// Whether any string or key of `value` holds the secret (as decoded: an escape such as
    /// `\u0067` hides nothing).
    pub(crate) fn is_in_json(&self, value: &Value) -> bool {
        match value {
            Value::String(text) => self.is_in(text),
            Value::Array(items) => items.iter().any(|item| self.is_in_json(item)),
            Value::Object(fields) => fields
                .iter()
                .any(|(key, field)| self.is_in(key) || self.is_in_json(field)),
            Value::Null | Value::Bool(_) | Value::Number(_) => false,
        }
    }

    /// An answer as received, redacted.
    pub(crate) fn answer(&self, status: u16, body: &str, link: Option<&str>) -> Answer {
        let body = match serde_json::from_str::<Value>(body) {
            Ok(mut value) => {
                self.redact_json(&mut value);
                Body::Json(value)
            }
            // A syntax error names a position and what was expected, never the text itself.
            Err(error) => Body::Text {
                text: self.text(body),
                error: error.to_string(),
            },
        };
        Answer {
            status,
            link: link.map(|link| self.text(link)),
            body,
        }
    }

    fn redact_json(&self, value: &mut Value) {
        match value {
            Value::String(text) => {
                if self.is_in(text) {
                    *text = self.text(text);
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| self.redact_json(item)),
            Value::Object(fields) => {
                if fields.keys().any(|key| self.is_in(key)) {
                    let redacted = std::mem::take(fields)
                        .into_iter()
                        .map(|(key, field)| (self.text(&key), field))
                        .collect();
                    *fields = redacted;
                }
                fields
                    .values_mut()
                    .for_each(|field| self.redact_json(field));
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
}

/// A forge's answer with the secret blanked out of its body and its `Link` header.
#[derive(Debug)]
pub(crate) struct Answer {
    /// The HTTP status.
    pub(crate) status: u16,
    /// The `Link` header (pagination), redacted.
    pub(crate) link: Option<String>,
    body: Body,
}

#[derive(Debug)]
enum Body {
    /// The body parsed, every string and key redacted.
    Json(Value),
    /// A body that is not JSON, redacted, and why it did not parse.
    Text { text: String, error: String },
}

impl Answer {
    /// The body as `T`, decoded from the redacted tree; the error says what did not fit.
    pub(crate) fn decode<T: DeserializeOwned>(&self) -> Result<T, String> {
        match &self.body {
            Body::Json(value) => T::deserialize(value).map_err(|error| error.to_string()),
            Body::Text { error, .. } => Err(format!("the body is not JSON: {error}")),
        }
    }

    /// What an error should quote: GitHub's `message`, else the start of the body.
    pub(crate) fn message(&self) -> String {
        let quoted = match &self.body {
            Body::Json(value) => match value.get("message") {
                Some(Value::String(message)) => return message.clone(),
                // Written back from the redacted tree, so no escape spells the secret.
                _ => value.to_string(),
            },
            Body::Text { text, .. } => text.clone(),
        };
        quoted.chars().take(QUOTED_CHARACTERS).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "ghp_secret0123";

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)] // Only decoded, to see the error.
    struct Shape {
        number: u64,
    }

    #[test]
    fn every_string_and_key_of_an_answer_is_redacted_before_decoding() {
        let redactor = Redactor::new(SECRET);
        let answer = redactor.answer(
            200,
            r#"{"default_branch": "\u0067hp_secret0123", "ghp_secret0123": [{"title": "x ghp_secret0123 y"}]}"#,
            Some("<https://api/x?page=2&t=ghp_secret0123>; rel=\"next\""),
        );
        let value: Value = answer.decode().unwrap();
        assert_eq!(
            value,
            serde_json::json!({ "default_branch": REDACTED, REDACTED: [{ "title": "x <redacted> y" }] })
        );
        assert_eq!(
            answer.link.as_deref(),
            Some("<https://api/x?page=2&t=<redacted>>; rel=\"next\"")
        );
    }

    #[test]
    fn a_decode_error_quotes_the_redacted_value() {
        let redactor = Redactor::new(SECRET);
        let answer = redactor.answer(200, r#"{"number": "ghp_secret0123"}"#, None);
        assert_eq!(
            answer.decode::<Shape>().unwrap_err(),
            "invalid type: string \"<redacted>\", expected u64"
        );
        let answer = redactor.answer(200, "ghp_secret0123 is not JSON", None);
        assert_eq!(
            answer.decode::<Shape>().unwrap_err(),
            "the body is not JSON: expected value at line 1 column 1"
        );
    }

    #[test]
    fn an_error_quotes_the_message_or_the_redacted_start_of_the_body() {
        let redactor = Redactor::new(SECRET);
        let message = |body: &str| redactor.answer(502, body, None).message();
        assert_eq!(
            message(r#"{"message": "echo: Bearer ghp_secret0123"}"#),
            "echo: Bearer <redacted>"
        );
        assert_eq!(
            message(r#"{"error": "\u0067hp_secret0123"}"#),
            r#"{"error":"<redacted>"}"#
        );
        let long = format!("{}{SECRET}", "x".repeat(195));
        assert_eq!(message(&long), format!("{}<reda", "x".repeat(195)));
    }

    #[test]
    fn the_secret_is_found_in_decoded_strings_and_keys() {
        let redactor = Redactor::new(SECRET);
        let value: Value =
            serde_json::from_str(r#"{"a": [1, {"\u0067hp_secret0123": null}]}"#).unwrap();
        assert!(redactor.is_in_json(&value));
        assert!(!redactor.is_in_json(&serde_json::json!({ "a": ["ghp_secret012"] })));
        assert!(!Redactor::new("").is_in_json(&serde_json::json!("anything")));
    }
}
