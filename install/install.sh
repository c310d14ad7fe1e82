#!/usr/bin/env bash
# Installs zonegate as plan.sh decided and puts it on PATH: from the cache when the cached
# binary is intact, else the release archive (its SHA-256 checked against the release's
# SHA256SUMS: a mismatch stops the job, nothing is installed), else, when the release has no
# archive for this runner or cannot be downloaded, a build of the action's own source.
#
# Environment: the plan (VERSION, TARGET, MODE, DIRECTORY, DOWNLOAD_URL, SOURCE), CACHE_HIT
# (actions/cache's cache-hit output), and the runner's RUNNER_TEMP, GITHUB_PATH.
set -euo pipefail

binary="$DIRECTORY/bin/zonegate"

# The cached directory holds the binary and its checksum, written when it was installed.
intact() {
  [ -x "$binary" ] && [ -f "$DIRECTORY/zonegate.sha256" ] &&
    (cd "$DIRECTORY" && sha256sum --check --status zonegate.sha256)
}

# Downloads URL into FILE, failing on any HTTP error; transient failures are retried, and no
# transfer waits more than two minutes.
fetch() {
  curl --fail --silent --show-error --location --retry 3 --retry-connrefused \
    --connect-timeout 10 --max-time 120 --output "$2" "$1"
}

# Downloads the release's SHA256SUMS and archive into WORK. Returns 1 when either cannot be
# downloaded (no release of this version, none for this target, or the network failed after
# retries): the caller builds instead.
download() {
  local base="${DOWNLOAD_URL%/}/v$VERSION"
  if fetch "$base/SHA256SUMS" "$work/SHA256SUMS" && fetch "$base/$archive" "$work/$archive"; then
    echo "downloaded $base/$archive"
  else
    echo "::warning title=zonegate::no zonegate $VERSION release archive for $TARGET at $base; building it from source instead"
    return 1
  fi
}

# Checks the downloaded archive against SHA256SUMS and installs its binary; a mismatch stops
# the job with nothing installed. (Called outside any condition, so `set -e` holds in it.)
verify_and_install() {
  local expected actual
  expected="$(awk -v file="$archive" '$2 == file || $2 == "*" file { print $1 }' "$work/SHA256SUMS")"
  actual="$(sha256sum "$work/$archive" | cut -d ' ' -f 1)"
  if [ -z "$expected" ]; then
    echo "::error title=zonegate::the SHA256SUMS of zonegate $VERSION lists no $archive; nothing installed"
    exit 1
  fi
  if [ "$expected" != "$actual" ]; then
    echo "::error title=zonegate::$archive has SHA-256 $actual, but SHA256SUMS says $expected; nothing installed"
    exit 1
  fi
  tar -xzf "$work/$archive" -C "$work"
  install -m 0755 "$work/${archive%.tar.gz}/zonegate" "$binary"
  echo "zonegate $VERSION for $TARGET, SHA-256 $actual as SHA256SUMS says"
}

build() {
  if ! command -v cargo > /dev/null; then
    echo "::error title=zonegate::building zonegate $VERSION needs cargo, and this runner has none: install Rust first (dtolnay/rust-toolchain), or run on Linux x86_64 or ARM64, which have releases"
    exit 1
  fi
  echo "building zonegate $VERSION from $SOURCE"
  cargo install --locked --quiet --path "$SOURCE" --root "$DIRECTORY" \
    --target-dir "${RUNNER_TEMP:-/tmp}/zonegate-target"
}

if [ "${CACHE_HIT:-}" = "true" ] && intact; then
  echo "zonegate $VERSION restored from the cache ($DIRECTORY), its SHA-256 as installed"
else
  rm -rf "$DIRECTORY"
  mkdir -p "$DIRECTORY/bin"
  archive="zonegate-$VERSION-$TARGET.tar.gz"
  work="$(mktemp -d "${RUNNER_TEMP:-/tmp}/zonegate-download.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  if [ "$MODE" = "release" ] && download; then
    verify_and_install
  else
    build
  fi
  (cd "$DIRECTORY" && sha256sum bin/zonegate > zonegate.sha256)
fi
"$binary" --version
echo "$DIRECTORY/bin" >> "${GITHUB_PATH:?}"
