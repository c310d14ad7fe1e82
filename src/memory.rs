//! The binary's memory budget: a global allocator that counts the bytes held on the heap and
//! stops the process with a clear error (exit 2) before it would pass the budget.
//!
//! Every input has its own bound (YAML files and serde-saphyr's budget, CSV line and JSON
//! export sizes, template fuel), but a zone template can still build a huge value in a few
//! steps (`{% set s = s ~ s %}` thirty times is 2^30 copies) without using much fuel, and
//! minijinja has no limit on value sizes. A pull request must not be able to exhaust the
//! memory of the CI runner or the bot's host, so the whole process has one: 4 GiB by default
//! (a million-host repository needs a few hundred MiB), `ZONEGATE_MEMORY_LIMIT=MiB` to change
//! it, `0` for none. Any other value stops the process before it starts (exit 2): a budget
//! that was meant and silently not applied is no budget.
//!
//! What is counted is what the C allocator holds for each allocation, not the bytes asked for
//! ([`footprint`]): glibc's malloc gives every request at least 32 bytes and rounds it up to
//! 16, so a CMDB export whose roles cells held half a million one-letter roles per row was
//! counted at half its real size and reached 1 GiB of resident memory under a 512 MiB budget.
//!
//! Stopping is `_exit(2)` without unwinding: the heap is what ran out, and nothing zonegate
//! writes depends on destructors (output is swapped in whole or not at all; a staging
//! directory left behind is removed by the next run).
#![allow(unsafe_code)] // A global allocator is unsafe by definition; it only forwards to System.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};

/// Bytes held on the heap now, less what threads have not settled yet (so it can dip below
/// zero for a moment, when one thread frees what another allocated).
static HELD: AtomicIsize = AtomicIsize::new(0);

/// The most bytes the process may hold; `usize::MAX` until [`set_budget`].
static BUDGET: AtomicUsize = AtomicUsize::new(usize::MAX);

/// The default budget in MiB.
pub(crate) const DEFAULT_MIB: usize = 4096;

/// The allocator: [`System`], counted.
pub(crate) struct Budgeted;

/// The variable that sets the budget.
pub(crate) const VARIABLE: &str = "ZONEGATE_MEMORY_LIMIT";

/// Sets the budget from `ZONEGATE_MEMORY_LIMIT` (MiB; `0` for none), or the default when it is
/// not set; a value that is not a budget is refused with what was expected, and no budget is
/// set.
pub(crate) fn set_budget_from_environment() -> Result<(), String> {
    let bytes = budget_bytes(std::env::var_os(VARIABLE).as_deref())?;
    BUDGET.store(bytes, Ordering::Relaxed);
    Ok(())
}

/// The budget in bytes that `value` of [`VARIABLE`] asks for (`usize::MAX` for none).
fn budget_bytes(value: Option<&std::ffi::OsStr>) -> Result<usize, String> {
    let Some(value) = value else {
        return Ok(DEFAULT_MIB << 20);
    };
    let expected = "expected a whole number of MiB such as 4096 (the default), or 0 for no limit";
    let Some(text) = value.to_str() else {
        return Err(format!("{VARIABLE} is not valid UTF-8; {expected}"));
    };
    // Digits only: `parse::<usize>` would also take a leading `+`.
    let digits = text.trim();
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(format!("{VARIABLE}=`{text}` is not a budget; {expected}"));
    }
    match digits.parse::<usize>() {
        Ok(0) => Ok(usize::MAX),
        Ok(mebibytes) if mebibytes <= usize::MAX >> 20 => Ok(mebibytes << 20),
        _ => Err(format!(
            "{VARIABLE}={digits} is more memory than this machine can address; {expected}"
        )),
    }
}

/// The bytes glibc's malloc holds for an allocation of `layout`, which is what the process's
/// resident memory grows by: a chunk has an 8-byte header, is a multiple of 16 bytes and at
/// least 32 (`request2size` in malloc.c); a request of 128 KiB or more is its own mapping,
/// whole pages with a 16-byte header; an alignment above 16 may cost up to that much again
/// (`posix_memalign` carves the chunk out of a larger one). Counting `layout.size()` instead
/// let a million one-byte strings count as 1 MB while they held 32 MB.
const fn footprint(layout: Layout) -> usize {
    const MMAP_THRESHOLD: usize = 128 << 10;
    const PAGE: usize = 4096;
    let size = layout.size();
    let chunk = if size >= MMAP_THRESHOLD {
        size.saturating_add(16 + PAGE - 1) & !(PAGE - 1)
    } else {
        let rounded = (size + 8 + 15) & !15;
        if rounded < 32 { 32 } else { rounded }
    };
    if layout.align() > 16 {
        chunk.saturating_add(layout.align())
    } else {
        chunk
    }
}

/// Bytes a thread may allocate or free before it settles with [`HELD`]. Every allocation
/// touching one shared counter would make both cores fight over its cache line in the
/// parallel phases (a million-record render allocates millions of times); batching keeps the
/// count within this much per thread of the truth, which is nothing against a budget of GiBs.
const BATCH: isize = 1 << 20;

std::thread_local! {
    /// This thread's bytes not yet settled with [`HELD`] (negative when it freed more).
    /// Const-initialised and without a destructor, so reading it never allocates.
    static UNSETTLED: std::cell::Cell<isize> = const { std::cell::Cell::new(0) };
}

