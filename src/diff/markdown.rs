//! The difference as GitHub-flavoured Markdown within a byte budget: the pull-request comment the
//! gate posts, the job summary beside it, the body of `regen`'s pull request and the diff in the
//! bot's comment.
//!
//! GitHub refuses a comment or pull-request body over 65,536 characters and drops a step's job
//! summary over 1 MiB, so a report that does not fit is not shortened by the reader: it is lost.
//! [`markdown`] therefore never writes more than its budget (in bytes, which are never fewer than
//! characters). What matters comes first and is the last to be cut: the heading, the large-change
//! reasons and the totals, then the blast radius (zones, datacenters, services losing targets,
//! names losing every address), then the record lines. Each section gets a share of what is
//! left when it starts, so a section that needs less leaves more to the ones after it. A list that
//! does not fit keeps its most significant items in their usual order and ends with "and N more";
//! a shortened report ends with a note naming the command that prints all of it.
//!
//! Pure: no IO, no clock.

use std::fmt::Write as _;

use super::report::{
    Labels, change_line, code_names, counts_text, group_text, grouped, markdown_line,
    push_target_changes, reason_text,
};
use super::{Diff, Presence, ServiceDiff, ZoneDiff, percent};

/// GitHub's limit on a comment or a pull request's body: 65,536 characters.
pub const GITHUB_BODY_LIMIT: usize = 65_536;

/// The budget of a report that becomes a comment or a pull request's body: GitHub's limit less
/// room for what callers put around it (a marker, a footer, a summary of the change).
pub const COMMENT_BUDGET: usize = 60_000;

/// GitHub's limit on what one step writes to its job summary: 1 MiB. A step that writes more
/// loses its whole summary.
pub const STEP_SUMMARY_LIMIT: usize = 1_048_576;

/// The smallest budget [`markdown`] honours: room for the heading, the totals and the note saying
/// what was left out. A smaller budget is raised to this.
pub const MINIMUM_BUDGET: usize = 1_024;

/// Longest revision label the heading shows, in bytes; a longer one is cut with `…`.
const LABEL_BYTES: usize = 120;

/// The shares of what is left that each section may take, in the order the sections appear.
const SHARES: Shares = Shares {
    reasons: 2,
    zones: 2,
    datacenters: 1,
    services: 4,
    vanished: 3,
    records: 8,
};

/// The difference as Markdown in at most `budget` bytes (at least [`MINIMUM_BUDGET`];
/// `usize::MAX` for no limit).
pub fn markdown(diff: &Diff, labels: &Labels<'_>, budget: usize) -> String {
    let budget = budget.max(MINIMUM_BUDGET);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### DNS diff: {} → {}\n",
        code_span(&shorten(labels.base, LABEL_BYTES)),
        code_span(&shorten(labels.head, LABEL_BYTES))
    );
    // The note is written last but its room is kept from the start.
    let note = cut_note(labels, budget);
    let note_room = note.len();
    let mut report = Report {
        out,
        end: budget - note_room,
        cut: false,
        weights: SHARES.total(),
    };
    if labels.large_changes.is_empty() {
        report.skip(SHARES.reasons);
    } else {
        let allowance = report.allowance(SHARES.reasons);
        let items: Vec<String> = labels
            .large_changes
            .iter()
            .map(|change| format!("> - {}\n", markdown_line(change)))
            .collect();
        report.list(&List {
            allowance,
            head: "> [!WARNING]\n> **Large change** under the base branch's policy:\n",
            items: &items,
            priority: None,
            more: &|count| format!("> - and {count} more\n"),
            tail: "\n",
            required: true,
        });
    }
    if diff.is_empty() {
        report.push("No record changes; every serial stays.\n");
        return report.finish(&note);
    }
    let totals = diff.totals();
    let changed_zones: Vec<&ZoneDiff> = diff
        .zones
        .iter()
        .filter(|zone| !zone.counts.is_empty() || zone.serial_changes)
        .collect();
    report.push(&format!(
        "**{}** in {} of {} zone(s).\n\n",
        counts_text(totals),
        changed_zones.len(),
        diff.zones.len()
    ));
    zones_table(&mut report, &changed_zones);
    datacenters_table(&mut report, diff);
    services(&mut report, &diff.services);
    vanished(&mut report, diff);
    records(&mut report, diff);
    report.finish(&note)
}

