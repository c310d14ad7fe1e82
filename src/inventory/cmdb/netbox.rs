//! NetBox exports: the devices endpoint's JSON, optionally with the IPAM endpoint's addresses.

use std::collections::HashMap;
use std::net::IpAddr;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::json::{LineIndex, for_each_element, syntax_error, utf8, value_error};
use super::{HostFields, Sink, split_list};
use crate::diagnostic::{Diagnostic, Span};
use crate::rules::input::{CMDB_INVALID_VALUE, CMDB_MISSING_COLUMN, CMDB_SYNTAX};

/// The NetBox document: `{"devices": ..., "ip_addresses": ...}`, or one page of the devices
/// endpoint (`{"count": N, "results": [...]}`).
#[derive(Deserialize)]
struct NetboxDocument<'a> {
    #[serde(borrow, default)]
    devices: Option<&'a RawValue>,
    #[serde(borrow, default)]
    ip_addresses: Option<&'a RawValue>,
    #[serde(borrow, default)]
    results: Option<&'a RawValue>,
}

/// The fields of a NetBox device that zonegate reads.
#[derive(Deserialize)]
struct NetboxDevice<'a> {
    #[serde(borrow)]
    name: Option<std::borrow::Cow<'a, str>>,
    site: Option<NetboxSlug>,
    status: Option<NetboxChoice>,
    /// NetBox 3.6+ calls it `role`; earlier versions `device_role`.
    role: Option<NetboxSlug>,
    device_role: Option<NetboxSlug>,
    primary_ip4: Option<NetboxAddress>,
    primary_ip6: Option<NetboxAddress>,
    #[serde(default)]
    custom_fields: HashMap<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct NetboxSlug {
    slug: String,
}

#[derive(Deserialize)]
struct NetboxChoice {
    value: String,
}

#[derive(Deserialize)]
struct NetboxAddress {
    address: String,
}

/// An entry of `/api/ipam/ip-addresses/`.
#[derive(Deserialize)]
struct NetboxIpAddress {
    address: String,
    assigned_object: Option<NetboxAssignedObject>,
    status: Option<NetboxChoice>,
}

#[derive(Deserialize)]
struct NetboxAssignedObject {
    device: Option<NetboxDeviceReference>,
}

#[derive(Deserialize)]
struct NetboxDeviceReference {
    name: String,
}

pub(super) fn read_netbox(bytes: &[u8], sink: &mut Sink<'_>) {
    let Some(text) = utf8(bytes, sink) else {
        return;
    };
    let lines = LineIndex::new(text);
    let expected = "NetBox devices: the devices endpoint's JSON (`{\"results\": [...]}` or an array), or `{\"devices\": ..., \"ip_addresses\": ...}`";
    let (devices, ip_addresses) = if text.trim_start().starts_with('[') {
        (text, None)
    } else {
        match serde_json::from_str::<NetboxDocument<'_>>(text) {
            Ok(NetboxDocument {
                devices: Some(devices),
                ip_addresses,
                ..
            }) => (
                unwrap_page(devices.get()),
                ip_addresses.map(|raw| unwrap_page(raw.get())),
            ),
            Ok(NetboxDocument {
                results: Some(results),
                ..
            }) => (results.get(), None),
            Ok(_) => {
                sink.report(
                    Diagnostic::error(
                        CMDB_SYNTAX,
                        Some(Span::new(sink.file, 1, 1)),
                        "this is not a NetBox device export",
                    )
                    .with_hint(format!("expected {expected}")),
                );
                return;
            }
            Err(error) => {
                sink.report(syntax_error(sink.file, &error, text, &lines, expected));
                return;
            }
        }
    };

    // Addresses assigned to devices through the IPAM endpoint, by device name.
    let mut assigned: HashMap<String, Vec<(IpAddr, Span)>> = HashMap::new();
    if let Some(addresses) = ip_addresses {
        let result = for_each_element(addresses, |element| {
            let (line, column) = lines.locate(element.get());
            let span = Span::new(sink.file, line, column);
            match serde_json::from_str::<NetboxIpAddress>(element.get()) {
                Ok(entry) => {
                    let device = entry
                        .assigned_object
                        .and_then(|object| object.device)
                        .map(|device| device.name.to_ascii_lowercase());
                    let usable = entry
                        .status
                        .is_none_or(|status| status.value == "active" || status.value == "dhcp");
                    if let (Some(device), true) = (device, usable) {
                        match parse_cidr_address(&entry.address) {
                            Ok(address) => {
                                assigned.entry(device).or_default().push((address, span));
                            }
                            Err(message) => {
                                sink.report(Diagnostic::error(
                                    CMDB_INVALID_VALUE,
                                    Some(span),
                                    message,
                                ));
                            }
                        }
                    }
                }
                Err(error) => sink.report(value_error(
                    sink.file,
                    &error,
                    element.get(),
                    &lines,
                    "a NetBox IP address",
                )),
            }
        });
        if let Err(error) = result {
            sink.report(syntax_error(
                sink.file,
                &error,
                addresses,
                &lines,
                "an array of NetBox IP addresses",
            ));
        }
    }

    let result = for_each_element(devices, |element| {
        let (line, column) = lines.locate(element.get());
        match serde_json::from_str::<NetboxDevice<'_>>(element.get()) {
            Ok(device) => netbox_device(&device, line, column, &assigned, sink),
            Err(error) => sink.report(value_error(
                sink.file,
                &error,
                element.get(),
                &lines,
                "a NetBox device",
            )),
        }
    });
    if let Err(error) = result {
        sink.report(syntax_error(sink.file, &error, devices, &lines, expected));
    }
}

