#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs the DNS servers the integration tests
# load zones into (BIND, Knot, NSD and their checkers), then runs every test.
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

cargo test --locked "$@"
