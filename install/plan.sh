#!/usr/bin/env bash
# Decides how the install step gets zonegate, before the cache is looked up: the release of the
# version in this action's Cargo.toml for this runner, or (from-source, or a runner no release
# is built for) a build of this action's own source. Writes the plan as step outputs: version,
# target (the release's target triple; empty when building), mode (release or source), directory
# (where zonegate is installed and cached) and cache-key.
#
# Environment: SOURCE (zonegate's source: the action's checkout), FROM_SOURCE ("true" to build),
# DOWNLOAD_URL (releases base URL; empty: the repository's GitHub releases), and the runner's
# RUNNER_OS, RUNNER_ARCH, RUNNER_TOOL_CACHE, RUNNER_TEMP, GITHUB_OUTPUT.
set -euo pipefail

source_directory="$(cd "${SOURCE:?}" && pwd)"
manifest="$source_directory/Cargo.toml"
# The [package] table comes first in Cargo.toml: its version and repository are the first ones.
version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$manifest" | head -n 1)"
repository="$(sed -n 's/^repository = "\(.*\)"$/\1/p' "$manifest" | head -n 1)"
if [ -z "$version" ]; then
  echo "::error title=zonegate::no version in $manifest" >&2
  exit 1
fi

target=""
case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
  Linux/X64) target="x86_64-unknown-linux-gnu" ;;
  Linux/ARM64) target="aarch64-unknown-linux-gnu" ;;
esac

mode="release"
if [ "${FROM_SOURCE:-false}" = "true" ] || [ -z "$target" ]; then
  mode="source"
fi

cache_root="${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:?}}/zonegate"
if [ "$mode" = "release" ]; then
  directory="$cache_root/$version/$target"
  key="zonegate-$version-$target"
else
  # A build is only as good as its source: the key names the exact files it was built from.
  source_hash="$(
    cd "$source_directory" &&
      find Cargo.toml Cargo.lock build.rs src -type f -print0 | LC_ALL=C sort -z |
      xargs -0 sha256sum | sha256sum | cut -c1-16
  )"
  directory="$cache_root/$version/source-$source_hash"
  key="zonegate-$version-source-${RUNNER_OS:-unknown}-${RUNNER_ARCH:-unknown}-$source_hash"
fi

download_url="${DOWNLOAD_URL:-}"
if [ -z "$download_url" ] && [ -n "$repository" ]; then
  download_url="${repository%/}/releases/download"
fi

{
  echo "version=$version"
  echo "target=$target"
  echo "mode=$mode"
  echo "directory=$directory"
  echo "cache-key=$key"
  echo "download-url=$download_url"
  echo "source=$source_directory"
} >> "${GITHUB_OUTPUT:?}"
echo "zonegate $version: $mode${target:+ for $target}, cached as $key"
