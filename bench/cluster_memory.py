#!/usr/bin/env python3
"""Prints the memory of a running local cluster: RSS of every process it started (control
plane, containerd, kubelet, kube-proxy, the API forward), of the container shims, and of every
process inside its pods' cgroups, summed. Usage: bench/cluster_memory.py [cluster-name]"""
from __future__ import annotations

import os
import sys
from pathlib import Path

if len(sys.argv) > 1:  # before the import: topology reads the cluster's versions from it
    os.environ["KUBEHA_CLUSTER"] = sys.argv[1]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "cluster"))
from kubeha_cluster import cgroups, cleanup, lifecycle, topology  # noqa: E402


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def main() -> None:
    cluster = topology.default_cluster()
    groups: dict[str, set[int]] = {}
    for proc in lifecycle.all_processes(cluster):
        pid = proc.pid()
        if pid:
            groups[proc.name] = {pid}
    groups["containerd shims"] = cleanup.shim_pids([str(n.containerd_sock) for n in cluster.nodes])
    for node in cluster.nodes:
        groups[f"{node.name} pods"] = cgroups.pids(node.cgroup_parent)
    total = 0
    for name, pids in groups.items():
        kib = sum(rss_kib(p) for p in pids)
        total += kib
        print(f"{name:30} {len(pids):3} procs {kib / 1024:8.1f} MiB")
    print(f"{'total RSS':30} {'':9} {total / 1024:8.1f} MiB  (target <= 1536 MiB)")


if __name__ == "__main__":
    main()
