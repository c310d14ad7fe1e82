//! The binary's memory budget: a global allocator that counts the bytes held on the heap and
//! stops the process with a clear error (exit 2) before it would pass the budget.
//!
//! Every input has its own bound (YAML files and serde-saphyr's budget, CSV line and JSON
//! export sizes, template fuel), but a zone template can still build a huge value in a few
//! steps (`{% set s = s ~ s %}` thirty times is 2^30 copies) without using much fuel, and
//! minijinja has no limit on value sizes. A pull request must not be able to exhaust the
//! memory of the CI runner or the bot's host, so the whole process has one: 4 GiB by default
//! (a million-host repository needs a few hundred MiB), `ZONEGATE_MEMORY_LIMIT=MiB` to change
//! it, `0` for none.
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

/// Sets the budget from `ZONEGATE_MEMORY_LIMIT` (MiB; `0` for none), or the default.
pub(crate) fn set_budget_from_environment() {
    let mebibytes = std::env::var("ZONEGATE_MEMORY_LIMIT")
        .ok()
        .and_then(|value| value.trim().parse::<usize>().ok())
        .unwrap_or(DEFAULT_MIB);
    let bytes = if mebibytes == 0 {
        usize::MAX
    } else {
        mebibytes.saturating_mul(1 << 20)
    };
    BUDGET.store(bytes, Ordering::Relaxed);
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
        reserve(layout.size());
        // SAFETY: forwarded as received.
        let pointer = unsafe { System.alloc(layout) };
        if pointer.is_null() {
            release(layout.size());
        }
        pointer
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        reserve(layout.size());
        // SAFETY: forwarded as received.
        let pointer = unsafe { System.alloc_zeroed(layout) };
        if pointer.is_null() {
            release(layout.size());
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        // SAFETY: forwarded as received.
        unsafe { System.dealloc(pointer, layout) };
        release(layout.size());
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old_size = layout.size();
        if new_size > old_size {
            reserve(new_size - old_size);
        }
        // SAFETY: forwarded as received.
        let moved = unsafe { System.realloc(pointer, layout, new_size) };
        if moved.is_null() {
            if new_size > old_size {
                release(new_size - old_size);
            }
        } else if new_size < old_size {
            release(old_size - new_size);
        }
        moved
    }
}
