//! cargo-fuzz target `cmdb_netbox`: see fuzz/harness.rs.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::cmdb(zonegate::inventory::CmdbFormat::Netbox, data));
