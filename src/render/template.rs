//! The zone template, evaluated under bounds, and the way back from a byte of its output to the
//! template text that wrote it.
//!
//! Bounds, each sized from the zone ([`TemplateLimits`]): minijinja's fuel (instructions), the bytes
//! the template may write, and a wall-clock deadline. Fuel alone does not bound time, because
//! one instruction can copy a string as long as the zone, so the deadline is checked wherever
//! the template touches zonegate: every write of its output, every element of `records`, and
//! every element of `range()` (minijinja's own, wrapped). The deadline's clock is handed in
//! ([`TemplateLimits::clock`]): this module reads none of its own.
//!
//! Where a byte came from: every write reaches [`Output`], which knows the template's source
//! text. A write of literal template text is a slice of that source (minijinja keeps raw text as
//! borrowed slices), so its address gives the exact line and column. Anything else is written
//! by an expression through the formatter installed here, which can fail right after the write
//! and so make minijinja attach the span of the `{{ }}` that wrote it. [`locate`] re-evaluates
//! the template (deterministic: the same inputs give the same bytes) and stops at the byte it is
//! asked about.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use minijinja::value::{Enumerator, Object, ObjectRepr, Value};

use super::{RenderOptions, write_data};
use crate::model::name::Name;
use crate::model::zone::Zone;

/// Bounds on what a template may do for one zone. Each is a base plus a share per record of the
/// zone, so a template that lays out a million records has room for them and a runaway one on a
/// small zone stops in about a second.
#[derive(Clone, Copy, Debug)]
pub struct TemplateLimits {
    /// minijinja fuel (about one unit per instruction) for any template.
    pub fuel: u64,
    /// Fuel added per record when the template iterates `records` (a loop that writes a line
    /// per record takes about 20).
    pub fuel_per_record: u64,
    /// The output may be this many times the size of the built-in template's rendering of the
    /// same zone ([`super::rendered_size_bound`]) ...
    pub output_factor: u64,
    /// ... plus this many bytes.
    pub output_allowance: u64,
    /// Wall-clock time for any template, per zone ...
    pub time: Duration,
    /// ... plus this much per record.
    pub time_per_record: Duration,
    /// Where the time comes from: `Instant::now` in the commands; `None` (tests, fuzzing) for
    /// no deadline, so a run does not depend on the machine's speed.
    pub clock: Option<fn() -> Instant>,
}

impl TemplateLimits {
    /// The bounds `zonegate` uses, without a clock ([`TemplateLimits::with_clock`] adds one).
    pub const DEFAULT: TemplateLimits = TemplateLimits {
        fuel: 2_000_000,
        fuel_per_record: 60,
        output_factor: 4,
        output_allowance: 1 << 20,
        time: Duration::from_secs(2),
        time_per_record: Duration::from_micros(10),
        clock: None,
    };

    /// These bounds with a deadline read from `clock`.
    #[must_use]
    pub const fn with_clock(self, clock: fn() -> Instant) -> Self {
        Self {
            clock: Some(clock),
            ..self
        }
    }

    /// The time a template has for a zone of `records` records.
    pub fn time_for(&self, records: usize) -> Duration {
        let per_record = u32::try_from(records).unwrap_or(u32::MAX);
        self.time
            .saturating_add(self.time_per_record.saturating_mul(per_record))
    }
}

impl Default for TemplateLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// What the zones of one run share: the first zone, in canonical order, whose template ran out
/// of a budget. The evaluation for every zone after it stops at its next check
/// ([`TemplateProblem::Abandoned`]); those before it go on, so the first error in zone order, the
/// one a command reports, is the one a run of one zone at a time would have found.
#[derive(Debug, Default)]
pub struct Abandon {
    /// Set once some zone ran out: the fast check.
    any: AtomicBool,
    first: std::sync::Mutex<Option<Name>>,
}

impl Abandon {
    /// Records that the template ran out of a budget on `origin`.
    fn ran_out(&self, origin: &Name) {
        let mut first = self
            .first
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if first.as_ref().is_none_or(|known| origin < known) {
            *first = Some(origin.clone());
        }
        self.any.store(true, Ordering::Release);
    }

