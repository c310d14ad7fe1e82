//! Registry entries for the codes `model` reports while generating records (the constants in
//! `model::codes`). The checks live in `model`, where the facts are; the documentation lives
//! here with every other rule's.

declare_rule! {
    /// ## What it does
    /// Reports a name that is not a valid domain name: a label longer than 63 octets, a name
    /// longer than 255 octets, an empty label (`a..b`), a character outside letters, digits,
    /// `-` and `_`, or `*` anywhere but as the whole leftmost label. It applies to CMDB host
    /// names, record owners and targets, and generated SRV names.
    ///
    /// ## Why it matters
    /// RFC 1035 section 2.3.4: "labels 63 octets or less", "names 255 octets or less". A server
    /// refuses to load a zone with such a name, so one bad line would stop the whole zone from
    /// being served. zonegate also keeps names to characters that never need escaping, so no
    /// name can smuggle `/` or `..` into a file path or a zone file.
    ///
    /// ## Example
    /// ```yaml
    /// - { name: this-label-is-much-longer-than-sixty-three-octets-which-rfc-1035-forbids, type: A, address: 192.0.2.1 }
    /// ```
    ///
    /// ## How to fix
    /// Shorten the label or remove the character; write international names in Unicode (they are
    /// converted to `xn--` A-labels) or as A-labels.
    pub const INVALID_NAME: Rule = {
        id: "invalid-name",
        severity: Error,
        stage: Build,
        summary: "a name that is not a valid domain name",
    };
}

declare_rule! {
    /// ## What it does
    /// Reports a hand-edited target (CNAME, NS, PTR, MX, SRV) written without a trailing dot.
    ///
    /// ## Why it matters
    /// In a zone file a name without a trailing dot is relative to the origin, so
    /// `hosting.example.org` silently becomes `hosting.example.org.example.net.`: the classic
    /// zone-file mistake, and an alias that resolves nowhere.
    ///
    /// ## Example
    /// ```yaml
    /// - { name: blog, type: CNAME, target: hosting.example.org }
    /// ```
    ///
    /// ## How to fix
    /// Write targets fully qualified with the trailing dot: `hosting.example.org.`.
    pub const RELATIVE_TARGET: Rule = {
        id: "relative-target",
        severity: Error,
        stage: Build,
        summary: "a target written without the trailing dot",
    };
}

declare_rule! {
    /// ## What it does
    /// Reports a record whose owner lies in none of the zones configured under `zones` in
    /// `zonegate.yaml`.
    ///
    /// ## Why it matters
    /// The record would be written nowhere: the author believes it is published, and no server
    /// answers for it.
    ///
    /// ## Example
    /// ```yaml
    /// - { name: www.example.org., type: A, address: 192.0.2.1 }   # zones: [example.net.]
    /// ```
    ///
    /// ## How to fix
    /// Fix the owner name, or add the zone to `zones.forward` (or the prefix to `zones.reverse`).
    pub const RECORD_OUTSIDE_ZONES: Rule = {
        id: "record-outside-zones",
        severity: Error,
        stage: Build,
        summary: "a record in no configured zone",
    };
}

declare_rule! {
    /// ## What it does
    /// Reports a CMDB host address that no configured reverse zone covers, so the host gets no
    /// PTR record.
    ///
    /// ## Why it matters
    /// Reverse lookups of the address fail (NXDOMAIN from somebody else's servers, or none), so
    /// logs show bare addresses and forward-confirmed reverse DNS, which mail servers and some
    /// SSH setups rely on, fails.
    ///
    /// ## Example
    /// ```text
    /// web9,ams,r1,172.16.0.9,,web,in_use      # zones.reverse: [10.0.0.0/8]
    /// ```
    ///
    /// ## How to fix
    /// Add the covering prefix to `zones.reverse`, or turn the rule off when another system owns
    /// that reverse space.
    pub const NO_REVERSE_ZONE: Rule = {
        id: "no-reverse-zone",
        severity: Warning,
        stage: Build,
        summary: "a host address no reverse zone covers",
    };
}

declare_rule! {
    /// ## What it does
    /// Reports two CMDB rows (with an address status) that produce the same fully-qualified host
    /// name, after lower-casing and qualification with the datacenter.
    ///
    /// ## Why it matters
    /// Both hosts' addresses would be published under one name, so clients would reach either
    /// machine at random; the second row is left out and reported instead.
    ///
    /// ## Example
    /// ```text
    /// web1,ams,r1,10.1.0.1,,web,in_use
    /// WEB1,ams,r3,10.1.0.7,,web,in_use
    /// ```
    ///
    /// ## How to fix
    /// Rename or retire one of the hosts in the CMDB.
    pub const DUPLICATE_HOST: Rule = {
        id: "duplicate-host",
        severity: Error,
        stage: Build,
        summary: "two CMDB hosts with the same name",
    };
}

