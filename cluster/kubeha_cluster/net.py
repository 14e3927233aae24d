"""Host networking of a cluster: a bridge on the host, one network namespace per node and one
for the control plane, veth pairs into the bridge, routes to each node's pod range.

Everything created here carries the cluster's names, so teardown removes exactly that.
"""
from __future__ import annotations

from pathlib import Path

from .procs import run
from .topology import Cluster


def _ns_exists(name: str) -> bool:
    return Path(f"/run/netns/{name}").exists()


def _link_exists(name: str) -> bool:
    return run("ip", "link", "show", name, check=False).returncode == 0


def _sysctl(netns: str | None, key: str, value: str) -> None:
    if netns:
        run("sysctl", "-q", "-w", f"{key}={value}", netns=netns)
    else:
        Path("/proc/sys/" + key.replace(".", "/")).write_text(value)


def _namespace(cluster: Cluster, ns: str, ip: str, veth: str) -> None:
    if not _ns_exists(ns):
        run("ip", "netns", "add", ns)
    if not _link_exists(veth):
        run("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns)
    run("ip", "link", "set", veth, "master", cluster.bridge, "up")
    prefix = cluster.node_net.prefixlen
    run("ip", "addr", "replace", f"{ip}/{prefix}", "dev", "eth0", netns=ns)
    run("ip", "link", "set", "lo", "up", netns=ns)
    run("ip", "link", "set", "eth0", "up", netns=ns)
    run("ip", "route", "replace", "default", "via", cluster.bridge_ip, netns=ns)


def setup(cluster: Cluster) -> None:
    br = cluster.bridge
    if not _link_exists(br):
        run("ip", "link", "add", br, "type", "bridge")
    run("ip", "addr", "replace", f"{cluster.bridge_ip}/{cluster.node_net.prefixlen}", "dev", br)
    run("ip", "link", "set", br, "up")
    _namespace(cluster, cluster.cp_netns, cluster.cp_ip, cluster.cp_veth)
    for node in cluster.nodes:
        _namespace(cluster, node.netns, node.ip, node.veth_host)
        # Each node routes its own pods; the host and the other namespaces reach them through it.
        run("ip", "route", "replace", node.pod_cidr, "via", node.ip)
        run("ip", "route", "replace", node.pod_cidr, "via", node.ip, netns=cluster.cp_netns)
        for other in cluster.nodes:
            if other.name != node.name:
                run("ip", "route", "replace", other.pod_cidr, "via", other.ip, netns=node.netns)
        _sysctl(node.netns, "net.ipv4.ip_forward", "1")
        _sysctl(node.netns, "net.bridge.bridge-nf-call-iptables", "1")
        _sysctl(node.netns, "net.ipv4.conf.all.route_localnet", "1")


def teardown(cluster: Cluster) -> None:
    for node in cluster.nodes:
        run("ip", "route", "del", node.pod_cidr, check=False)
    # Deleting a veth end removes the pair at once; a namespace itself is freed asynchronously.
    for veth in [cluster.cp_veth, *(n.veth_host for n in cluster.nodes)]:
        if _link_exists(veth):
            run("ip", "link", "delete", veth, check=False)
    for ns in [cluster.cp_netns, *(n.netns for n in cluster.nodes)]:
        if _ns_exists(ns):
            # Deleting the namespace removes its veth end, iptables rules and conntrack entries.
            run("ip", "netns", "delete", ns, check=False)
    if _link_exists(cluster.bridge):
        run("ip", "link", "delete", cluster.bridge, check=False)


def host_routes() -> list[str]:
    return run("ip", "-4", "route", "show").stdout.splitlines()