    /// True when a zone before `origin` ran out, so the evaluation for `origin` is moot.
    fn stops(&self, origin: &Name) -> bool {
        self.any.load(Ordering::Acquire)
            && self
                .first
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .as_ref()
                .is_some_and(|first| first < origin)
    }
}

/// A place in the template: 1-based line and column (0 when only the line is known).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TemplatePosition {
    /// 1-based line.
    pub line: u32,
    /// 1-based column in bytes, 0 when unknown.
    pub column: u32,
}

impl std::fmt::Display for TemplatePosition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.column {
            0 => write!(f, "{}", self.line),
            column => write!(f, "{}:{column}", self.line),
        }
    }
}

/// Why a template could not be rendered.
#[derive(Debug, thiserror::Error)]
#[error("zone template for {origin}")]
pub struct TemplateError {
    /// The zone being rendered.
    pub origin: String,
    /// What went wrong, with the template line.
    #[source]
    pub problem: TemplateProblem,
}

/// What went wrong in a template.
#[derive(Debug, thiserror::Error)]
pub enum TemplateProblem {
    /// minijinja's error (syntax, undefined value, out of fuel, ...), with the template line.
    #[error(transparent)]
    Engine(minijinja::Error),
    /// The output grew past [`TemplateLimits`]' bound.
    #[error("it writes more than its budget of {limit} bytes for this zone (four times the built-in template's output, plus 1 MiB){}", place(.template, .at.as_ref()))]
    OutputTooLarge {
        /// The bound, in bytes.
        limit: u64,
        /// The template's name.
        template: String,
        /// Where the byte past the bound was written.
        at: Option<TemplatePosition>,
    },
    /// The template ran out of a budget on a zone before this one in the same run, so this
    /// zone's evaluation was stopped: that zone's error is the one to report.
    #[error("stopped: the template ran out of a budget on an earlier zone")]
    Abandoned,
    /// The template ran past its deadline.
    #[error("it ran for more than its {:.2} s for this zone{}", .limit.as_secs_f64(), place(.template, .at.as_ref()))]
    OutOfTime {
        /// The time it had.
        limit: Duration,
        /// The template's name.
        template: String,
        /// Where it was when the deadline passed.
        at: Option<TemplatePosition>,
    },
}

impl TemplateProblem {
    /// minijinja's error, when the problem is one.
    pub fn engine(&self) -> Option<&minijinja::Error> {
        match self {
            TemplateProblem::Engine(error) => Some(error),
            _ => None,
        }
    }
}

fn place(template: &str, at: Option<&TemplatePosition>) -> String {
    match at {
        Some(at) => format!(" (in {template}:{at})"),
        None => format!(" (in {template})"),
    }
}

/// Everything one evaluation of the template depends on: evaluating the same frame twice gives
/// the same bytes.
#[derive(Clone, Copy)]
pub(super) struct Frame<'a> {
    pub(super) zone: &'a Zone,
    pub(super) serial: u32,
    pub(super) content_hash: &'a [u8; 32],
    pub(super) options: &'a RenderOptions<'a>,
    /// The bound on the output, from [`TemplateLimits`] and the zone.
    pub(super) output_limit: u64,
}

/// Evaluates the template with `body` standing for the record lines, within the bounds.
pub(super) fn evaluate(frame: &Frame<'_>, body: &Value) -> Result<String, TemplateError> {
    let mut output = Output::new(frame, None);
    let Err(engine) = run(frame, body, &mut output) else {
        return Ok(String::from_utf8(output.text).expect("minijinja writes whole UTF-8 strings"));
    };
    let options = frame.options;
    let at = output
        .raw_position()
        .or_else(|| engine_position(options.template, &engine));
    let template = options.template_name.to_owned();
    let problem = match output.signal.stopped() {
        Stop::Abandoned => TemplateProblem::Abandoned,
        Stop::Full => TemplateProblem::OutputTooLarge {
            limit: frame.output_limit,
            template,
            at,
        },
        Stop::Time => TemplateProblem::OutOfTime {
            limit: options.limits.time_for(frame.zone.records.len()),
            template,
            at,
        },
        Stop::No | Stop::Located => TemplateProblem::Engine(engine),
    };
    // A budget ran out: the same template would use it up on every other zone too.
    let out_of_budget = matches!(
        problem,
        TemplateProblem::OutputTooLarge { .. } | TemplateProblem::OutOfTime { .. }
    ) || problem
        .engine()
        .is_some_and(|error| error.kind() == minijinja::ErrorKind::OutOfFuel);
    if out_of_budget && let Some(abandon) = &options.abandon {
        abandon.ran_out(&frame.zone.origin);
    }
    Err(TemplateError {
        origin: frame.zone.origin.to_string(),
        problem,
    })
}

