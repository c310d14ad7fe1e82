//! zonegate: a GitOps DNS zone generator and tester.
//!
//! The modules follow the pipeline (ARCHITECTURE.md has the full codemap):
//!
//! - [`inventory`] (IO edge) reads `zones/`: settings, the CMDB export, services, records;
//! - [`model`] (pure) applies the zonextgen rules and places every record in its zone;
//! - [`check`] (pure) runs the validation rules;
//! - [`zonefile`] (pure) reads master files (RFC 1035 section 5) into the model's records;
//! - [`render`] (pure) turns a zone and a serial into master-file text; [`serial`] picks serials;
//! - [`output`] (IO edge) replaces the output directory atomically;
//! - [`diff`] (pure) compares two built revisions: records, blast radius, large changes;
//! - [`merge`] decides what the merge bot does (pure) and talks to forges (IO edges);
//! - [`git`] (IO edge) reads revisions from the object database and builds merge results;
//! - [`regen`] (pure) summarises what a new CMDB export changes, for `zonegate regen`;
//! - [`deploy`] plans (pure) and applies (IO edge) deploys to BIND, Knot, NSD or a directory;
//! - [`report`] prints findings as text, JSON, GitHub annotations or SARIF;
//! - [`schema`] generates the JSON Schemas of the YAML files a user writes;
//! - [`commands`] runs the stages for each CLI command; [`cli`] holds the clap definitions and
//!   resolves a command line into a [`commands::Invocation`].
//!
//! [`diagnostic`] is the located-finding type every stage reports with, [`rules`] the registry
//! of every code a finding can carry, [`dns`] the names and record types every stage shares,
//! [`change_class`] the kinds of change that are large whatever their size (the policy lists
//! them, `diff` finds them); [`filesystem`] (IO edge) is the one layer through which `output`,
//! `deploy` and the commands write files.

// In layer order, lowest first (ARCHITECTURE.md, "Layers"): a module imports only from the
// layers above it here, as `tests/layers.rs` checks.
pub mod diagnostic;
pub mod rules;

pub mod change_class;
pub mod dns;

pub mod filesystem;

pub mod inventory;

pub mod model;

pub mod check;

pub mod report;

pub mod zonefile;

pub mod render;

pub mod serial;

pub mod output;

pub mod assertions;

pub mod diff;

pub mod regen;

pub mod git;

pub mod merge;

pub mod deploy;

pub mod schema;

pub mod cli;

pub mod commands;
