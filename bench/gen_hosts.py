#!/usr/bin/env python3
"""Writes a zones repository with N hosts, for the million-host benchmark.

gen_zone.py sizes its estate by records and gives each datacenter one /16, which caps it near
200,000 hosts; this writes the same shape (4 datacenters, 120 services, IPv4 and IPv6, a second
role on 30% of hosts, 6% spare, 2% decommissioned) at any size, with a /10 of IPv4 per
datacenter.

    python3 bench/gen_hosts.py --hosts 1000000 --repo REPO

Standard library only; deterministic for a given --hosts and --seed.
"""
import argparse
import os
import random

DCS = ["ash", "gew", "lon", "sto"]
BASES = [
    "playlist", "metadata", "search", "user", "auth", "login", "payment", "ads",
    "social", "radio", "discovery", "recs", "lyrics", "podcast", "artist", "album",
    "track", "image", "cdn", "storage", "queue", "event", "log", "metrics",
    "config", "session", "notify", "email", "sms", "partner", "billing", "catalog",
    "license", "geo", "ingest", "transcode", "cache", "proxy", "gateway", "collection",
]
SERVICES = [base + suffix for base in BASES for suffix in ("", "-api", "-worker")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hosts", type=int, required=True)
    parser.add_argument("--repo", required=True)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    rnd = random.Random(args.seed)

    zones = os.path.join(args.repo, "zones")
    for sub in ("cmdb", "services"):
        os.makedirs(os.path.join(zones, sub), exist_ok=True)
    with open(os.path.join(zones, "zonegate.yaml"), "w") as out:
        out.write(
            "# Million-host benchmark estate (bench/gen_hosts.py).\n"
            "domain: example.net.\n"
            "datacenters: [ash, gew, lon, sto]\n"
            "zones:\n"
            "  forward: [example.net.]\n"
            "  reverse: [10.0.0.0/8, 2001:db8::/32]\n"
            "nameservers: [ns1.example.net., ns2.example.net.]\n"
            "soa: { contact: hostmaster@example.net }\n"
            "generate:\n"
            "  address_statuses: [in_use, spare]\n"
            "  srv_statuses: [in_use]\n"
            "check:\n"
            "  # At this size every SRV RRset holds thousands of targets; reported, not fatal.\n"
            "  rules: { rrset-too-large: warning, answer-too-large-for-udp: warning }\n"
        )
    os.makedirs(os.path.join(zones, "records"), exist_ok=True)
    with open(os.path.join(zones, "records", "nameservers.yaml"), "w") as out:
        out.write(
            "records:\n"
            "  - { name: ns1, type: A, address: 10.255.0.53 }\n"
            "  - { name: ns2, type: A, address: 10.255.0.54 }\n"
            "  - { name: 53.0.255.10.in-addr.arpa., type: PTR, target: ns1.example.net. }\n"
            "  - { name: 54.0.255.10.in-addr.arpa., type: PTR, target: ns2.example.net. }\n"
        )
    for index, service in enumerate(SERVICES):
        with open(os.path.join(zones, "services", f"{service}.yaml"), "w") as out:
            out.write(f"port: {8000 + index}\nrequired_in: all\n")

    per_dc = [0] * len(DCS)
    with open(os.path.join(zones, "cmdb", "servers.csv"), "w") as out:
        out.write("hostname,datacenter,rack,ipv4,ipv6,roles,status\n")
        for index in range(1, args.hosts + 1):
            dc = rnd.choices(range(len(DCS)), [0.30, 0.25, 0.25, 0.20])[0]
            slot = per_dc[dc]
            per_dc[dc] += 1
            # A /10 per datacenter: 10.(64*dc + slot // 65536).(slot // 256 % 256).(slot % 256 + 1)
            second = 64 * dc + slot // 65024
            third = slot // 254 % 256
            fourth = slot % 254 + 1
            rack = slot // 40
            roll = rnd.random()
            if roll < 0.02:
                status, roles = "decommissioned", [rnd.choice(SERVICES)]
            elif roll < 0.08:
                status, roles = "spare", []
            else:
                status = "in_use"
                roles = [SERVICES[(index * 7) % len(SERVICES)]]
                if rnd.random() < 0.30:
                    extra = rnd.choice(SERVICES)
                    if extra not in roles:
                        roles.append(extra)
            out.write(
                f"host{index},{DCS[dc]},{DCS[dc]}-r{rack:05d},10.{second}.{third}.{fourth},"
                f"2001:db8:{dc + 1:x}:{rack:x}::{slot % 40 + 1:x},{';'.join(roles)},{status}\n"
            )
    print(f"{args.repo}: {args.hosts} hosts, {len(SERVICES)} services")


if __name__ == "__main__":
    main()