/// The weights of the sections (see [`SHARES`]).
struct Shares {
    reasons: u32,
    zones: u32,
    datacenters: u32,
    services: u32,
    vanished: u32,
    records: u32,
}

impl Shares {
    const fn total(&self) -> u32 {
        self.reasons + self.zones + self.datacenters + self.services + self.vanished + self.records
    }
}

/// The report being written, with the byte position it must not pass.
struct Report {
    out: String,
    /// `out` may grow to this many bytes; the cut note has the room after it.
    end: usize,
    /// Something was left out.
    cut: bool,
    /// The weights of the sections not written yet.
    weights: u32,
}

/// A list to write within an allowance: `head`, the items that fit, `more(left out)`, `tail`.
struct List<'a> {
    allowance: usize,
    head: &'a str,
    items: &'a [String],
    /// Item indexes, most significant first; `None` for the items' own order.
    priority: Option<&'a [usize]>,
    more: &'a dyn Fn(usize) -> String,
    tail: &'a str,
    /// Written (head, "and N more", tail) whenever the room left takes it, even beyond the
    /// allowance: a warning must not vanish because the budget is small.
    required: bool,
}

impl Report {
    fn room(&self) -> usize {
        self.end.saturating_sub(self.out.len())
    }

    /// The bytes the next section may take: its weight's share of the room left.
    fn allowance(&mut self, weight: u32) -> usize {
        // In u128: a budget of `usize::MAX` (no limit) times a weight overflows usize.
        let share = self.room() as u128 * u128::from(weight) / u128::from(self.weights.max(1));
        let share = usize::try_from(share).unwrap_or(usize::MAX);
        self.weights = self.weights.saturating_sub(weight);
        share
    }

    /// A section with nothing to say gives its share to the ones after it.
    fn skip(&mut self, weight: u32) {
        self.weights = self.weights.saturating_sub(weight);
    }

    /// Appends `text` when it fits, or records that something was left out.
    fn push(&mut self, text: &str) -> bool {
        if text.len() <= self.room() {
            self.out.push_str(text);
            true
        } else {
            self.cut = true;
            false
        }
    }

    /// Writes `list` within its allowance (and the room left). Nothing at all when not even the
    /// head, one "and N more" line and the tail fit.
    fn list(&mut self, list: &List<'_>) {
        let total = list.items.len();
        let frame = list.head.len() + list.tail.len() + (list.more)(total).len();
        let allowance = if list.required {
            list.allowance.max(frame)
        } else {
            list.allowance
        }
        .min(self.room());
        if frame > allowance {
            self.cut = self.cut || total > 0;
            return;
        }
        let mut left = allowance - frame;
        let mut kept: Vec<usize> = Vec::new();
        let order: Box<dyn Iterator<Item = usize>> = match list.priority {
            Some(priority) => Box::new(priority.iter().copied()),
            None => Box::new(0..total),
        };
        for index in order {
            let item = &list.items[index];
            if item.len() > left {
                break;
            }
            left -= item.len();
            kept.push(index);
        }
        kept.sort_unstable();
        self.out.push_str(list.head);
        for index in &kept {
            self.out.push_str(&list.items[*index]);
        }
        if kept.len() < total {
            self.cut = true;
            self.out.push_str(&(list.more)(total - kept.len()));
        }
        self.out.push_str(list.tail);
    }

    /// The report, with `note` when something was left out.
    fn finish(mut self, note: &str) -> String {
        if self.cut {
            self.out.push_str(note);
        }
        self.out
    }
}

