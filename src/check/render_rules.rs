//! Registry entry for the code `render` reports when a rendered zone, read back, does not hold
//! exactly the zone's records (the check lives in `render::verify`, which reads every zone it
//! writes; the documentation lives here with every other rule's).

declare_rule! {
    /// ## What it does
    /// Renders every zone with the repository's template (`zones/templates/zone.j2`, or the
    /// built-in one) and reads the text back with a master-file reader of its own, not the
    /// renderer. Reports a zone whose text does not hold exactly the zone's records: a record
    /// added, dropped or changed (owner, type, TTL, data, the SOA's serial), a record of another
    /// class, a directive other than a leading `$ORIGIN` of the zone itself and `$TTL`, the
    /// records written inside a comment or a parenthesis the template left open, or text that
    /// cannot be read back. The finding names the template line that wrote the offending text
    /// and the line of the rendered zone. `zonegate check` and the merge bot report it;
    /// `render` and `deploy` refuse the zone (exit 1) and write nothing.
    ///
    /// ## Why it matters
    /// Every check, every assertion and every diff looks at the records built from `zones/`,
    /// not at the text servers load. A template line such as `$INCLUDE /etc/hostname` (RFC 1035
    /// section 5.1), `$GENERATE 1-5000 evil$ 60 IN A 10.66.0.1` (BIND) or a plain record line
    /// would pass all of them, show "0 added, 0 removed" in a diff, be merged and be served.
    /// What is tested must be what is served, so the text is held to the records.
    ///
    /// ## Example
    /// ```text
    /// $ORIGIN {{ origin }}
    /// {{ body }}
    /// $INCLUDE /etc/hostname
    /// ```
    ///
    /// ## How to fix
    /// Let the template lay the records out and nothing more: a header of comments, `$ORIGIN
    /// {{ origin }}`, `$TTL`, the SOA from `soa`, and `{{ body }}` at the start of a line of its
    /// own (or a loop over `records` writing each record's owner, TTL, class, type and data).
    /// Records belong in `zones/records/`, where they are checked and tested like every other.
    pub const RENDERED_ZONE_MISMATCH: Rule = {
        id: "rendered-zone-mismatch",
        severity: Error,
        stage: Render,
        summary: "the rendered zone does not hold exactly the zone's records",
    };
}
