//! The codes of assertions: a template in an assertion file that cannot be filled in (malformed
//! input, like the YAML codes of `rules::input` that assertion files share), and an assertion
//! that does not hold (`zonegate test`, the bot on the merge result, deploy against the
//! rendered zones and the live server).

declare_rules! {
    /// ## What it does
    /// Reports a `{{ variable }}` template in an assertion file (`assertions/*.yaml`) that
    /// cannot be filled in: an unclosed `{{`, an expression that is not `variable` or
    /// `variable.field`, a variable no `for_each` binds, or a field the bound item does not have.
    /// The hint names the variables and fields there are.
    ///
    /// ## Why it matters
    /// A template that cannot be filled in would ask about a name nobody meant, and the
    /// assertion would pass or fail for the wrong reason. zonegate refuses the assertion files
    /// (exit 2) and runs no assertion at all rather than a suite with holes in it.
    ///
    /// ## Example
    /// ```yaml
    /// - it: web is discoverable in every datacenter
    ///   for_each: { dc: datacenters }
    ///   query: _web._tcp.{{ datacenter }}.example.com.
    ///   type: SRV
    ///   expect: { at_least: 1 }
    /// ```
    ///
    /// ## How to fix
    /// Use a variable the assertion's `for_each` binds (`{{ dc }}` above), or one of the fields
    /// the hint lists (`{{ host.name }}`); templates have no filters or expressions.
    pub const ASSERTION_TEMPLATE = {
        id: "assertion-template",
        severity: Error,
        stage: Input,
        summary: "an assertion template that cannot be filled in",
    };

    /// ## What it does
    /// Reports an assertion in `assertions/*.yaml` that does not hold: the answer to its query
    /// (from the in-memory resolver over the generated zones, or from a server given with
    /// `--server`) does not match what the assertion expects. The finding shows the query, what
    /// was expected, what was answered, and the resolution trace with the input line behind each
    /// record.
    ///
    /// ## Why it matters
    /// Assertions are the repository's own statement of what must resolve ("web is discoverable
    /// in every datacenter", "the old host is gone"). A change that breaks one would break a
    /// client the moment the zone is served; `zonegate test` fails (exit 1), the merge bot does
    /// not merge, and `deploy` writes nothing when one fails against the rendered zones and rolls
    /// the target back when one fails against the live server.
    ///
    /// ## Example
    /// ```yaml
    /// - it: www points at web2
    ///   query: www.example.com.
    ///   type: CNAME
    ///   expect: { target: web2.ams.example.com. }
    /// ```
    /// while `zones/records/edge.yaml` says `www` is a CNAME of `web1.ams.example.com.`.
    ///
    /// ## How to fix
    /// Read the trace: fix the input line that produced the wrong record, or, when the change is
    /// intended, update the assertion in the same pull request.
    pub const ASSERTION_FAILED = {
        id: "assertion-failed",
        severity: Error,
        stage: Test,
        summary: "an assertion does not hold",
    };
}
