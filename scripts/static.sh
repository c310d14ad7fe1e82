#!/usr/bin/env bash
# The static Linux binary the release ships, built and checked on this machine: a release build
# with `-C target-feature=+crt-static` for x86_64-unknown-linux-gnu (for its own target, so
# the flag reaches zonegate and not the build scripts and proc macros), then tests/static_binary.rs
# (file says it is statically linked, it renders and tests the example, the FROM scratch image
# runs it). Installs file, podman and runc with apt-get when they are missing. Prints the
# binary's path last; CI reuses the binary for the README's main job.
set -euo pipefail
cd "$(dirname "$0")/.."

target=x86_64-unknown-linux-gnu
missing=()
for tool in file podman runc; do
  command -v "$tool" > /dev/null || missing+=("$tool")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
fi

RUSTFLAGS="-C target-feature=+crt-static" cargo build --release --locked --target "$target" >&2
target_directory="${CARGO_TARGET_DIR:-target}"
case "$target_directory" in
  /*) ;;
  *) target_directory="$(pwd)/$target_directory" ;;
esac
binary="$target_directory/$target/release/zonegate"
ZONEGATE_STATIC_BINARY="$binary" cargo test --locked --test static_binary -- --ignored >&2
echo "$binary"
