//! The rules `check` runs over the built zones, one file each in `src/check/` named after the
//! problem (`src/check/cname_and_other_data.rs` checks `cname-and-other-data`), in alphabetical
//! order.

declare_rules! {
    /// ## What it does
    /// Reports an RRset whose answer does not fit in a UDP response of `check.udp_payload`
    /// octets (default 1232). The size is that of the response a server sends to a query for
    /// exactly that name and type, with the answer section only: the 12-octet header, the
    /// question, every record of the RRset (owner compressed to a pointer to the question;
    /// names in NS, CNAME, PTR, MX and SOA data compressed against the names before them as
    /// RFC 1035 section 4.1.4 allows; SRV targets never compressed, RFC 2782) and an 11-octet
    /// EDNS OPT record without options. The authority and additional sections, EDNS options
    /// (cookies, NSID) and DNSSEC signatures are not counted: servers drop additional data
    /// first, but signatures would only make the answer larger.
    ///
    /// ## Why it matters
    /// 1232 octets is the EDNS buffer size DNS Flag Day 2020 agreed on so UDP answers are not
    /// fragmented. A larger answer comes back truncated (TC bit), and the client must retry over
    /// TCP: slower, and a failure wherever a firewall or client library does not do DNS over
    /// TCP. RFC 1035 section 4.2.1 kept plain DNS to 512 octets for the same reason.
    ///
    /// ## Example
    /// A service with 40 hosts in one datacenter: the answer with 40 SRV records whose targets
    /// look like `playlist-backend-17.ash.example.net.` is 2250 octets.
    ///
    /// ## How to fix
    /// Publish fewer records per RRset (split the service, or give clients a per-rack name),
    /// use shorter host names, or make sure every client can use TCP and set the rule to
    /// `warning`/`off`. Set `check.udp_payload` to the buffer size your servers advertise.
    pub const ANSWER_TOO_LARGE_FOR_UDP = {
        id: "answer-too-large-for-udp",
        severity: Warning,
        stage: Check,
        summary: "an RRset whose answer does not fit a UDP response",
    };

    /// ## What it does
    /// Reports a name that owns a CNAME record and any other record (below the apex; a CNAME at
    /// the apex is `cname-at-apex`).
    ///
    /// ## Why it matters
    /// RFC 1034 section 3.6.2: "If a CNAME RR is present at a node, no other data should be
    /// present; this ensures that the data for a canonical name and its aliases cannot be
    /// different." RFC 2181 section 10.1 makes it absolute. Servers refuse to load such a zone
    /// (BIND: "CNAME and other data"), or answer inconsistently depending on the query type.
    ///
    /// ## Example
    /// ```yaml
    /// - { name: shop, type: CNAME, target: web1.ams.example.net. }
    /// - { name: shop, type: TXT, text: "owner=team-shop" }
    /// ```
    ///
    /// ## How to fix
    /// Keep one: move the other records to the CNAME's target (or another name), or replace the
    /// CNAME by the target's A/AAAA records.
    pub const CNAME_AND_OTHER_DATA = {
        id: "cname-and-other-data",
        severity: Error,
        stage: Check,
        summary: "a CNAME beside other records at one name",
    };

    /// ## What it does
    /// Reports a CNAME record at a zone's apex (`@`, the domain itself).
    ///
    /// ## Why it matters
    /// The apex must own the zone's SOA and NS records (RFC 1035 section 4.2.1), and RFC 1034
    /// section 3.6.2 allows no other data beside a CNAME, so a CNAME there is never valid:
    /// servers refuse the zone, or resolvers follow the alias for the SOA and NS queries too and
    /// the whole zone breaks.
    ///
    /// ## Example
    /// ```yaml
    /// - { name: "@", type: CNAME, target: edge.lon.example.net. }
    /// ```
    ///
    /// ## How to fix
    /// Publish A/AAAA records at the apex instead (copies of the target's addresses), or use a
    /// provider's ALIAS/flattening feature outside DNS zone files.
    pub const CNAME_AT_APEX = {
        id: "cname-at-apex",
        severity: Error,
        stage: Check,
        summary: "a CNAME at a zone apex",
    };

    /// ## What it does
    /// Reports a CNAME whose chain (this alias, the alias it points at, and so on, across the
    /// managed zones) is longer than `check.max_cname_chain` (default 8) before it reaches a name
    /// that is not an alias. Loops are `cname-loop`.
    ///
    /// ## Why it matters
    /// Every link is another lookup, and resolvers cap how many they follow (RFC 1034 section
    /// 3.6.2 asks them to follow chains; implementations bound how many restarts a query may
    /// take). A long chain is slow at best, and a SERVFAIL once someone adds one more link.
    ///
    /// ## Example
    /// ```yaml
    /// - { name: a, type: CNAME, target: b.example.net. }
    /// - { name: b, type: CNAME, target: c.example.net. }
    /// # ... nine links in all
    /// ```
    ///
    /// ## How to fix
    /// Point the first alias at (or near) the final name. Raise `check.max_cname_chain` only if
    /// the chain is deliberate.
    pub const CNAME_CHAIN_TOO_LONG = {
        id: "cname-chain-too-long",
        severity: Warning,
        stage: Check,
        summary: "a CNAME chain longer than check.max_cname_chain",
    };

    /// ## What it does
    /// Reports CNAME records that alias each other in a circle (`a` → `b` → `a`), across all
    /// managed zones and through wildcards. Each loop is reported once, at the member that sorts
    /// first, with the other members as notes.
    ///
    /// ## Why it matters
    /// RFC 1034 section 3.6.2: "CNAME chains should be followed and CNAME loops signalled as an
    /// error." A resolver follows the loop until its limit and answers SERVFAIL: every name in
    /// the loop, and every name aliased to one of them, stops resolving.
    ///
    /// ## Example
    /// ```yaml
    /// - { name: a, type: CNAME, target: b.example.net. }
    /// - { name: b, type: CNAME, target: a.example.net. }
    /// ```
    ///
    /// ## How to fix
    /// Point one of the names at the host that should answer (a name with A/AAAA records).
    pub const CNAME_LOOP = {
        id: "cname-loop",
        severity: Error,
        stage: Check,
        summary: "CNAME records that alias each other in a circle",
    };

    /// ## What it does
    /// Reports CNAME, SRV, MX and NS records whose target lies inside a managed zone but does not
    /// exist there, and SRV, MX and NS targets that exist but have no A or AAAA record. Targets
    /// outside every managed zone, or below a delegation to a zone managed elsewhere, are not
    /// checked: zonegate cannot see them. Wildcards are honoured (RFC 4592). PTR targets are
    /// `ptr-without-forward`; targets that are aliases are `target-is-alias`. The root target
    /// `.` ("no service", RFC 2782; null MX, RFC 7505) is accepted.
    ///
    /// ## Why it matters
    /// A dangling alias answers NXDOMAIN, an SRV or MX record pointing at a name without an
    /// address gives clients nothing to connect to, and a dangling NS makes a delegation lame.
    /// RFC 2782 on the SRV target: "There MUST be one or more address records for this name".
    /// When the target is a host that was just decommissioned, this is the outage the review
    /// did not see.
    ///
    /// ## Example
    /// ```yaml
    /// - { name: docs, type: CNAME, target: docs-host.ams.example.net. }   # no such host
    /// ```
    ///
    /// ## How to fix
    /// Fix the target's spelling, add the missing host (or restore its status in the CMDB), or
    /// remove the record that points at it.
    pub const DANGLING_TARGET = {
        id: "dangling-target",
        severity: Error,
        stage: Check,
        summary: "a target that does not exist in its managed zone",
    };

    /// ## What it does
    /// Reports records a zone holds but never serves because a delegation covers them: any
    /// record other than NS at a delegation point, and any record below one except glue (A and
    /// AAAA records of a name that a delegation in the zone names as its server).
    ///
    /// ## Why it matters
    /// Below a zone cut the parent is not authoritative (RFC 1034 section 4.2.1, RFC 2181 section
    /// 6): it answers with a referral to the child's servers, so this "occluded" data is never
    /// served. The author believes the record is live; the child zone's owners do not know it
    /// exists.
    ///
    /// ## Example
    /// ```yaml
    /// - { name: corp, type: NS, target: ns1.corp.example.net. }
    /// - { name: ns1.corp, type: A, address: 192.0.2.53 }       # glue: fine
    /// - { name: wiki.corp, type: CNAME, target: web1.ams.example.net. }   # never served
    /// ```
    ///
    /// ## How to fix
    /// Move the record into the delegated zone (its owners publish it), or remove the delegation
    /// if the name should be served from this zone.
    pub const DATA_BELOW_DELEGATION = {
        id: "data-below-delegation",
        severity: Error,
        stage: Check,
        summary: "records hidden by a delegation",
    };

    /// ## What it does
    /// Reports a record defined twice: same owner, type and data (the TTL may differ). The
    /// zone keeps one copy; this points at the other.
    ///
    /// ## Why it matters
    /// An RRset is a set (RFC 2181 section 5): a server serves the record once, so the second
    /// definition does nothing, except confuse the next person who edits one copy and wonders
    /// why nothing changed, or deletes one and expects the record to be gone.
    ///
    /// ## Example
    /// ```yaml
    /// # zones/records/edge.yaml
    /// - { name: www, type: CNAME, target: edge.lon.example.net. }
    /// # zones/records/web.yaml
    /// - { name: www, type: CNAME, target: edge.lon.example.net. }
    /// ```
    ///
    /// ## How to fix
    /// Delete one of the two definitions (keep the one in the file of the team that owns it).
    pub const DUPLICATE_RECORD = {
        id: "duplicate-record",
        severity: Warning,
        stage: Check,
        summary: "a record defined twice",
    };

    /// ## What it does
    /// Reports a name that holds records of a CMDB host and records written by hand (in
    /// `zones/records/`) or set in `zonegate.yaml` (the SOA and NS of a zone apex or a
    /// delegation): a host named like a name server whose glue addresses are hand-edited, like
    /// a hand-edited CNAME, TXT or MX name, like a delegated zone or an apex; or a host address
    /// whose reverse name has a hand-edited PTR. The finding names the CMDB row and, as notes,
    /// each line the other records come from.
    ///
    /// ## Why it matters
    /// The host's records join the others without a word: a host exported as `ns1.example.net`
    /// adds its address to the glue of the name servers, so resolvers are sent to a machine that
    /// serves no DNS; a host named like a hand-edited name changes what that name answers, and a
    /// PTR beside a hand-edited one makes reverse lookups answer two names (RFC 1912 section 2.1
    /// asks for one). A name's records must come from one place, or a change to one source
    /// silently changes what the other published.
    ///
    /// ## Example
    /// ```text
    /// # zones/records/nameservers.yaml
    /// - { name: ns1, type: A, address: 192.0.2.53 }
    /// # zones/cmdb/servers.csv
    /// ns1.example.net,ams,r1,10.1.0.9,,,in_use
    /// ```
    ///
    /// ## How to fix
    /// Rename the host in the CMDB, or remove (or rename) the hand-edited records; records of a
    /// name server belong in the records files, where they are written on purpose.
    pub const HOST_COLLIDES_WITH_RECORD = {
        id: "host-collides-with-record",
        severity: Error,
        stage: Check,
        summary: "a CMDB host's records at a name that also has hand-edited or configured records",
    };

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
    pub const INVALID_HOSTNAME = {
        id: "invalid-hostname",
        severity: Error,
        stage: Check,
        summary: "a host name with characters hosts cannot have",
    };

    /// ## What it does
    /// Reports a delegation (NS records below a zone's apex) to a name server whose name lies
    /// inside the delegated zone, when the parent zone has no A or AAAA record (glue) for that
    /// name server.
    ///
    /// ## Why it matters
    /// To find `ns1.corp.example.net.` a resolver must ask the servers of `corp.example.net.`,
    /// which it can only reach through `ns1.corp.example.net.`: a circular dependency. RFC 1034
    /// section 4.2.1 requires the parent to hold "glue" addresses for such servers, and RFC 9471
    /// makes returning them mandatory. Without glue the delegated zone cannot be resolved at all.
    ///
    /// ## Example
    /// ```yaml
    /// - { name: corp, type: NS, target: ns1.corp.example.net. }
    /// # but no { name: ns1.corp, type: A, address: ... }
    /// ```
    ///
    /// ## How to fix
    /// Add A and/or AAAA records for the name server in the parent zone (`name: ns1.corp`), with
    /// the addresses the child zone publishes for it.
    pub const MISSING_GLUE = {
        id: "missing-glue",
        severity: Error,
        stage: Check,
        summary: "an in-zone delegation without glue addresses",
    };

    /// ## What it does
    /// Reports an A or AAAA record in a forward zone whose address falls in a managed reverse
    /// zone that has no PTR record for that address. Addresses outside every managed reverse
    /// zone, or in a part of one delegated elsewhere, are not checked (`no-reverse-zone` covers
    /// CMDB hosts without a reverse zone). Several names may share an address: one PTR for it is
    /// enough.
    ///
    /// ## Why it matters
    /// RFC 1912 section 2.1: "For every IP address, there should be a matching PTR record in the
    /// in-addr.arpa domain." Without it, reverse lookups fail: logs and traceroutes show bare
    /// addresses, and forward-confirmed reverse DNS, which mail servers and some SSH setups rely
    /// on, fails. zonegate generates PTRs for CMDB hosts, so this catches hand-edited addresses.
    ///
    /// ## Example
    /// ```yaml
    /// - { name: shop, type: A, address: 10.9.9.1 }   # zones.reverse: [10.0.0.0/8]
    /// # but no { name: 1.9.9.10.in-addr.arpa., type: PTR, target: shop.example.net. }
    /// ```
    ///
    /// ## How to fix
    /// Add the PTR record the hint shows, or turn the rule to `off` if another system publishes
    /// these PTRs.
    pub const MISSING_REVERSE = {
        id: "missing-reverse",
        severity: Warning,
        stage: Check,
        summary: "an address in a managed reverse zone without a PTR record",
    };

    /// ## What it does
    /// Reports a name with more than one CNAME record (with different targets; exact duplicates
    /// are `duplicate-record`).
    ///
    /// ## Why it matters
    /// An alias names exactly one canonical name. RFC 2181 section 10.1 lists what may exist at
    /// a name, first: "one CNAME record exists, optionally accompanied by SIG, NXT, and KEY
    /// RRs". Servers refuse such a zone (BIND: "multiple RRs of singleton type"), or pick one
    /// target at random.
    ///
    /// ## Example
    /// ```yaml
    /// - { name: www, type: CNAME, target: edge.lon.example.net. }
    /// - { name: www, type: CNAME, target: edge.sto.example.net. }
    /// ```
    ///
    /// ## How to fix
    /// Keep one CNAME. To spread clients over several hosts, publish their A/AAAA records at
    /// the name (or an SRV RRset) instead.
    pub const MULTIPLE_CNAMES = {
        id: "multiple-cnames",
        severity: Error,
        stage: Check,
        summary: "a name with several CNAME records",
    };

    /// ## What it does
    /// Reports a PTR record (at a full `in-addr.arpa.` or `ip6.arpa.` address name) whose target
    /// lies in a managed zone but has no A or AAAA record with that address, following CNAMEs
    /// and wildcards as a resolver would. Targets outside the managed zones are not checked.
    ///
    /// ## Why it matters
    /// RFC 1912 section 2.1: "Make sure your PTR and A records match." Forward-confirmed
    /// reverse DNS (FCrDNS) looks up the PTR of an address, then the addresses of that name, and
    /// trusts the name only if the address is among them. Mail servers reject or score down mail
    /// from hosts that fail it, SSH logs "POSSIBLE BREAK-IN ATTEMPT", and a stale PTR left
    /// behind after a host moved names the wrong machine in every log.
    ///
    /// ## Example
    /// ```yaml
    /// - { name: 1.9.9.10.in-addr.arpa., type: PTR, target: shop.example.net. }
    /// # but shop.example.net. has no A record 10.9.9.1
    /// ```
    ///
    /// ## How to fix
    /// Add the address record to the target, point the PTR at the name that has the address, or
    /// remove the stale PTR.
    pub const PTR_WITHOUT_FORWARD = {
        id: "ptr-without-forward",
        severity: Error,
        stage: Check,
        summary: "a PTR whose target does not map back to the address",
    };

    /// ## What it does
    /// Reports an RRset with more records than `check.max_rrset_records` (default 100): in
    /// practice an SRV RRset of a service with very many hosts in one datacenter, or an A RRset
    /// used as a load-balancing pool.
    ///
    /// ## Why it matters
    /// BIND 9.18.28 and later refuse to load a zone with such an RRset by default
    /// (`max-records-per-type 100`, a defence against CVE-2024-1737), so one host too many in the
    /// CMDB would take the whole zone off the primary. Large RRsets also never fit a UDP answer
    /// (see `answer-too-large-for-udp`).
    ///
    /// ## Example
    /// A service whose role is carried by 150 `in_use` hosts in one datacenter: the SRV RRset
    /// `_playlist._tcp.ash.example.net.` gets 150 records.
    ///
    /// ## How to fix
    /// Split the service (several roles, or a global name plus per-datacenter names), put a load
    /// balancer in front, or, if every server you deploy to allows more, raise the servers'
    /// limit and `check.max_rrset_records` together.
    pub const RRSET_TOO_LARGE = {
        id: "rrset-too-large",
        severity: Error,
        stage: Check,
        summary: "an RRset with more records than check.max_rrset_records",
    };

    /// ## What it does
    /// Reports SRV, MX and NS records whose target is an alias (owns a CNAME) in a managed zone.
    ///
    /// ## Why it matters
    /// RFC 2782 on the SRV target: "the name MUST NOT be an alias (in the sense of RFC 1034 or
    /// RFC 2181)". RFC 2181 section 10.3: "The domain name used as the value of a NS resource
    /// record, or part of the value of a MX resource record must not be an alias." Servers do not
    /// put the addresses of an alias in the additional section, some clients refuse the answer,
    /// and mail servers may bounce.
    ///
    /// ## Example
    /// ```yaml
    /// - { name: www, type: CNAME, target: web1.ams.example.net. }
    /// - { name: _sip._udp, type: SRV, priority: 10, weight: 5, port: 5060, target: www.example.net. }
    /// ```
    ///
    /// ## How to fix
    /// Point the record at the canonical name (the end of the CNAME chain; the hint names it).
    pub const TARGET_IS_ALIAS = {
        id: "target-is-alias",
        severity: Error,
        stage: Check,
        summary: "an SRV, MX or NS target that is a CNAME",
    };

    /// ## What it does
    /// Reports an RRset (records of one name and type) whose records have different TTLs.
    ///
    /// ## Why it matters
    /// RFC 2181 section 5.2: "the use of differing TTLs in an RRSet is hereby deprecated, the
    /// TTLs of all RRs in an RRSet must be set to the same value." Servers silently pick one
    /// (BIND loads the zone with "TTL set to prior TTL"), so the TTL someone wrote, perhaps to
    /// shorten a migration window, is not the one served.
    ///
    /// ## Example
    /// ```yaml
    /// - { name: shop, type: A, address: 192.0.2.1, ttl: 300 }
    /// - { name: shop, type: A, address: 192.0.2.2, ttl: 600 }
    /// ```
    ///
    /// ## How to fix
    /// Give every record of the RRset the same `ttl:` (or none, for the default).
    pub const TTL_MISMATCH = {
        id: "ttl-mismatch",
        severity: Error,
        stage: Check,
        summary: "records of one RRset with different TTLs",
    };
}