declare_rule! {
    /// ## What it does
    /// Reports an address assigned to two CMDB hosts (with an address status).
    ///
    /// ## Why it matters
    /// Two machines cannot answer at one address; one of the rows is stale or mistyped. The
    /// reverse zone could hold only one PTR for it, so the second host is reported instead.
    ///
    /// ## Example
    /// ```text
    /// web2,ams,r1,10.1.0.2,,web,in_use
    /// web4,ams,r3,10.1.0.2,,web,in_use
    /// ```
    ///
    /// ## How to fix
    /// Correct the address in the CMDB, or set the old host's status to decommissioned.
    pub const DUPLICATE_ADDRESS: Rule = {
        id: "duplicate-address",
        severity: Error,
        stage: Build,
        summary: "two CMDB hosts with the same address",
    };
}

declare_rule! {
    /// ## What it does
    /// Reports a CMDB host, or a service's `required_in`, naming a datacenter that
    /// `zonegate.yaml` does not declare.
    ///
    /// ## Why it matters
    /// The host's name is qualified with its datacenter and its SRV records are grouped by it;
    /// an unknown datacenter is almost always a typo, and publishing it would create names
    /// nobody queries.
    ///
    /// ## Example
    /// ```text
    /// web4,lon,r3,10.3.0.4,,web,in_use        # datacenters: [ams, nyc]
    /// ```
    ///
    /// ## How to fix
    /// Fix the datacenter in the CMDB, or declare it under `datacenters`.
    pub const UNKNOWN_DATACENTER: Rule = {
        id: "unknown-datacenter",
        severity: Error,
        stage: Build,
        summary: "a datacenter zonegate.yaml does not declare",
    };
}

declare_rule! {
    /// ## What it does
    /// Reports a CMDB role that names no service in `zones/services/` (reported once per role).
    ///
    /// ## Why it matters
    /// A host carrying a misspelt role (`postgress`) is not discovered through SRV at all, while
    /// its owners believe it is in rotation.
    ///
    /// ## Example
    /// ```text
    /// db1,ams,r4,10.1.0.40,,postgress,in_use   # zones/services/postgres.yaml exists
    /// ```
    ///
    /// ## How to fix
    /// Fix the role in the CMDB, or add `zones/services/<role>.yaml`. Set the rule to `off` when
    /// roles are also used for things that are not services.
    pub const UNKNOWN_ROLE: Rule = {
        id: "unknown-role",
        severity: Warning,
        stage: Build,
        summary: "a CMDB role that names no service",
    };
}

declare_rule! {
    /// ## What it does
    /// Reports a service whose `required_in` lists a datacenter where no host with an SRV status
    /// carries the service's role.
    ///
    /// ## Why it matters
    /// The SRV RRset for that datacenter would be absent: clients there find no instance of the
    /// service. This is the seed's "one-line change takes down a datacenter" caught before
    /// merge (a role removed from the last hosts, a status changed to decommissioned).
    ///
    /// ## Example
    /// ```yaml
    /// # zones/services/api.yaml, while no `in_use` host in ams has role api
    /// port: 8443
    /// required_in: [ams, nyc]
    /// ```
    ///
    /// ## How to fix
    /// Give hosts in that datacenter the role (with an SRV status), or remove the datacenter from
    /// `required_in` if the service is really leaving it.
    pub const SERVICE_MISSING_IN_DATACENTER: Rule = {
        id: "service-missing-in-datacenter",
        severity: Error,
        stage: Build,
        summary: "a required service has no host in a datacenter",
    };
}

declare_rule! {
    /// ## What it does
    /// Reports a CMDB status that none of the lists under `generate` in `zonegate.yaml` names:
    /// not `address_statuses` (A, AAAA and PTR records), not `srv_statuses` (SRV targets), not
    /// `unpublished_statuses` (no records, on purpose; by default `decommissioned`,
    /// `decommissioning`, `spare`, `offline`, `failed` and `inventory`). Such a host gets no
    /// records. Each unknown status is reported once, at the first host that has it, with the
    /// number of others.
    ///
    /// ## Why it matters
    /// A status that is a typo (`in-use`, `Inuse `) or new in the CMDB (`active` after a
    /// migration) makes its hosts disappear from DNS with a clean run: the silent outage a
    /// self-service pipeline must not allow.
    ///
    /// ## Example
    /// ```text
    /// hostname,datacenter,ipv4,status
    /// web9,ams,10.1.0.9,in-use
    /// ```
    ///
    /// ## How to fix
    /// Correct the status in the CMDB, or add it to the list it belongs in: to
    /// `generate.address_statuses` if such hosts should be published, to
    /// `generate.unpublished_statuses` if they get no records on purpose.
    pub const UNKNOWN_STATUS: Rule = {
        id: "unknown-status",
        severity: Warning,
        stage: Build,
        summary: "a CMDB status zonegate.yaml does not list, whose hosts get no records",
    };
}