/// `{"results": [...]}` -> the array's text; anything else as it is.
fn unwrap_page(text: &str) -> &str {
    #[derive(Deserialize)]
    struct Page<'a> {
        #[serde(borrow)]
        results: &'a RawValue,
    }
    match serde_json::from_str::<Page<'_>>(text) {
        Ok(page) => page.results.get(),
        Err(_) => text,
    }
}

fn netbox_device(
    device: &NetboxDevice<'_>,
    line: u32,
    column: u32,
    assigned: &HashMap<String, Vec<(IpAddr, Span)>>,
    sink: &mut Sink<'_>,
) {
    let span = Span::new(sink.file, line, column);
    let (Some(name), Some(site), Some(status)) = (&device.name, &device.site, &device.status)
    else {
        // NetBox allows unnamed devices (patch panels, PDUs); they have no DNS names.
        if device.name.is_some() {
            sink.report(
                Diagnostic::error(
                    CMDB_MISSING_COLUMN,
                    Some(span),
                    "this device has no `site` or `status`",
                )
                .with_hint(
                    "export devices with their site and status (the default API output has both)",
                ),
            );
        }
        return;
    };
    let status = match status.value.as_str() {
        "active" => "in_use",
        "planned" | "staged" => "provisioning",
        other => other,
    };
    let mut addresses = Vec::new();
    for primary in [&device.primary_ip4, &device.primary_ip6]
        .into_iter()
        .flatten()
    {
        match parse_cidr_address(&primary.address) {
            Ok(address) => addresses.push(address),
            Err(message) => {
                sink.report(Diagnostic::error(CMDB_INVALID_VALUE, Some(span), message));
                return;
            }
        }
    }
    for (address, _) in assigned
        .get(&name.to_ascii_lowercase())
        .into_iter()
        .flatten()
    {
        if !addresses.contains(address) {
            addresses.push(*address);
        }
    }
    // Roles: the custom field `roles` (a list or a `;`-separated string) when the export has
    // one, else the device role's slug.
    let custom_roles: Vec<String> = match device.custom_fields.get("roles") {
        Some(serde_json::Value::String(text)) => split_list(text).map(str::to_owned).collect(),
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(serde_json::Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    let roles: Vec<&str> = if custom_roles.is_empty() {
        device
            .role
            .as_ref()
            .or(device.device_role.as_ref())
            .map(|role| role.slug.as_str())
            .into_iter()
            .collect()
    } else {
        custom_roles.iter().map(String::as_str).collect()
    };
    HostFields {
        hostname: name,
        datacenter: &site.slug,
        status,
        roles,
        addresses,
    }
    .push(span, sink);
}

/// `10.0.0.1/24` (NetBox always writes the prefix length) or a bare address.
fn parse_cidr_address(text: &str) -> Result<IpAddr, String> {
    let address = text.split_once('/').map_or(text, |(address, _)| address);
    address
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not an IP address"))
}

#[cfg(test)]
mod tests {
    use super::super::tests::run;
    use crate::inventory::CmdbFormat;

    #[test]
    fn netbox_devices_with_primary_and_assigned_addresses() {
        let text = br#"{
  "devices": {"count": 3, "next": null, "previous": null, "results": [
    {"id": 1, "name": "Web1", "site": {"id": 1, "slug": "ams", "name": "Amsterdam"},
     "status": {"value": "active", "label": "Active"}, "role": {"id": 2, "slug": "web"},
     "primary_ip4": {"id": 10, "address": "10.0.0.1/24"}, "primary_ip6": null,
     "custom_fields": {"roles": "web;api"}},
    {"id": 2, "name": "db1", "site": {"slug": "ams"}, "status": {"value": "planned"},
     "device_role": {"slug": "db"}, "primary_ip4": null, "primary_ip6": {"address": "2001:db8::5/64"},
     "custom_fields": {}},
    {"id": 3, "name": null, "site": {"slug": "ams"}, "status": {"value": "active"}}
  ]},
  "ip_addresses": {"results": [
    {"id": 11, "address": "2001:db8::1/64", "status": {"value": "active"},
     "assigned_object": {"id": 5, "device": {"id": 1, "name": "web1"}, "name": "eth0"}},
    {"id": 12, "address": "10.9.9.9/24", "status": {"value": "deprecated"},
     "assigned_object": {"device": {"name": "web1"}}}
  ]}
}"#;
        insta::assert_snapshot!(run(CmdbFormat::Netbox, text), @r#"
        zones/cmdb/export:3:5 web1 ams in_use [10.0.0.1, 2001:db8::1] ["web", "api"]
        zones/cmdb/export:7:5 db1 ams provisioning [2001:db8::5] ["db"]
        "#);
    }

    #[test]
    fn netbox_page_and_wrong_shape() {
        let page = br#"{"count": 1, "results": [{"name": "a1", "site": {"slug": "nyc"}, "status": {"value": "offline"}}]}"#;
        insta::assert_snapshot!(run(CmdbFormat::Netbox, page), @r#"zones/cmdb/export:1:26 a1 nyc offline [] []"#);
        insta::assert_snapshot!(run(CmdbFormat::Netbox, br#"{"hosts": []}"#), @r#"
        zones/cmdb/export:1:1: error[cmdb-syntax]: this is not a NetBox device export
          hint: expected NetBox devices: the devices endpoint's JSON (`{"results": [...]}` or an array), or `{"devices": ..., "ip_addresses": ...}`
        "#);
    }
}
