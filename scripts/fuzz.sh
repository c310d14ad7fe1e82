#!/usr/bin/env bash
# The long, coverage-guided fuzzing run (libFuzzer through cargo-fuzz) of every target in
# fuzz/fuzz_targets/. `cargo test` runs the same targets bounded (tests/fuzz.rs); this is the
# run whose figures RELIABILITY.md reports.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     default: 600 s, every target
#
# cargo-fuzz works on stable Rust with `--sanitizer none` (every flag it then passes is
# stable); AddressSanitizer needs nightly (`cargo +nightly fuzz run -s address ...`), which adds
# nothing for zonegate's safe Rust. `-a` keeps debug assertions (overflow checks) on.
# Corpora grow in fuzz/corpus/TARGET (not committed; seeded from fuzz/seeds/TARGET); crashes
# land in fuzz/artifacts/TARGET: minimise one with `cargo fuzz tmin TARGET FILE`, fix the bug,
# and commit the input to fuzz/regressions/TARGET/ so every `cargo test` replays it.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-600}"
shift || true
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
  mapfile -t targets < <(cargo fuzz list)
fi

cargo fuzz build -s none -a
for target in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$target"
  echo "== $target: ${seconds}s"
  cargo fuzz run -s none -a "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
    -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=20 -max_len=65536 \
    -print_final_stats=1 2>&1 | tee "fuzz/$target.log" | grep -E "^(#[0-9]+ *(DONE|INITED)|stat::|==|INFO: (Loaded|seed))" || true
  echo "corpus: $(find "fuzz/corpus/$target" -type f | wc -l) inputs"
  if [ -d "fuzz/artifacts/$target" ] && [ -n "$(ls -A "fuzz/artifacts/$target")" ]; then
    echo "CRASHES in fuzz/artifacts/$target:"; ls "fuzz/artifacts/$target"
  fi
done
