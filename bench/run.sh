#!/usr/bin/env bash
# Whole-process benchmarks of zonegate beside its peers, measured in the same run.
#
#   bench/run.sh [--scales "10000 100000 1000000"] [--runs 5] [--hosts 1000000] [--no-octodns]
#
# For each scale (total records, gen_zone.py --records) it generates the estate, turns it into a
# zones repository (bench/prepare.py) and measures, as medians of --runs runs (hyperfine):
#   - zonegate render (import + generate + check + render + atomic write) into an empty directory
#   - zonegate render again with nothing changed (the no-op a cron job mostly does)
#   - zonegate check alone
#   - kzonecheck, named-checkzone and nsd-checkzone reading zonegate's output
#   - render and kzonecheck again, turn about (--runs pairs), for a ratio that machine drift
#     between two hyperfine blocks cannot move
#   - octoDNS sync writing the same zones (10k and 100k only; it takes minutes beyond)
#   - zonegate test: in-memory assertions, and the same assertions against BIND on loopback
#   - zonegate diff of two revisions that differ in 1% of hosts
# plus peak RSS of each zonegate command (GNU time). --hosts adds a render/check run of an estate
# with that many hosts (bench/gen_hosts.py; about five records each).
#
# Results: target/bench/results.md (a table with the ratios) and the raw hyperfine JSON beside
# it. Needs: python3, hyperfine, GNU time, kzonecheck (knot-dnssecutils), named-checkzone
# (bind9-utils), nsd-checkzone (nsd), named (bind9); octoDNS is installed into a venv.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

scales="10000 100000 1000000"
runs=5
hosts=""
octodns=1
while [ $# -gt 0 ]; do
  case "$1" in
    --scales) scales="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --hosts) hosts="$2"; shift 2 ;;
    --no-octodns) octodns=0; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

work="$root/target/bench"
mkdir -p "$work"
results="$work/results.md"
generator="$root/../shared/bench/gen_zone.py"
[ -f "$generator" ] || generator="${GEN_ZONE:?set GEN_ZONE to the path of gen_zone.py}"

cargo build --release --locked --quiet
zonegate="$root/target/release/zonegate"

if [ "$octodns" = 1 ] && [ ! -x "$work/octodns-venv/bin/octodns-sync" ]; then
  python3 -m venv "$work/octodns-venv"
  "$work/octodns-venv/bin/pip" install --quiet octodns octodns-bind
fi

# median_seconds NAME COMMAND...: runs hyperfine, prints the median in seconds.
median_seconds() {
  local name="$1"; shift
  hyperfine --style none --runs "$runs" --warmup 1 --export-json "$work/$name.json" "$@" >/dev/null 2>&1
  python3 -c "import json,sys; print('%.3f' % json.load(open(sys.argv[1]))['results'][0]['median'])" "$work/$name.json"
}

# median_seconds_prepared NAME PREPARE COMMAND
median_seconds_prepared() {
  local name="$1" prepare="$2" command="$3"
  hyperfine --style none --runs "$runs" --warmup 1 --prepare "$prepare" --export-json "$work/$name.json" "$command" >/dev/null 2>&1
  python3 -c "import json,sys; print('%.3f' % json.load(open(sys.argv[1]))['results'][0]['median'])" "$work/$name.json"
}

# peak_mib COMMAND...: peak resident set size of one run, in MiB.
peak_mib() {
  /usr/bin/time -f "%M" -o "$work/peak-kib" "$@" >/dev/null 2>&1
  echo $(( $(tail -n 1 "$work/peak-kib") / 1024 ))
}

ratio() { python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }

# interleaved_ratio OUT RENDER_COMMAND CHECK_COMMAND: the two commands run turn about ($runs
# pairs after one warm-up pair), so both see the same moment of a shared machine; prints the
# median of the per-pair ratios.
interleaved_ratio() {
  python3 - "$runs" "$@" <<'PY'
import shutil, statistics, subprocess, sys, time
runs, out, render, check = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
def timed(command):
    start = time.perf_counter()
    subprocess.run(command, shell=True, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start
ratios = []
for turn in range(runs + 1):
    shutil.rmtree(out, ignore_errors=True)
    pair = timed(render) / timed(check)
    if turn > 0:
        ratios.append(pair)
print("%.2f" % statistics.median(ratios))
PY
}

{
  echo "# zonegate benchmark results"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo);"
  echo "zonegate $($zonegate --version | awk '{print $2}'), $(kzonecheck --version 2>&1 | head -n 1),"
  echo "$(named -v 2>&1 | awk '{print $1, $2}'), NSD $(nsd -v 2>&1 | head -n 1 | awk '{print $3}'). Medians of $runs runs."
  echo
  echo "| records | render (empty out/) | render (no change) | check | peak RSS render | kzonecheck | named-checkzone | nsd-checkzone | render+check / kzonecheck | the same, interleaved | octoDNS sync | octoDNS / zonegate |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
} > "$results"

