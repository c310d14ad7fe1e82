//! The DNS vocabulary every stage shares: domain names ([`name::Name`]) and record types
//! ([`record_type::RecordType`]).
//!
//! It sits below every stage, so `inventory` can parse names and types without importing the
//! `model` that builds records from them. Pure: no IO, no clock.

pub mod name;
pub mod record_type;
