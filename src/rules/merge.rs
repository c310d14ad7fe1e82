//! The code of what the merge bot cannot use in what it reads from the base branch (the check
//! lives in `merge::codeowners`).

declare_rules! {
    /// ## What it does
    /// Finds a CODEOWNERS line (`.github/CODEOWNERS`, `CODEOWNERS` or `docs/CODEOWNERS`) the
    /// merge bot cannot use: a pattern GitHub does not support (negation with `!`, character
    /// ranges with `[ ]`, a pattern that matches nothing) or an owner that is neither `@user`,
    /// `@org/team` nor an email address. The bot skips the line, as GitHub skips it.
    ///
    /// ## Why it matters
    /// The bot requires the owners' review of the files a pull request changes. A line that is
    /// skipped protects nothing: the team its author meant to require does not have to review,
    /// and nothing else says so.
    ///
    /// ## Example
    /// ```text
    /// zones/records/[ab].yaml  @example/edge
    /// zones/                   owner-without-at
    /// ```
    ///
    /// ## How to fix
    /// Write the pattern without `!` or `[ ]` (one line per file or a `*` glob), and name owners
    /// as `@user`, `@org/team` or an email address.
    pub const INVALID_CODEOWNERS = {
        id: "invalid-codeowners",
        severity: Warning,
        stage: Merge,
        summary: "a CODEOWNERS line the bot cannot use",
    };
}
