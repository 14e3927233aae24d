"""Removing what a cluster left on the host, whether it stopped cleanly or was killed.

Order matters: processes first (kubelet, then the containers and their shims, then containerd),
then mounts below the runtime directory, then cgroups, then the network.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from . import cgroups, net
from .topology import Cluster


def shim_pids(sockets: list[str]) -> set[int]:
    pids = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if "containerd-shim" in cmd and any(s in cmd for s in sockets):
            pids.add(int(proc.name))
    return pids


def _kill_all(pids: set[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in pids):
        time.sleep(0.05)


def unmount_below(root: Path) -> None:
    prefix = str(root.resolve()) + "/"
    for _ in range(3):
        points = []
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            mp = line.split()[4].encode().decode("unicode_escape")
            if mp.startswith(prefix):
                points.append(mp)
        if not points:
            return
        for mp in sorted(points, key=len, reverse=True):
            subprocess.run(["umount", mp], capture_output=True)
        for mp in sorted(points, key=len, reverse=True):
            subprocess.run(["umount", "-l", mp], capture_output=True)


def stop_node_containers(node) -> None:
    """Kill the containers of one node (its pods' processes and their shims)."""
    _kill_all(cgroups.pids(node.cgroup_parent) | shim_pids([str(node.containerd_sock)]))


def teardown(cluster: Cluster, processes) -> None:
    """Stop every process of `cluster` and remove its runtime state from the host."""
    by_name = {p.name: p for p in processes}
    for node in cluster.nodes:
        for suffix in ("kubelet", "kube-proxy"):
            if f"{node.name}-{suffix}" in by_name:
                by_name[f"{node.name}-{suffix}"].stop()
    sockets = [str(n.containerd_sock) for n in cluster.nodes]
    pods = set()
    for node in cluster.nodes:
        pods |= cgroups.pids(node.cgroup_parent)
    _kill_all(pods | shim_pids(sockets))
    # The rest in reverse start order: the API server drains quickly while etcd still answers.
    for proc in reversed(processes):
        proc.stop()
    unmount_below(cluster.run_dir)
    for node in cluster.nodes:
        cgroups.remove(node.cgroup_parent)
    cgroups.remove(cluster.cpu_group)
    cgroups.remove("/kubeha", only_if_empty=True)  # shared by clusters side by side
    shutil.rmtree(cluster.run_dir, ignore_errors=True)
    net.teardown(cluster)
