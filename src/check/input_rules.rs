//! Registry entries for the input codes: problems `inventory` reports when a file cannot be read
//! as zonegate's formats at all. They always stop the run (exit 2) and cannot be reconfigured.
//! The checks themselves live in `inventory::yaml`, `inventory::cmdb` and `inventory::files`.

declare_rule! {
    /// ## What it does
    /// Reports a YAML file (or the zone template) that cannot be parsed: broken indentation, an
    /// unclosed bracket or quote, text that is not UTF-8, an empty file, or a document beyond the
    /// parser's budget (an alias bomb, absurd nesting).
    ///
    /// ## Why it matters
    /// Nothing in the file can be trusted once the parser loses its place, so zonegate stops
    /// before generating anything rather than guess. The budget keeps a hostile pull request
    /// (a "billion laughs" alias bomb) from exhausting the CI runner's memory.
    ///
    /// ## Example
    /// ```yaml
    /// datacenters: [ash, gew
    /// zones:
    /// ```
    ///
    /// ## How to fix
    /// Fix the syntax at the reported line and column; save the file as UTF-8. Write repeated
    /// structures out instead of nesting aliases.
    pub const YAML_SYNTAX: Rule = {
        id: "yaml-syntax",
        severity: Error,
        stage: Input,
        summary: "a YAML file cannot be parsed",
    };
}

declare_rule! {
    /// ## What it does
    /// Reports a key the format does not define, in `zonegate.yaml`, a service file or a records
    /// file, and a rule id in `check.rules` that names no rule. The hint suggests the closest
    /// known key.
    ///
    /// ## Why it matters
    /// A misspelt key (`datacentres`, `reqired_in`) would otherwise be ignored silently and the
    /// setting the author meant would not apply: the guard rail they added would not exist.
    ///
    /// ## Example
    /// ```yaml
    /// datacentres: [ash, gew]
    /// ```
    ///
    /// ## How to fix
    /// Use the key the hint suggests, or remove the key. `docs/formats.md` lists every key.
    pub const UNKNOWN_KEY: Rule = {
        id: "unknown-key",
        severity: Error,
        stage: Input,
        summary: "a key the format does not define",
    };
}

declare_rule! {
    /// ## What it does
    /// Reports a value of the wrong type or out of range: a port that is not a number, a
    /// duration like `5x`, a relative domain, a reverse prefix that is not octet or nibble
    /// aligned, a field that does not apply to the record type.
    ///
    /// ## Why it matters
    /// zonegate refuses to guess what a malformed value meant; a guess could publish a record
    /// nobody asked for.
    ///
    /// ## Example
    /// ```yaml
    /// port: https
    /// ```
    ///
    /// ## How to fix
    /// Write the value in the form the message names (`port: 443`, `ttl: 5m`, `domain:
    /// example.net.` with the trailing dot).
    pub const INVALID_VALUE: Rule = {
        id: "invalid-value",
        severity: Error,
        stage: Input,
        summary: "a value of the wrong type or out of range",
    };
}

declare_rule! {
    /// ## What it does
    /// Reports a required key that is absent: `port` in a service file, `domain`, `zones` or
    /// `nameservers` in `zonegate.yaml`, the data fields a record type needs.
    ///
    /// ## Why it matters
    /// There is no safe default for these; a service without a port cannot become an SRV record.
    ///
    /// ## Example
    /// ```yaml
    /// # zones/services/web.yaml
    /// protocol: tcp
    /// ```
    ///
    /// ## How to fix
    /// Add the key the message names.
    pub const MISSING_KEY: Rule = {
        id: "missing-key",
        severity: Error,
        stage: Input,
        summary: "a required key is absent",
    };
}

declare_rule! {
    /// ## What it does
    /// Reports a CMDB export that cannot be parsed at a row: a CSV row with the wrong number of
    /// fields or broken quoting, a header naming a column zonegate reads twice, truncated or
    /// invalid JSON, bytes that are not UTF-8, an empty file.
    ///
    /// ## Why it matters
    /// A half-read export would make every host after the broken row disappear from DNS: the
    /// one-line mistake that takes down a datacenter.
    ///
    /// ## Example
    /// ```text
    /// hostname,datacenter,ipv4,status
    /// web4,ams,10.1.0.4
    /// ```
    ///
    /// ## How to fix
    /// Repair the export at the reported row, or re-run the export.
    pub const CMDB_SYNTAX: Rule = {
        id: "cmdb-syntax",
        severity: Error,
        stage: Input,
        summary: "the CMDB export cannot be parsed",
    };
}

declare_rule! {
    /// ## What it does
    /// Reports a CMDB export without a required column (CSV) or key (JSON, NetBox): `hostname`,
    /// `datacenter` and `status`.
    ///
    /// ## Why it matters
    /// Without them zonegate cannot tell which hosts get records or where they belong.
    ///
    /// ## Example
    /// ```text
    /// hostname,datacenter,ipv4
    /// ```
    ///
    /// ## How to fix
    /// Add the column to the export (column names are matched case-insensitively; other columns
    /// are ignored).
    pub const CMDB_MISSING_COLUMN: Rule = {
        id: "cmdb-missing-column",
        severity: Error,
        stage: Input,
        summary: "the CMDB export lacks a required column",
    };
}

declare_rule! {
    /// ## What it does
    /// Reports a CMDB value that is present but not what its column holds: an IPv4 address like
    /// `10.1.0.300`, an IPv6 address in the `ipv4` column, an empty hostname.
    ///
    /// ## Why it matters
    /// A host with a broken address would be published without it, or not at all; either way
    /// DNS would disagree with the CMDB without anyone noticing.
    ///
    /// ## Example
    /// ```text
    /// web4,ams,10.1.0.300,,web,in_use
    /// ```
    ///
    /// ## How to fix
    /// Correct the value in the CMDB and export again.
    pub const CMDB_INVALID_VALUE: Rule = {
        id: "cmdb-invalid-value",
        severity: Error,
        stage: Input,
        summary: "a CMDB value is malformed",
    };
}

declare_rule! {
    /// ## What it does
    /// Reports an entry of `zones/services/`, `zones/records/` or `assertions/` named like a
    /// YAML file that zonegate cannot read as one: a directory, a FIFO, a socket or a device, a
    /// symbolic link that leads outside the repository, to nothing or round in a loop, a git
    /// submodule, or a name that is not UTF-8. A symbolic link to a regular file inside the
    /// repository is followed, in a checkout and in a git tree alike. Hidden entries (a name
    /// starting with `.`, such as an editor's lock file) are not read.
    ///
    /// ## Why it matters
    /// Skipping such an entry would make its records, service or assertions vanish with a clean
    /// exit: the author believes they are published or tested, and they are not. A FIFO would
    /// not even be skipped: reading it waits for a writer, forever in CI.
    ///
    /// ## Example
    /// ```text
    /// zones/records/edge.yaml -> /srv/shared/edge.yaml    # a link out of the repository
    /// ```
    ///
    /// ## How to fix
    /// Commit the file itself (or a link to a file inside the repository), or rename the entry
    /// so that its name does not end in `.yaml` or `.yml`.
    pub const UNREADABLE_FILE: Rule = {
        id: "unreadable-file",
        severity: Error,
        stage: Input,
        summary: "an entry named like an input file that is not a readable file",
    };
}