/// Where in the template the byte at `offset` of its output (for `body`) was written: the exact
/// place of literal text, or the expression that wrote it. `None` when the evaluation does not
/// get that far again, or the byte was written another way.
pub(super) fn locate(frame: &Frame<'_>, body: &Value, offset: usize) -> Option<TemplatePosition> {
    let mut output = Output::new(frame, Some(offset));
    match run(frame, body, &mut output) {
        Err(engine) if output.signal.stopped() == Stop::Located => output
            .raw_position()
            .or_else(|| engine_position(frame.options.template, &engine)),
        _ => None,
    }
}

/// One evaluation of the template into `output`; minijinja's error as it comes (the caller
/// reads from `output` whether zonegate stopped it, and why).
fn run(frame: &Frame<'_>, body: &Value, output: &mut Output<'_>) -> Result<(), minijinja::Error> {
    let options = frame.options;
    let zone = frame.zone;
    let signal = Arc::clone(&output.signal);
    let mut environment = minijinja::Environment::new();
    environment.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    environment.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    let formatter_signal = Arc::clone(&signal);
    environment.set_formatter(move |out, state, value| {
        formatter_signal.in_emit.store(true, Ordering::Relaxed);
        let written = minijinja::escape_formatter(out, state, value);
        formatter_signal.in_emit.store(false, Ordering::Relaxed);
        written?;
        // Failing here, right after the write, makes minijinja name this expression.
        formatter_signal.check()
    });
    let range_signal = Arc::clone(&signal);
    environment.add_function(
        "range",
        move |lower: isize, upper: Option<isize>, step: Option<isize>| {
            let inner = minijinja::functions::range(lower, upper, step)?;
            let signal = Arc::clone(&range_signal);
            Ok(Value::make_iterable(move || Checked {
                inner: inner.try_iter().ok(),
                signal: Arc::clone(&signal),
            }))
        },
    );
    environment.add_template(options.template_name, options.template)?;
    // The per-record view costs a copy of the zone, and more fuel: only for templates that
    // use it.
    let iterates_records = environment
        .get_template(options.template_name)?
        .undeclared_variables(false)
        .contains("records");
    let record_fuel = options
        .limits
        .fuel_per_record
        .saturating_mul(zone.records.len() as u64);
    environment.set_fuel(Some(
        options
            .limits
            .fuel
            .saturating_add(if iterates_records { record_fuel } else { 0 }),
    ));
    let template = environment.get_template(options.template_name)?;
    let records = if iterates_records {
        Value::from_object(TemplateRecords {
            zone: Arc::new(zone.clone()),
            serial: frame.serial,
            signal: Arc::clone(&signal),
        })
    } else {
        Value::UNDEFINED
    };
    let (soa, has_soa) = match zone.soa() {
        Some((soa, ttl)) => (
            minijinja::context! {
                ttl => ttl,
                primary => soa.primary.to_string(),
                contact => soa.contact.to_string(),
                refresh => soa.refresh,
                retry => soa.retry,
                expire => soa.expire,
                minimum => soa.minimum,
            },
            true,
        ),
        None => (Value::UNDEFINED, false),
    };
    let context = minijinja::context! {
        origin => zone.origin.to_string(),
        serial => frame.serial,
        default_ttl => options.default_ttl,
        soa => soa,
        has_soa => has_soa,
        record_count => zone.records.len(),
        content_hash => super::hex(frame.content_hash),
        body => body.clone(),
        records => records,
    };
    signal.start(options.limits, zone.records.len());
    template.render_captured_to(context, &mut *output).map(drop)
}

