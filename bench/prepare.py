#!/usr/bin/env python3
"""Turns gen_zone.py's synthetic estate into a zones repository zonegate can render.

gen_zone.py writes the reference zone files and the CMDB export; the zones repository needs
the settings, one service file per service and the hand-edited records (the per-datacenter
service CNAMEs and host aliases, and the name-server glue), all taken from the reference zone
files so both describe the same records.

    python3 bench/prepare.py --reference DIR --cmdb servers.csv --repo REPO

Standard library only.
"""
import argparse
import os
import re
import shutil

DCS = ["ash", "gew", "lon", "sto"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reference", required=True, help="gen_zone.py --out directory")
    parser.add_argument("--cmdb", required=True, help="gen_zone.py --cmdb file")
    parser.add_argument("--repo", required=True, help="zones repository to create")
    args = parser.parse_args()

    zones = os.path.join(args.repo, "zones")
    for sub in ("cmdb", "services", "records"):
        os.makedirs(os.path.join(zones, sub), exist_ok=True)
    shutil.copyfile(args.cmdb, os.path.join(zones, "cmdb", "servers.csv"))

    services = {}
    cnames = []
    glue = []
    with open(os.path.join(args.reference, "example.net.zone")) as zone:
        for line in zone:
            fields = line.split()
            if len(fields) < 5 or fields[2] != "IN":
                continue
            owner, ttl, _, kind = fields[:4]
            if kind == "SRV":
                match = re.match(r"_([a-z0-9-]+)\._tcp\.", owner)
                services[match.group(1)] = int(fields[6])
            elif kind == "CNAME":
                cnames.append((owner, ttl, fields[4]))
            elif kind == "A" and owner.startswith("ns"):
                glue.append((owner, fields[4]))

    with open(os.path.join(zones, "zonegate.yaml"), "w") as out:
        out.write(
            "# Benchmark estate from gen_zone.py (see bench/README.md).\n"
            "domain: example.net.\n"
            "datacenters: [ash, gew, lon, sto]\n"
            "zones:\n"
            "  forward: [example.net.]\n"
            "  reverse: [10.0.0.0/8, 2001:db8::/32]\n"
            "nameservers: [ns1.example.net., ns2.example.net.]\n"
            "soa: { contact: hostmaster@example.net, ttl: 1d }\n"
            "ttl: { default: 3600, host: 3600, ptr: 3600, srv: 300, ns: 86400 }\n"
            "serial: date\n"
            "generate:\n"
            "  address_statuses: [in_use, spare]\n"
            "  srv_statuses: [in_use]\n"
            "check:\n"
            "  # gen_zone.py's largest SRV RRsets hold about a thousand targets: real at this size,\n"
            "  # and BIND then needs max-records-per-type 0. Reported, not fatal.\n"
            "  rules: { rrset-too-large: warning, answer-too-large-for-udp: warning }\n"
        )
    for service, port in sorted(services.items()):
        with open(os.path.join(zones, "services", f"{service}.yaml"), "w") as out:
            out.write(f"port: {port}\nrequired_in: all\n")
    with open(os.path.join(zones, "records", "aliases.yaml"), "w") as out:
        out.write("records:\n")
        for owner, ttl, target in cnames:
            out.write(f"  - {{ name: {owner}, type: CNAME, target: {target}, ttl: {ttl} }}\n")
    with open(os.path.join(zones, "records", "nameservers.yaml"), "w") as out:
        out.write("records:\n")
        for owner, address in glue:
            out.write(f"  - {{ name: {owner}, type: A, address: {address} }}\n")
    print(f"{args.repo}: {len(services)} services, {len(cnames)} CNAMEs, {len(glue)} glue records")


if __name__ == "__main__":
    main()
