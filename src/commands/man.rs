//! `zonegate man [--out DIR]`: the main manual page to stdout, or every page into a directory
//! (the pages themselves come from the clap definition, through `cli`).
#![allow(clippy::disallowed_methods)] // Writes the pages the user asked for, where they asked.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::{Error, Outcome};

/// Prints the first of `pages` (file name, roff), or writes each into `directory` and prints
/// its path.
pub fn run(
    pages: &[(String, Vec<u8>)],
    directory: Option<&Path>,
    out: &mut dyn Write,
) -> Result<Outcome, Error> {
    let Some(directory) = directory else {
        if let Some((_, roff)) = pages.first() {
            out.write_all(roff)?;
        }
        return Ok(Outcome::Clean);
    };
    let failed = |path: PathBuf| {
        move |source: io::Error| {
            Error::Write(io::Error::new(
                source.kind(),
                format!("cannot write {}: {source}", path.display()),
            ))
        }
    };
    std::fs::create_dir_all(directory).map_err(failed(directory.to_path_buf()))?;
    for (name, roff) in pages {
        let path = directory.join(name);
        std::fs::write(&path, roff).map_err(failed(path.clone()))?;
        writeln!(out, "{}", path.display())?;
    }
    Ok(Outcome::Clean)
}