/// The line and column minijinja attached to an error: the start of its span when it has one.
fn engine_position(source: &str, error: &minijinja::Error) -> Option<TemplatePosition> {
    let line = u32::try_from(error.line()?).ok()?;
    let column = error
        .range()
        .and_then(|range| source.get(..range.start))
        .map_or(0, |before| {
            let line_start = before.rfind('\n').map_or(0, |at| at + 1);
            u32::try_from(before.len() - line_start + 1).unwrap_or(0)
        });
    Some(TemplatePosition { line, column })
}

/// Why an evaluation was stopped from outside minijinja.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stop {
    /// It was not.
    No,
    /// The output bound was reached.
    Full,
    /// The deadline passed.
    Time,
    /// The byte [`locate`] asked about was written.
    Located,
    /// The template ran out of a budget on another zone.
    Abandoned,
}

/// What the output, the formatter, `range` and `records` share during one evaluation.
#[derive(Debug)]
struct Signal {
    stop: AtomicU8,
    /// True while the formatter writes an expression's value.
    in_emit: AtomicBool,
    /// The clock and the deadline, once started with a clock.
    deadline: std::sync::OnceLock<(fn() -> Instant, Instant)>,
    /// Calls since the clock was last read: it is read every [`CLOCK_EVERY`] calls.
    calls: AtomicU32,
    /// The run's record of budgets spent, and this zone (see [`RenderOptions::abandon`]).
    abandon: Option<(Arc<Abandon>, Name)>,
}

/// How often the deadline's clock is read, in calls of [`Signal::expired`]: often enough to
/// stop within a few milliseconds of the deadline, rarely enough to cost nothing measurable.
const CLOCK_EVERY: u32 = 64;

impl Signal {
    fn new(abandon: Option<(Arc<Abandon>, Name)>) -> Self {
        Self {
            stop: AtomicU8::new(Stop::No as u8),
            in_emit: AtomicBool::new(false),
            deadline: std::sync::OnceLock::new(),
            calls: AtomicU32::new(0),
            abandon,
        }
    }

    /// Starts the deadline for a zone of `records` records, when there is a clock.
    fn start(&self, limits: TemplateLimits, records: usize) {
        if let Some(clock) = limits.clock
            && let Some(deadline) = clock().checked_add(limits.time_for(records))
        {
            let _ = self.deadline.set((clock, deadline));
        }
    }

    fn stopped(&self) -> Stop {
        match self.stop.load(Ordering::Relaxed) {
            1 => Stop::Full,
            2 => Stop::Time,
            3 => Stop::Located,
            4 => Stop::Abandoned,
            _ => Stop::No,
        }
    }

    fn set(&self, stop: Stop) {
        self.stop.store(stop as u8, Ordering::Relaxed);
    }

    /// True once the deadline has passed (the clock is read every [`CLOCK_EVERY`] calls).
    fn expired(&self) -> bool {
        if matches!(self.stopped(), Stop::Time | Stop::Abandoned) {
            return true;
        }
        if let Some((abandon, origin)) = &self.abandon
            && abandon.stops(origin)
        {
            self.set(Stop::Abandoned);
            return true;
        }
        let Some((clock, deadline)) = self.deadline.get() else {
            return false;
        };
        if !self
            .calls
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(CLOCK_EVERY)
        {
            return false;
        }
        if clock() >= *deadline {
            self.set(Stop::Time);
            return true;
        }
        false
    }

    /// An error once the evaluation must stop (a bound reached, or the byte being located
    /// written), for the formatter to return right after its write.
    fn check(&self) -> Result<(), minijinja::Error> {
        if self.stopped() == Stop::No && !self.expired() {
            return Ok(());
        }
        Err(minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            "zonegate stopped the template",
        ))
    }

    /// The value a `records` or `range` element becomes once the deadline has passed: using it
    /// fails, and the `for` loop it is bound in is where minijinja reports the error.
    fn expired_value() -> Value {
        Value::from(minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            "the template ran past its time budget",
        ))
    }
}

/// The template's output: counted and bounded, collected (or, when locating, only counted),
/// and the deadline checked on every write.
struct Output<'s> {
    text: Vec<u8>,
    written: u64,
    limit: u64,
    /// Stop when the byte at this offset is written (see [`locate`]).
    target: Option<u64>,
    /// The template's source: a write from inside it is literal template text.
    source: &'s str,
    signal: Arc<Signal>,
    /// Where in `source` the write that stopped the evaluation was, when it was literal text.
    raw_stop: Option<usize>,
}