/// The note ending a shortened report; it names the command that prints the whole difference
/// unless that command alone would take a quarter of the budget.
fn cut_note(labels: &Labels<'_>, budget: usize) -> String {
    let plain = format!("\n*Shortened to fit {budget} bytes.*\n");
    let Some(command) = labels.rerun else {
        return plain;
    };
    let with_command = format!(
        "\n*Shortened to fit {budget} bytes: {} prints the whole difference.*\n",
        code_span(command)
    );
    if with_command.len() <= budget / 4 {
        with_command
    } else {
        plain
    }
}

fn zones_table(report: &mut Report, zones: &[&ZoneDiff]) {
    let allowance = report.allowance(SHARES.zones);
    let items: Vec<String> = zones
        .iter()
        .map(|zone| {
            let serial = match zone.presence {
                Presence::Added => "new zone",
                Presence::Removed => "zone deleted",
                Presence::Both if zone.serial_changes => "changes",
                Presence::Both => "stays",
            };
            format!(
                "| `{}` | {} | {} | {} | {} | {} | {serial} |\n",
                zone.origin,
                zone.base_records,
                zone.counts.added,
                zone.counts.removed,
                zone.counts.changed,
                percent(zone.counts.share_of(zone.base_records)),
            )
        })
        .collect();
    let priority = by_weight(zones.len(), |index| {
        let counts = zones[index].counts;
        (counts.removed + counts.changed, counts.added)
    });
    report.list(&List {
        allowance,
        head: "| zone | records | added | removed | changed | removed or changed | serial |\n\
               |---|---:|---:|---:|---:|---:|---|\n",
        items: &items,
        priority: Some(&priority),
        more: &|count| format!("| and {count} more zone(s) | | | | | | |\n"),
        tail: "",
        required: false,
    });
}

fn datacenters_table(report: &mut Report, diff: &Diff) {
    let datacenters: Vec<_> = diff
        .datacenters
        .iter()
        .filter(|dc| !dc.counts.is_empty())
        .collect();
    if datacenters.is_empty() {
        report.skip(SHARES.datacenters);
        return;
    }
    let allowance = report.allowance(SHARES.datacenters);
    let items: Vec<String> = datacenters
        .iter()
        .map(|dc| {
            format!(
                "| `{}` | {} | {} | {} | {} | {} |\n",
                dc.name,
                dc.base_records,
                dc.counts.added,
                dc.counts.removed,
                dc.counts.changed,
                percent(dc.counts.share_of(dc.base_records)),
            )
        })
        .collect();
    let priority = by_weight(datacenters.len(), |index| {
        let counts = datacenters[index].counts;
        (counts.removed + counts.changed, counts.added)
    });
    report.list(&List {
        allowance,
        head: "\n| datacenter | records | added | removed | changed | removed or changed |\n\
               |---|---:|---:|---:|---:|---:|\n",
        items: &items,
        priority: Some(&priority),
        more: &|count| format!("| and {count} more datacenter(s) | | | | | |\n"),
        tail: "",
        required: false,
    });
}

fn services(report: &mut Report, services: &[ServiceDiff]) {
    if services.is_empty() {
        report.skip(SHARES.services);
        return;
    }
    let allowance = report.allowance(SHARES.services);
    let items: Vec<String> = services.iter().map(service_line).collect();
    // A service that loses every target in a datacenter is the outage the reviewer must see.
    let priority = by_weight(services.len(), |index| {
        let service = &services[index];
        (usize::from(service.loses_all()), service.lost.len())
    });
    report.list(&List {
        allowance,
        head: "\n**Services whose SRV targets change**\n\n",
        items: &items,
        priority: Some(&priority),
        more: &|count| format!("- and {count} more service(s)\n"),
        tail: "",
        required: false,
    });
}