for records in $scales; do
  data="$work/data-$records"
  if [ ! -f "$data/repo/zones/zonegate.yaml" ]; then
    mkdir -p "$data"
    octo_args=()
    [ "$records" -le 100000 ] && octo_args=(--octodns "$data/octodns")
    python3 "$generator" --records "$records" --out "$data/reference" --cmdb "$data/servers.csv" \
      --queries "$data/queries.txt" --query-count 100000 "${octo_args[@]}" >/dev/null
    python3 bench/prepare.py --reference "$data/reference" --cmdb "$data/servers.csv" --repo "$data/repo" >/dev/null
  fi
  repo="$data/repo"
  out="$data/out"

  render=$(median_seconds_prepared "render-$records" "rm -rf $out" "$zonegate --repo $repo render -q --output $out")
  "$zonegate" --repo "$repo" render -q --output "$out"
  noop=$(median_seconds "noop-$records" "$zonegate --repo $repo render -q --output $out")
  check=$(median_seconds "check-$records" "$zonegate --repo $repo check --format json")
  rm -rf "$out"
  peak=$(peak_mib "$zonegate" --repo "$repo" render -q --output "$out")

  zones=(example.net. 10.in-addr.arpa. 8.b.d.0.1.0.0.2.ip6.arpa.)
  read_all() { # read_all TOOL: a shell command checking every zone of $out with TOOL
    local tool="$1" command=""
    for zone in "${zones[@]}"; do
      case "$tool" in
        kzonecheck) command+="kzonecheck -o $zone $out/${zone%.}.zone && " ;;
        named-checkzone) command+="named-checkzone -q -o /dev/null $zone $out/${zone%.}.zone && " ;;
        nsd-checkzone) command+="nsd-checkzone $zone $out/${zone%.}.zone >/dev/null && " ;;
      esac
    done
    echo "${command}true"
  }
  knot=$(median_seconds "kzonecheck-$records" "$(read_all kzonecheck)")
  paired=$(interleaved_ratio "$out" "$zonegate --repo $repo render -q --output $out" "$(read_all kzonecheck)")
  bind=$(median_seconds "named-checkzone-$records" "$(read_all named-checkzone)")
  nsd=$(median_seconds "nsd-checkzone-$records" "$(read_all nsd-checkzone)")

  octo="-"; octo_ratio="-"
  if [ "$octodns" = 1 ] && [ -d "$data/octodns" ]; then
    octo=$(cd "$data/octodns" && median_seconds_prepared "octodns-$records" "rm -rf out && mkdir out" \
      "$work/octodns-venv/bin/octodns-sync --config-file octodns.yaml --doit")
    octo_ratio="$(ratio "$octo" "$render")x"
  fi

  echo "| $records | ${render} s | ${noop} s | ${check} s | ${peak} MiB | ${knot} s | ${bind} s | ${nsd} s | $(ratio "$render" "$knot") | ${paired} | ${octo} s | ${octo_ratio} |" >> "$results"
done

# Assertions and diff at the largest scale.
largest="${scales##* }"
data="$work/data-$largest"
repo="$data/repo"
out="$data/out"
"$zonegate" --repo "$repo" render -q --output "$out"

# 100,000 assertions from gen_zone.py's query mix: every name it asks for must answer (at least
# one record of the type), and its `nohost...` names must be NXDOMAIN.
# Ten thousand to a file: zonegate reads at most 250,000 YAML values from one file.
rm -rf "$repo/assertions"; mkdir -p "$repo/assertions"
python3 - "$data/queries.txt" "$repo/assertions" <<'PY'
import sys
with open(sys.argv[1]) as queries:
    lines = queries.read().split("\n")
lines = [line for line in lines if line.strip()]
for start in range(0, len(lines), 10000):
    with open(f"{sys.argv[2]}/bench-{start // 10000:03}.yaml", "w") as out:
        for number, line in enumerate(lines[start:start + 10000], start):
            name, rtype = line.split()
            if name.startswith("nohost"):
                out.write(f"- {{ it: q{number}, query: {name}, type: {rtype}, expect: nxdomain }}\n")
            else:
                out.write(f"- {{ it: q{number}, query: {name}, type: {rtype}, expect: {{ at_least: 1 }} }}\n")
PY
assertion_count=$(cat "$repo"/assertions/bench-*.yaml | wc -l)
memory=$(median_seconds "test-memory-$largest" "$zonegate --repo $repo test -q")
memory_peak=$(peak_mib "$zonegate" --repo "$repo" test -q)

