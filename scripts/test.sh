#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs the DNS servers the integration tests
# load zones into (BIND, Knot, NSD and their checkers), then runs every test (or those the
# cargo test arguments given select).
#
# `scripts/test.sh --insta` (what .ci/run runs) runs the whole suite through cargo-insta, which
# also fails on a snapshot file that no test reads any more; only a whole run can tell those.
set -euo pipefail
cd "$(dirname "$0")/.."

# e2fsprogs: chattr, with which the deploy tests make a directory unwritable even for root.
# git: the README's post-receive hook (git archive), which the bot tests run after a merge, and
# git verify-commit; openssh-client: ssh-keygen, which signs and checks local-forge reviews.
# curl and jq: the gate action's scripts, which tests/gate_workflow.rs runs (as GitHub's runners
# have them). python3-junitparser: tests/test_command.rs reads the JUnit reports with the library
# CI reporters build on.
packages=(bind9 bind9-utils bind9-dnsutils knot knot-dnsutils knot-dnssecutils nsd e2fsprogs git openssh-client
  curl jq python3-junitparser)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "${1:-}" = --insta ]; then
  if ! cargo insta --version >/dev/null 2>&1; then
    echo "scripts/test.sh --insta needs cargo-insta: cargo install --locked cargo-insta --version 1.49.0" >&2
    exit 2
  fi
  # No --locked here (cargo-insta would hand it to the test binaries): .ci/run's clippy step
  # checked Cargo.lock with --locked before.
  cargo insta test --check --unreferenced reject
else
  cargo test --locked "$@"
fi
