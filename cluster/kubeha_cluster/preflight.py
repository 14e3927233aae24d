"""Checks that fail fast, naming what is missing and how to get it, before anything starts."""
from __future__ import annotations

import ipaddress
import os
import shutil
import socket
from pathlib import Path

from . import net
from .topology import Cluster

# command → Debian package that provides it
COMMANDS = {
    "runc": "runc", "etcd": "etcd-server",
    "iptables": "iptables", "ip6tables": "iptables", "conntrack": "conntrack", "ipset": "ipset",
    "ip": "iproute2", "nsenter": "util-linux", "busybox": "busybox-static",
    "buildah": "buildah", "socat": "socat", "go": "golang (or Go from go.dev)", "umount": "mount",
    # the build pushes the images into the registries' storages; the private registry's users
    "skopeo": "skopeo", "htpasswd": "apache2-utils",
}


def _port_taken(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


class PreflightError(SystemExit):
    pass


def check(cluster: Cluster, need_build_tools: bool = True, forward_is_ours: bool = False) -> None:
    problems = []
    if os.geteuid() != 0:
        problems.append("must run as root (it creates network namespaces, mounts and cgroups)")
    for cmd, pkg in COMMANDS.items():
        if not need_build_tools and cmd in ("go", "buildah", "skopeo"):
            continue
        if not shutil.which(cmd):
            problems.append(f"command `{cmd}` not found: apt-get install {pkg}")
    if not Path("/usr/lib/cni/bridge").exists():
        problems.append("CNI plugins missing in /usr/lib/cni: apt-get install containernetworking-plugins")
    if "overlay" not in Path("/proc/filesystems").read_text():
        problems.append("kernel has no overlay filesystem (CONFIG_OVERLAY_FS): containerd needs it")
    if not Path("/proc/sys/net/bridge/bridge-nf-call-iptables").exists():
        problems.append("kernel module br_netfilter is not loaded: modprobe br_netfilter")
    for ctl in ("cpu", "memory", "pids"):
        if not (Path("/sys/fs/cgroup") / ctl).is_dir() and not Path("/sys/fs/cgroup/cgroup.controllers").exists():
            problems.append(f"cgroup controller `{ctl}` is not mounted under /sys/fs/cgroup")
    if not forward_is_ours and _port_taken(cluster.host_api_port):
        problems.append(f"127.0.0.1:{cluster.host_api_port} is already in use by another program "
                        "(the API server forward needs it); stop it or pick another cluster index")
    ours = [cluster.node_net, cluster.pod_net, cluster.service_net]
    for line in net.host_routes():
        dest = line.split()[0]
        if dest == "default" or f" dev {cluster.bridge}" in line or " via 10." in line and any(
                n.pod_cidr == dest for n in cluster.nodes):
            continue
        try:
            route = ipaddress.ip_network(dest, strict=False)
        except ValueError:
            continue
        for mine in ours:
            if route.overlaps(mine):
                problems.append(f"host route `{line}` overlaps the cluster range {mine}; "
                                "pick another cluster index (KUBEHA_CLUSTER_INDEX)")
    if problems:
        raise PreflightError("kubeha-cluster: cannot start:\n  - " + "\n  - ".join(problems))
