//! `zonegate schema KIND`: prints the JSON Schema of one kind of file (the same text as
//! `schemas/<kind>.schema.json`), for editors, CI validators and the curious.

use std::io::Write;

use super::{Error, Outcome};
use crate::schema::{self, Kind};

/// Runs `schema`.
pub fn run(kind: Kind, out: &mut dyn Write) -> Result<Outcome, Error> {
    out.write_all(schema::text(kind).as_bytes())?;
    Ok(Outcome::Clean)
}