/// Adds `delta` bytes to this thread's count, settling with [`HELD`] once it passes
/// [`BATCH`] either way; stops the process when a settlement passes the budget.
fn count(delta: isize) {
    let settle = UNSETTLED
        .try_with(|unsettled| {
            // Saturating: a request near isize::MAX must reach the budget check, not wrap.
            let total = unsettled.get().saturating_add(delta);
            if total.abs() < BATCH {
                unsettled.set(total);
                0
            } else {
                unsettled.set(0);
                total
            }
        })
        .unwrap_or(delta);
    if settle != 0 {
        let held = HELD
            .fetch_add(settle, Ordering::Relaxed)
            .saturating_add(settle);
        if settle > 0 && held > 0 && held.unsigned_abs() > BUDGET.load(Ordering::Relaxed) {
            over_budget();
        }
    }
}

/// Counts `size` more bytes, or stops the process when that would pass the budget.
fn reserve(size: usize) {
    count(isize::try_from(size).unwrap_or(isize::MAX));
}

fn release(size: usize) {
    count(-isize::try_from(size).unwrap_or(isize::MAX));
}

/// Reports and exits, allocating nothing: the heap is what ran out.
fn over_budget() -> ! {
    const MESSAGE: &[u8] = b"error: zonegate stopped before using more memory than its budget \
(ZONEGATE_MEMORY_LIMIT, in MiB; 4096 by default): an input or the zone template needs too much; \
nothing was written\n";
    // SAFETY: writing a static buffer to file descriptor 2 and exiting without running any
    // more Rust code are both async-signal-safe and need no heap.
    unsafe {
        libc::write(2, MESSAGE.as_ptr().cast(), MESSAGE.len());
        libc::_exit(2)
    }
}

// SAFETY: every method forwards to `System` with the same arguments; the counting around the
// calls touches only atomics.
unsafe impl GlobalAlloc for Budgeted {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let held = footprint(layout);
        reserve(held);
        // SAFETY: forwarded as received.
        let pointer = unsafe { System.alloc(layout) };
        if pointer.is_null() {
            release(held);
        }
        pointer
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let held = footprint(layout);
        reserve(held);
        // SAFETY: forwarded as received.
        let pointer = unsafe { System.alloc_zeroed(layout) };
        if pointer.is_null() {
            release(held);
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        // SAFETY: forwarded as received.
        unsafe { System.dealloc(pointer, layout) };
        release(footprint(layout));
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old_held = footprint(layout);
        // SAFETY: `realloc`'s contract makes `new_size` with the old alignment a valid layout
        // (non-zero, not overflowing `isize` when rounded up to the alignment).
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        let new_held = footprint(new_layout);
        if new_held > old_held {
            reserve(new_held - old_held);
        }
        // SAFETY: forwarded as received.
        let moved = unsafe { System.realloc(pointer, layout, new_size) };
        if moved.is_null() {
            if new_held > old_held {
                release(new_held - old_held);
            }
        } else if new_held < old_held {
            release(old_held - new_held);
        }
        moved
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt as _;

    #[test]
    fn the_budget_is_a_whole_number_of_mebibytes_or_zero_for_none() {
        assert_eq!(budget_bytes(None), Ok(4096 << 20));
        assert_eq!(budget_bytes(Some(OsStr::new("512"))), Ok(512 << 20));
        assert_eq!(budget_bytes(Some(OsStr::new(" 64\n"))), Ok(64 << 20));
        assert_eq!(budget_bytes(Some(OsStr::new("0"))), Ok(usize::MAX));
    }

    // Security review: every one of these was silently ignored, leaving the default budget.
    #[test]
    fn a_value_that_is_not_a_budget_says_what_was_expected() {
        for value in ["abc", "-1", "+5", "1.5", "512M", "", " "] {
            assert_eq!(
                budget_bytes(Some(OsStr::new(value))),
                Err(format!(
                    "ZONEGATE_MEMORY_LIMIT=`{value}` is not a budget; expected a whole number of MiB such as 4096 (the default), or 0 for no limit"
                )),
                "{value:?}"
            );
        }
        for too_large in ["99999999999999", "99999999999999999999999"] {
            assert_eq!(
                budget_bytes(Some(OsStr::new(too_large))),
                Err(format!(
                    "ZONEGATE_MEMORY_LIMIT={too_large} is more memory than this machine can address; expected a whole number of MiB such as 4096 (the default), or 0 for no limit"
                )),
            );
        }
        assert!(
            budget_bytes(Some(OsStr::from_bytes(b"\xff")))
                .unwrap_err()
                .starts_with("ZONEGATE_MEMORY_LIMIT is not valid UTF-8")
        );
    }

    #[test]
    fn footprints_are_what_malloc_holds() {
        let of = |size, align| footprint(Layout::from_size_align(size, align).unwrap());
        assert_eq!(of(0, 1), 32);
        assert_eq!(of(1, 1), 32);
        assert_eq!(of(24, 8), 32);
        assert_eq!(of(25, 8), 48);
        assert_eq!(of(1000, 8), 1008);
        assert_eq!(of(128 << 10, 8), (128 << 10) + 4096);
        assert_eq!(of(64, 64), 80 + 64);
    }
}