# The same assertions through the live backend, against BIND on loopback serving the output.
bind_dir=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
{
  echo "options { directory \"$bind_dir\"; listen-on port $port { 127.0.0.1; }; listen-on-v6 { none; };"
  # gen_zone.py's estate has SRV sets of more than 100 records, which BIND 9.18.28 and later
  # refuse by default (zonegate's rrset-too-large; bench/prepare.py makes it a warning).
  echo "  pid-file \"$bind_dir/named.pid\"; recursion no; notify no; dnssec-validation no;"
  echo "  max-records-per-type 0; };"
  for zone in example.net. 10.in-addr.arpa. 8.b.d.0.1.0.0.2.ip6.arpa.; do
    echo "zone \"$zone\" { type primary; file \"$out/${zone%.}.zone\"; };"
  done
} > "$bind_dir/named.conf"
named -g -c "$bind_dir/named.conf" > "$bind_dir/named.log" 2>&1 &
named_pid=$!
trap 'kill "$named_pid" 2>/dev/null || true; rm -rf "$bind_dir"' EXIT
for zone in example.net. 10.in-addr.arpa. 8.b.d.0.1.0.0.2.ip6.arpa.; do
  for _ in $(seq 1 600); do
    dig +short +time=1 +tries=1 -p "$port" @127.0.0.1 SOA "$zone" 2>/dev/null | grep -q . && break
    sleep 0.5
  done
done
live=$(median_seconds "test-live-$largest" "$zonegate --repo $repo test -q --server 127.0.0.1:$port")
kill "$named_pid"; wait "$named_pid" 2>/dev/null || true

# diff of two revisions that differ in 1% of hosts (every hundredth in-use host decommissioned).
git_repo="$data/git"
if [ ! -d "$git_repo/.git" ]; then
  rm -rf "$git_repo"; mkdir -p "$git_repo"
  cp -r "$repo/zones" "$git_repo/"
  git -C "$git_repo" init -q
  git -C "$git_repo" add zones
  git -C "$git_repo" -c user.name=bench -c user.email=bench@localhost commit -qm base
  python3 - "$git_repo/zones/cmdb/servers.csv" <<'PY'
import csv, sys
path = sys.argv[1]
with open(path, newline="") as f:
    rows = list(csv.reader(f))
status = rows[0].index("status")
seen = 0
for row in rows[1:]:
    if row[status] == "in_use":
        seen += 1
        if seen % 100 == 0:
            row[status] = "decommissioned"
with open(path, "w", newline="") as f:
    csv.writer(f, lineterminator="\n").writerows(rows)
PY
  git -C "$git_repo" -c user.name=bench -c user.email=bench@localhost commit -qam "1% of hosts decommissioned"
fi
diff_time=$(median_seconds "diff-$largest" "$zonegate --repo $git_repo diff --base HEAD~1 --head HEAD --format json")
diff_peak=$(peak_mib "$zonegate" --repo "$git_repo" diff --base HEAD~1 --head HEAD --format json)

{
  echo
  echo "| at $largest records | time | peak RSS | rate |"
  echo "|---|---:|---:|---:|"
  echo "| zonegate test, $assertion_count assertions in memory (whole process: load, build, check, assert) | ${memory} s | ${memory_peak} MiB | - |"
  echo "| zonegate test --server, the same against BIND on loopback | ${live} s | - | $(python3 -c "import sys; print('%.0f queries/s' % (int(sys.argv[1]) / float(sys.argv[2])))" "$assertion_count" "$live") |"
  echo "| zonegate diff, two revisions 1% of hosts apart (both built from git objects) | ${diff_time} s | ${diff_peak} MiB | - |"
} >> "$results"

if [ -n "$hosts" ]; then
  data="$work/hosts-$hosts"
  [ -f "$data/repo/zones/zonegate.yaml" ] || python3 bench/gen_hosts.py --hosts "$hosts" --repo "$data/repo" >/dev/null
  render=$(median_seconds_prepared "render-hosts-$hosts" "rm -rf $data/out" "$zonegate --repo $data/repo render -q --output $data/out")
  rm -rf "$data/out"
  peak=$(peak_mib "$zonegate" --repo "$data/repo" render -q --output "$data/out")
  records=$(python3 -c "import json,sys; print(sum(z['records'] for z in json.load(open(sys.argv[1]))['zones']))" "$data/out/manifest.json")
  {
    echo
    echo "| hosts | records | render (empty out/) | peak RSS |"
    echo "|---:|---:|---:|---:|"
    echo "| $hosts | $records | ${render} s | ${peak} MiB |"
  } >> "$results"
fi

cat "$results"
