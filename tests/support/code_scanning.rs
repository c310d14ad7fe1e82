//! The GitHub REST API's SARIF upload, stood in for with wiremock as GitHub documents it
//! (docs.github.com/rest/code-scanning/code-scanning#upload-an-analysis-as-sarif-data):
//! `POST /repos/{owner}/{repo}/code-scanning/sarifs` with `commit_sha`, `ref` and `sarif` (the
//! file gzipped, then base64), answered `202 Accepted` with the upload's `id` and `url`. A request
//! without the job's token is 401, a body without those fields 422, and a repository without
//! code scanning (a private one without GitHub Advanced Security) 403 with GitHub's message.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::github::{carries_token, error_answer};

/// One accepted upload, decoded.
#[derive(Clone, Debug)]
pub(crate) struct Upload {
    pub(crate) commit_sha: String,
    pub(crate) reference: String,
    pub(crate) checkout_uri: Option<String>,
    /// The SARIF log, gunzipped and parsed.
    pub(crate) sarif: Value,
}

#[derive(Default)]
struct State {
    uploads: Vec<Upload>,
    disabled: bool,
}

/// The stand-in and what it accepted.
#[derive(Clone)]
pub(crate) struct CodeScanning {
    state: Arc<Mutex<State>>,
    repository: String,
    token: String,
}

impl CodeScanning {
    /// Serves the SARIF uploads of `repository` (`owner/name`) on `server` for `token`.
    pub(crate) async fn mount(server: &MockServer, repository: &str, token: &str) -> Self {
        let api = Self {
            state: Arc::default(),
            repository: repository.to_owned(),
            token: token.to_owned(),
        };
        Mock::given(method("POST"))
            .and(path(format!("/repos/{repository}/code-scanning/sarifs")))
            .respond_with(api.clone())
            .mount(server)
            .await;
        api
    }

    /// Answers as GitHub does for a private repository without GitHub Advanced Security.
    pub(crate) fn disable(&self) {
        self.state.lock().unwrap().disabled = true;
    }

    pub(crate) fn uploads(&self) -> Vec<Upload> {
        self.state.lock().unwrap().uploads.clone()
    }
}

fn error(status: u16, message: &str) -> ResponseTemplate {
    error_answer(
        status,
        message,
        "https://docs.github.com/rest/code-scanning/code-scanning#upload-an-analysis-as-sarif-data",
    )
}

impl Respond for CodeScanning {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        if !carries_token(request, &self.token) {
            return error(401, "Bad credentials");
        }
        let mut state = self.state.lock().unwrap();
        if state.disabled {
            return error(
                403,
                "Advanced Security must be enabled for this repository to use code scanning.",
            );
        }
        let body: Value = serde_json::from_slice(&request.body).unwrap_or_default();
        let field = |name: &str| body[name].as_str().map(str::to_owned);
        let (Some(commit_sha), Some(reference), Some(sarif)) =
            (field("commit_sha"), field("ref"), field("sarif"))
        else {
            return error(
                422,
                "Invalid request: commit_sha, ref and sarif are required.",
            );
        };
        if commit_sha.len() != 40 || !commit_sha.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            return error(422, "Invalid request: commit_sha is not a commit SHA.");
        }
        if !reference.starts_with("refs/") {
            return error(422, "Invalid request: ref is not a full Git reference.");
        }
        // As the API decodes the field: base64, then gunzip.
        let Some(sarif) = super::pipe_through("base64 -d | gzip -dc", sarif.as_bytes())
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        else {
            return error(
                422,
                "Invalid request: sarif is not a gzip-compressed, base64-encoded SARIF file.",
            );
        };
        state.uploads.push(Upload {
            commit_sha,
            reference,
            checkout_uri: field("checkout_uri"),
            sarif,
        });
        let id = format!("47177e22-5596-11eb-80a1-c1e54ef945c{}", state.uploads.len());
        ResponseTemplate::new(202).set_body_json(json!({
            "id": id,
            "url": format!("https://api.github.com/repos/{}/code-scanning/sarifs/{id}", self.repository),
        }))
    }
}
