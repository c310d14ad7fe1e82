//! The `invalid-hostname` rule.

use super::{Context, ZoneView, target_role};
use crate::diagnostic::Diagnostic;
use crate::model::name::Name;
use crate::model::record::{Origin, RData};

declare_rule! {
    /// ## What it does
    /// Reports names that must be host names but are not: owners of A and AAAA records, and the
    /// targets of MX, SRV and NS records. A host name label has letters, digits and `-` only,
    /// and does not start or end with `-`. A leading `*` label (a wildcard owner) and the root
    /// target `.` are accepted in record files; `_` labels are fine everywhere else (`_sip._udp`
    /// SRV owners, `_dmarc` TXT owners), which is why `invalid-name` allows them.
    ///
    /// A CMDB host name is refused outright, while the records are built, when it is no host
    /// name at all: `*` (or a `*` label such as `*.example.net`), which would publish a
    /// wildcard A record, a PTR to `*.example.net.` and an SRV target; `@`, which would become
    /// the datacenter's own name; an empty label (`web..`, `.web`), which would be trimmed into
    /// another name. Such a host gets no records, and the finding names its CMDB row and column.
    ///
    /// ## Why it matters
    /// RFC 952 and RFC 1123 section 2.1 define host names as letters, digits and hyphens; RFC
    /// 2782 and RFC 2181 section 10.3 require SRV, MX and NS targets to be host names with
    /// addresses. Resolver libraries, TLS certificate authorities, mail servers and browsers
    /// reject or mangle names like `web_1` or `-db`, so the record exists and still does not
    /// work. A wildcard from the CMDB answers for every name nobody defined (RFC 4592), typos
    /// included.
    ///
    /// ## Example
    /// ```text
    /// web_1,ams,r1,10.1.0.1,,web,in_use      # CMDB host -> web_1.ams.example.net. A 10.1.0.1
    /// *,ams,r1,10.1.0.2,,web,in_use          # would be *.ams.example.net. A 10.1.0.2
    /// ```
    ///
    /// ## How to fix
    /// Rename the host (replace `_` by `-`, drop leading or trailing hyphens and stray dots), in
    /// the CMDB or the record file, and point targets at the new name. A wildcard belongs in a
    /// record file, where it is written on purpose.
    pub(crate) const RULE: Rule = {
        id: "invalid-hostname",
        severity: Error,
        stage: Check,
        summary: "a host name with characters hosts cannot have",
    };
}

/// Checks A/AAAA owners and MX/SRV/NS targets.
pub(crate) fn check(_context: &Context<'_>, view: &ZoneView<'_>, out: &mut Vec<Diagnostic>) {
    for record in &view.zone.records {
        // A generated SRV record points at a CMDB host whose own A/AAAA records are checked
        // (with the same CMDB row as their span): reporting the SRV target too would say the
        // same thing twice.
        if matches!(record.provenance.origin, Origin::Service { .. }) {
            continue;
        }
        let is_address = matches!(record.data, RData::A(_) | RData::Aaaa(_));
        let name = if is_address {
            &record.name
        } else {
            match &record.data {
                RData::Mx { .. } | RData::Srv { .. } | RData::Ns(_) => match record.data.target() {
                    Some(target) => target,
                    None => continue,
                },
                _ => continue,
            }
        };
        let Some((label, problem)) = first_bad_label(name) else {
            continue;
        };
        let subject = if is_address {
            format!("`{name}` owns an {} record but", record.record_type())
        } else {
            format!("{} `{name}`", target_role(&record.data))
        };
        out.push(
            Diagnostic::error(
                RULE.id,
                Some(record.provenance.span),
                format!("{subject} is not a valid host name: label `{label}` {problem}"),
            )
            .with_hint(
                "host names use letters, digits and `-`, and no label starts or ends with `-` (RFC 952, RFC 1123 section 2.1)",
            ),
        );
    }
}

/// The first label that is not a host name label, with what is wrong with it. A leading `*`
/// (wildcard) label is skipped.
fn first_bad_label(name: &Name) -> Option<(&str, &'static str)> {
    let skip = usize::from(name.is_wildcard());
    name.labels().skip(skip).find_map(|label| {
        if label.contains('_') {
            Some((label, "contains `_`"))
        } else if label.starts_with('-') {
            Some((label, "starts with `-`"))
        } else if label.ends_with('-') {
            Some((label, "ends with `-`"))
        } else if !label
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
        {
            Some((label, "has a character other than letters, digits and `-`"))
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn host_names_wildcards_service_labels_and_the_root_target_pass() {
        let zones = zone_set(&[
            "web-1.ams.example.net. 300 A 192.0.2.1",
            "*.dyn.example.net. 300 AAAA 2001:db8::1",
            "_sip._udp.example.net. 300 SRV 10 5 5060 web-1.ams.example.net.",
            "_none._tcp.example.net. 300 SRV 0 0 0 .",
            "_dmarc.example.net. 300 TXT v=DMARC1",
            "example.net. 300 MX 0 .",
            "1xx.example.net. 300 A 192.0.2.2",
        ]);
        assert_eq!(check_zones(check, &zones), "");
    }

    #[test]
    fn underscores_and_edge_hyphens_in_hosts_and_targets_are_reported() {
        let zones = zone_set(&[
            "web_1.ams.example.net. 300 A 192.0.2.1",
            "-db.example.net. 300 AAAA 2001:db8::1",
            "example.net. 300 MX 10 mail-.example.net.",
            "_sip._udp.example.net. 300 SRV 10 5 5060 _sip.example.net.",
            "corp.example.net. 300 NS ns_1.example.org.",
        ]);
        insta::assert_snapshot!(check_zones(check, &zones), @r"
        test.yaml:1:1: error[invalid-hostname]: `web_1.ams.example.net.` owns an A record but is not a valid host name: label `web_1` contains `_`
          hint: host names use letters, digits and `-`, and no label starts or ends with `-` (RFC 952, RFC 1123 section 2.1)
        test.yaml:2:1: error[invalid-hostname]: `-db.example.net.` owns an AAAA record but is not a valid host name: label `-db` starts with `-`
          hint: host names use letters, digits and `-`, and no label starts or ends with `-` (RFC 952, RFC 1123 section 2.1)
        test.yaml:3:1: error[invalid-hostname]: MX exchange `mail-.example.net.` is not a valid host name: label `mail-` ends with `-`
          hint: host names use letters, digits and `-`, and no label starts or ends with `-` (RFC 952, RFC 1123 section 2.1)
        test.yaml:4:1: error[invalid-hostname]: SRV target `_sip.example.net.` is not a valid host name: label `_sip` contains `_`
          hint: host names use letters, digits and `-`, and no label starts or ends with `-` (RFC 952, RFC 1123 section 2.1)
        test.yaml:5:1: error[invalid-hostname]: NS target `ns_1.example.org.` is not a valid host name: label `ns_1` contains `_`
          hint: host names use letters, digits and `-`, and no label starts or ends with `-` (RFC 952, RFC 1123 section 2.1)
        ");
    }
}