impl<'s> Output<'s> {
    fn new(frame: &Frame<'s>, target: Option<usize>) -> Self {
        // Locating re-evaluates a template that already rendered once: it is not abandoned.
        let abandon = if target.is_none() {
            frame
                .options
                .abandon
                .clone()
                .map(|abandon| (abandon, frame.zone.origin.clone()))
        } else {
            None
        };
        Self {
            text: Vec::new(),
            written: 0,
            limit: frame.output_limit,
            target: target.map(|target| target as u64),
            source: frame.options.template,
            signal: Arc::new(Signal::new(abandon)),
            raw_stop: None,
        }
    }

    /// The template position of the literal text the evaluation stopped in, if it did.
    fn raw_position(&self) -> Option<TemplatePosition> {
        let offset = self.raw_stop?;
        let before = self.source.get(..offset)?;
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |at| at + 1);
        Some(TemplatePosition {
            line: u32::try_from(line).ok()?,
            column: u32::try_from(offset - line_start + 1).ok()?,
        })
    }

    /// Stops at byte `at` of `buffer`: a literal from the template source stops now, with its
    /// place; an expression's value is taken in (and dropped) and the formatter fails after it,
    /// so minijinja names the expression.
    fn stop(&mut self, stop: Stop, buffer: &[u8], at: usize) -> io::Result<usize> {
        self.signal.set(stop);
        let source = self.source.as_bytes().as_ptr_range();
        let inside = source.start <= buffer.as_ptr()
            && buffer.as_ptr_range().end <= source.end
            && !buffer.is_empty();
        if inside && !self.signal.in_emit.load(Ordering::Relaxed) {
            // The buffer lies inside `source`, so this is its offset there.
            self.raw_stop = Some(buffer.as_ptr() as usize - source.start as usize + at);
            return Err(io::Error::other("template output stopped"));
        }
        if self.signal.in_emit.load(Ordering::Relaxed) {
            return Ok(buffer.len());
        }
        Err(io::Error::other("template output stopped"))
    }
}

impl io::Write for Output<'_> {
    fn write(&mut self, buffer: &[u8]) -> io::Result<usize> {
        if self.signal.stopped() != Stop::No {
            // Stopped during an expression: the formatter fails once its value is written.
            return Ok(buffer.len());
        }
        if self.signal.expired() {
            return self.stop(self.signal.stopped(), buffer, 0);
        }
        let end = self.written + buffer.len() as u64;
        if let Some(target) = self.target
            && end > target
        {
            return self.stop(Stop::Located, buffer, (target - self.written) as usize);
        }
        if end > self.limit {
            return self.stop(Stop::Full, buffer, (self.limit - self.written) as usize);
        }
        if self.target.is_none() {
            self.text.extend_from_slice(buffer);
        }
        self.written = end;
        Ok(buffer.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// `range()`'s elements, with the deadline checked.
struct Checked {
    inner: Option<minijinja::value::ValueIter>,
    signal: Arc<Signal>,
}

impl Iterator for Checked {
    type Item = Value;

    fn next(&mut self) -> Option<Value> {
        let value = self.inner.as_mut()?.next()?;
        if self.signal.stopped() != Stop::No || self.signal.expired() {
            self.inner = None;
            return Some(Signal::expired_value());
        }
        Some(value)
    }
}

/// `records` in a custom template: a lazy sequence, so the default template (which uses the
/// pre-rendered `body`) never pays for it. The SOA's data carries the planned serial.
#[derive(Debug)]
struct TemplateRecords {
    zone: Arc<Zone>,
    serial: u32,
    signal: Arc<Signal>,
}

impl Object for TemplateRecords {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let record = self.zone.records.get(key.as_usize()?)?;
        if self.signal.stopped() != Stop::No || self.signal.expired() {
            return Some(Signal::expired_value());
        }
        let mut owner = String::new();
        record.name.write_relative(&self.zone.origin, &mut owner);
        let mut data = String::new();
        write_data(&record.data, self.serial, &mut data);
        Some(minijinja::context! {
            owner => owner,
            name => record.name.to_string(),
            ttl => record.ttl,
            type => record.record_type().as_str(),
            data => data,
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Seq(self.zone.records.len())
    }
}