fn service_line(service: &ServiceDiff) -> String {
    let marker = if service.loses_all() { "⚠️ " } else { "" };
    let place = service
        .group
        .datacenter
        .as_deref()
        .map_or_else(|| "all datacenters".to_owned(), |dc| format!("`{dc}`"));
    let mut line = format!(
        "- {marker}`{}` in {place} (`{}`): {} → {} targets",
        service.group.service.as_deref().unwrap_or("?"),
        service.owner,
        service.base_targets,
        service.head_targets
    );
    push_target_changes(&mut line, service, code_names);
    line.push('\n');
    line
}

fn vanished(report: &mut Report, diff: &Diff) {
    if diff.vanished.is_empty() {
        report.skip(SHARES.vanished);
        return;
    }
    let allowance = report.allowance(SHARES.vanished);
    let items: Vec<String> = diff
        .vanished
        .iter()
        .map(|vanished| {
            format!(
                "- `{}`{}: {}\n",
                vanished.name,
                vanished
                    .datacenter
                    .as_deref()
                    .map(|dc| format!(" ({dc})"))
                    .unwrap_or_default(),
                reason_text(&vanished.reason)
            )
        })
        .collect();
    report.list(&List {
        allowance,
        head: "\n**Names that lose every address**\n\n",
        items: &items,
        priority: None,
        more: &|count| format!("- and {count} more name(s)\n"),
        tail: "",
        required: false,
    });
}

/// The record lines in a collapsed block, in canonical order, as many as the room left takes.
/// Lines are rendered one at a time: a million changed records are never all in memory as text.
fn records(report: &mut Report, diff: &Diff) {
    let record_count: usize = diff.zones.iter().map(|zone| zone.changes.len()).sum();
    if record_count == 0 {
        return;
    }
    let allowance = report.allowance(SHARES.records).min(report.room());
    let head = format!("\n<details><summary>Records ({record_count})</summary>\n\n```diff\n");
    let close = "```\n";
    let tail = "\n</details>\n";
    let more = |count: usize| format!("\n{count} more record(s) not shown.\n");
    let frame = head.len() + close.len() + tail.len() + more(record_count).len();
    if frame > allowance {
        report.cut = true;
        return;
    }
    let mut left = allowance - frame;
    let mut block = String::new();
    let mut shown = 0;
    let mut line = String::new();
    'zones: for zone in &diff.zones {
        for (group, changes) in grouped(zone) {
            let header = format!("@@ {} {} @@\n", zone.origin, group_text(group));
            // A group header is only worth writing with at least one of its lines after it.
            let mut header_written = false;
            for change in changes {
                line.clear();
                change_line(change, &mut line);
                // A fence inside the block would end it early.
                let text = line.replace("```", "'''");
                let needed = text.len() + 1 + if header_written { 0 } else { header.len() };
                if needed > left {
                    break 'zones;
                }
                if !header_written {
                    block.push_str(&header);
                    header_written = true;
                }
                block.push_str(&text);
                block.push('\n');
                left -= needed;
                shown += 1;
            }
        }
    }
    report.out.push_str(&head);
    report.out.push_str(&block);
    report.out.push_str(close);
    if shown < record_count {
        report.cut = true;
        report.out.push_str(&more(record_count - shown));
    }
    report.out.push_str(tail);
}

/// Indexes `0..count` ordered by `weight`, heaviest first; ties keep their order.
fn by_weight<K: Ord>(count: usize, weight: impl Fn(usize) -> K) -> Vec<usize> {
    let mut order: Vec<usize> = (0..count).collect();
    order.sort_by_key(|index| std::cmp::Reverse(weight(*index)));
    order
}

/// `text` as an inline code span, fenced with more backticks than it holds (CommonMark 6.1).
pub fn code_span(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for character in text.chars() {
        if character == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    if longest == 0 {
        return format!("`{text}`");
    }
    let fence = "`".repeat(longest + 1);
    format!("{fence} {text} {fence}")
}

/// `text` cut to at most `bytes` bytes on a character boundary, with `…` when cut.
fn shorten(text: &str, bytes: usize) -> String {
    if text.len() <= bytes {
        return text.to_owned();
    }
    let mut cut = bytes.saturating_sub('…'.len_utf8());
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…", &text[..cut])
}
