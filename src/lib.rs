//! zonegate: a GitOps DNS zone generator and tester.
//!
//! The modules follow the pipeline (see ARCHITECTURE.md):
//!
//! - [`inventory`] (IO edge) reads `zones/`: settings, the CMDB export, services, records;
//! - [`model`] (pure) applies the zonextgen rules and places records in zones;
//! - [`diagnostic`] is the located-finding type every stage reports with.

pub mod diagnostic;
pub mod inventory;
pub mod model;
