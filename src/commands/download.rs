//! Fetching the CMDB export `regen --cmdb URL` names (IO edge).
//!
//! The body is streamed into a private temporary file: a random name in the temporary
//! directory, created exclusively with mode 0600 and removed when the [`Export`] is dropped, so
//! no other user can plant a link where the export is written, or read it there. Every wait has
//! a deadline ([`Deadlines`]): the connection (name resolution and TLS included), the longest
//! silence of the server, and the whole download, redirects included. A failure names the URL
//! (its password hidden) and which deadline passed.
#![allow(clippy::disallowed_methods)] // IO edge: downloads into a temporary file.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The largest export a download may bring (the largest a CMDB reader takes).
pub const MAX_EXPORT: u64 = 4 * 1024 * 1024 * 1024;

/// How long each part of a download may take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadlines {
    /// Resolving the host and connecting (TLS handshake included).
    pub connect: Duration,
    /// The longest the server may send nothing (between two reads).
    pub read: Duration,
    /// The whole download, from the first connection to the last byte, redirects included.
    pub total: Duration,
}

impl Default for Deadlines {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            read: Duration::from_secs(30),
            total: Duration::from_secs(600),
        }
    }
}

/// Which deadline passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deadline {
    /// No connection in time.
    Connect,
    /// The server was silent too long.
    Read,
    /// The download as a whole took too long.
    Total,
}

/// The export could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A deadline passed.
    #[error("cannot fetch the export {url}: {}", describe(*.deadline, *.limit))]
    Deadline {
        /// The URL, its password hidden.
        url: String,
        /// Which deadline.
        deadline: Deadline,
        /// Its length.
        limit: Duration,
    },
    /// The server was not reached, or did not answer with the export.
    #[error("cannot fetch the export {url}: {reason}")]
    Failed {
        /// The URL, its password hidden.
        url: String,
        /// Why.
        reason: String,
    },
    /// The export is larger than [`MAX_EXPORT`].
    #[error("cannot fetch the export {url}: it is larger than {MAX_EXPORT} bytes")]
    TooLarge {
        /// The URL, its password hidden.
        url: String,
    },
    /// The temporary file could not be created or written.
    #[error("cannot write the downloaded export to {path}: {source}")]
    Write {
        /// The temporary file (or directory, when it could not be created).
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
}

fn describe(deadline: Deadline, limit: Duration) -> String {
    let seconds = limit.as_secs_f64();
    match deadline {
        Deadline::Connect => format!("no connection within {seconds} s (--cmdb-connect-timeout)"),
        Deadline::Read => format!("the server sent nothing for {seconds} s (--cmdb-read-timeout)"),
        Deadline::Total => {
            format!("the download did not finish within {seconds} s (--cmdb-timeout)")
        }
    }
}

/// The export as a local file: the path given, or a private temporary copy of a URL's body.
#[derive(Debug)]
pub struct Export {
    path: PathBuf,
    /// Removes the temporary copy when dropped.
    _temporary: Option<tempfile::TempPath>,
}

impl Export {
    /// Where to read the export.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Whether `source` is an `http://` or `https://` URL.
pub fn is_url(source: &Path) -> bool {
    let text = source.to_string_lossy();
    text.starts_with("http://") || text.starts_with("https://")
}

/// `source` for messages: a URL with its password replaced by `***`.
pub fn shown(source: &Path) -> String {
    let text = source.to_string_lossy();
    if !is_url(source) {
        return text.into_owned();
    }
    let (scheme, rest) = text.split_once("://").expect("a URL has a scheme");
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((user_information, host)) => {
            let user = user_information
                .split_once(':')
                .map_or(user_information, |(user, _)| user);
            let hidden = if user_information.contains(':') {
                ":***"
            } else {
                ""
            };
            format!("{scheme}://{user}{hidden}@{host}{tail}")
        }
        None => text.into_owned(),
    }
}

/// The export's file name, for the summary and commit message: the last path segment, without
/// a URL's query or fragment (which may hold a key).
pub fn name(source: &Path) -> String {
    let text = source.to_string_lossy();
    let path = if is_url(source) {
        url_path(&text)
    } else {
        &text
    };
    path.rsplit('/')
        .next()
        .filter(|name| !name.is_empty())
        .map_or_else(|| shown(source), str::to_owned)
}

/// The path of a URL, without its query and fragment (empty when it has none).
fn url_path(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    rest.find('/').map_or("", |start| &rest[start..])
}

