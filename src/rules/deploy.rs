//! The codes `deploy::plan` reports (the checks live in `deploy`, where the served serials are
//! known; the documentation lives here with every other rule's).

declare_rules! {
    /// ## What it does
    /// Reports, while planning `zonegate deploy`, a zone whose new SOA serial would not be greater
    /// (in RFC 1982 serial-number arithmetic) than the serial the target's server serves now. The
    /// deploy is refused before anything is written.
    ///
    /// ## Why it matters
    /// Secondaries transfer a zone only when the primary's serial is newer than theirs (RFC 1996
    /// section 3.11, RFC 1982), so a zone installed with a serial that is not newer would stay
    /// stale on every secondary. A served serial ahead of zonegate's also means someone else
    /// changed the zone on the server, and a person should look before it is overwritten.
    ///
    /// ## Example
    /// The server serves `example.net.` with serial 2026112600 (edited by hand on the server);
    /// zonegate's next serial for its change is 2026112501.
    ///
    /// ## How to fix
    /// Find out who changed the zone on the server and fold the change into the repository; then
    /// set `deploy: { stale_serial: bump }` in zones/zonegate.yaml to move past the served serial,
    /// or deploy once with it set.
    pub const SERIAL_NOT_GREATER = {
        id: "serial-not-greater",
        severity: Error,
        stage: Deploy,
        summary: "a deploy would install a serial not greater than the served one",
    };
}