/// The export at `source`: the file itself, or a URL's body downloaded within `deadlines` into
/// a private temporary file that keeps the URL's extension (so the format is recognised as for
/// a file).
pub fn fetch(source: &Path, deadlines: &Deadlines) -> Result<Export, Error> {
    if !is_url(source) {
        return Ok(Export {
            path: source.to_path_buf(),
            _temporary: None,
        });
    }
    let url = source.to_string_lossy().into_owned();
    let classify = |error: ureq::Error| classify(error, &shown(source), deadlines);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_resolve(Some(deadlines.connect))
        .timeout_connect(Some(deadlines.connect))
        .timeout_per_read(Some(deadlines.read))
        .timeout_per_write(Some(deadlines.read))
        .timeout_global(Some(deadlines.total))
        .http_status_as_error(false)
        .user_agent(concat!("zonegate/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let mut response = agent.get(&url).call().map_err(classify)?;
    let status = response.status();
    if status != ureq::http::StatusCode::OK {
        return Err(Error::Failed {
            url: shown(source),
            reason: format!("HTTP {}", status.as_u16()),
        });
    }

    let suffix = format!(".{}", extension(&url));
    let directory = std::env::temp_dir();
    let file = tempfile::Builder::new()
        .prefix("zonegate-regen-")
        .suffix(&suffix)
        .tempfile_in(&directory)
        .map_err(|source| Error::Write {
            path: directory,
            source,
        })?;
    let (mut file, path) = file.into_parts();
    let mut body = response.body_mut().with_config().limit(MAX_EXPORT).reader();
    let mut buffer = vec![0_u8; 64 * 1024];
    loop {
        let read = match body.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(classify(ureq::Error::from(error))),
        };
        file.write_all(&buffer[..read])
            .map_err(|source| Error::Write {
                path: path.to_path_buf(),
                source,
            })?;
    }
    // No sync: the copy is read back by this process and removed; it need not survive a crash.
    drop(file);
    Ok(Export {
        path: path.to_path_buf(),
        _temporary: Some(path),
    })
}

/// The URL path's extension when it is a plain word (`csv`, `json`), else `csv`.
fn extension(url: &str) -> &str {
    url_path(url)
        .rsplit('/')
        .next()
        .and_then(|name| name.rsplit_once('.'))
        .map(|(_, extension)| extension)
        .filter(|extension| {
            !extension.is_empty()
                && extension.len() <= 16
                && extension.bytes().all(|byte| byte.is_ascii_alphanumeric())
        })
        .unwrap_or("csv")
}

fn classify(error: ureq::Error, url: &str, deadlines: &Deadlines) -> Error {
    use ureq::Timeout;
    let deadline = |deadline, limit| Error::Deadline {
        url: url.to_owned(),
        deadline,
        limit,
    };
    match error {
        ureq::Error::Timeout(Timeout::Resolve | Timeout::Connect) => {
            deadline(Deadline::Connect, deadlines.connect)
        }
        ureq::Error::Timeout(Timeout::PerRead | Timeout::PerWrite) => {
            deadline(Deadline::Read, deadlines.read)
        }
        // Only the global deadline is left configured.
        ureq::Error::Timeout(_) => deadline(Deadline::Total, deadlines.total),
        ureq::Error::BodyExceedsLimit(_) => Error::TooLarge {
            url: url.to_owned(),
        },
        error => Error::Failed {
            url: url.to_owned(),
            reason: error.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    const EXPORT: &str =
        "hostname,datacenter,ipv4,ipv6,status,roles\nweb1,ams,10.1.0.1,,in_use,web\n";

    /// Serves `EXPORT` to one request on 127.0.0.1; returns the URL.
    fn serve_once() -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/servers.csv", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = [0_u8; 4096];
            let _ = stream.read(&mut request);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{EXPORT}",
                EXPORT.len()
            );
        });
        url
    }

    // Issue 12, item 9: the export went to `/tmp/zonegate-regen-<pid>.csv` with
    // `std::fs::write`, which follows a link another user planted there.
    #[test]
    fn a_downloaded_export_goes_to_a_private_file_not_a_predictable_path() {
        let elsewhere = tempfile::tempdir().unwrap();
        let victim = elsewhere.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let predictable =
            std::env::temp_dir().join(format!("zonegate-regen-{}.csv", std::process::id()));
        let _ = std::fs::remove_file(&predictable);
        std::os::unix::fs::symlink(&victim, &predictable).unwrap();

        let fetched = fetch(Path::new(&serve_once()), &Deadlines::default());
        std::fs::remove_file(&predictable).unwrap();
        let fetched = fetched.unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        let path = fetched.path().to_path_buf();
        assert_ne!(path, predictable);
        assert!(path.extension().is_some_and(|extension| extension == "csv"));
        let metadata = std::fs::symlink_metadata(&path).unwrap();
        assert!(metadata.is_file());
        assert_eq!(metadata.permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), EXPORT);
        drop(fetched);
        assert!(!path.exists(), "{} was left behind", path.display());
    }

    #[test]
    fn a_file_is_read_where_it_is() {
        let export = fetch(Path::new("exports/servers.csv"), &Deadlines::default()).unwrap();
        assert_eq!(export.path(), Path::new("exports/servers.csv"));
    }

    #[test]
    fn messages_hide_a_password_and_names_drop_a_query() {
        let url = Path::new("https://zonegate:s3cret@cmdb.example.net/export.json?key=abc#x");
        assert_eq!(
            shown(url),
            "https://zonegate:***@cmdb.example.net/export.json?key=abc#x"
        );
        assert_eq!(name(url), "export.json");
        assert_eq!(shown(Path::new("http://user@cmdb/a")), "http://user@cmdb/a");
        assert_eq!(shown(Path::new("/exports/a:b@c")), "/exports/a:b@c");
        assert_eq!(name(Path::new("/exports/servers.csv")), "servers.csv");
        assert_eq!(name(Path::new("https://cmdb/")), "https://cmdb/");
        assert_eq!(
            name(Path::new("https://cmdb?file=a.csv")),
            "https://cmdb?file=a.csv"
        );
    }

    #[test]
    fn the_temporary_file_keeps_a_plain_extension_only() {
        assert_eq!(extension("https://cmdb/export.json?format=x.y"), "json");
        assert_eq!(extension("https://cmdb/export"), "csv");
        assert_eq!(extension("https://cmdb/export.c$v"), "csv");
        assert_eq!(extension("https://cmdb.example.net"), "csv");
        assert_eq!(extension("https://cmdb.example.net?x=a.json"), "csv");
    }
}
