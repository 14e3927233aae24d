"""Stopping and starting one node's processes (containerd, kubelet, kube-proxy,
kube-network-policies), the way a machine is switched off and on again, and giving a node the
images it lacks.

A node stopped with `node-stop` carries a mark in its runtime directory: its processes are
expected to be down, so `status` still calls the cluster up and `up` starts it again.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from . import build, cgroups, cleanup, components, imagestore
from .api import kubectl, ready as api_ready
from .health import one_node_ready, wait_for
from .locks import exclusive
from .output import say
from .procs import Proc, run
from .topology import STATE_ROOT, Cluster, Node, containerd_bin

EXCLUDE_LB = "node.kubernetes.io/exclude-from-external-load-balancers"
# Every kubelet on this host listens on this socket whatever its --root-dir: the path is a
# constant in the kubelet (its device-plugin registration server). A kubelet clears the directory,
# then binds; two starting at once can both clear it, and the second bind fails ("address already
# in use") and that kubelet exits. So kubelets start one at a time, host-wide (every cluster).
DEVICE_PLUGIN_SOCKET = Path("/var/lib/kubelet/device-plugins/kubelet.sock")
KUBELET_START_LOCK = STATE_ROOT / ".kubelet-start.lock"
L2_NODE_LABEL = "metallb.io/node"  # which speaker owns a ServiceL2Status


def named(cluster: Cluster, name: str) -> Node:
    """The node a user named, in full (kubeha-n2) or by its last part (n2)."""
    for node in cluster.nodes:
        if name in (node.name, node.name.rsplit("-", 1)[-1]):
            return node
    raise SystemExit(f"kubeha-cluster: no node {name!r} in cluster {cluster.name}; nodes: "
                     + ", ".join(n.name for n in cluster.nodes))


def stopped(cluster: Cluster) -> list[Node]:
    """Nodes stopped on purpose with `node-stop` (their processes are expected to be down)."""
    return [n for n in cluster.nodes if _stopped_mark(n).exists()]


def runs_on(proc, nodes: list[Node]) -> bool:
    """Whether `proc` is a process of one of `nodes` (node processes are named "<node>-<what>")."""
    return any(proc.name.startswith(f"{n.name}-") for n in nodes)


def _stopped_mark(node: Node) -> Path:
    return node.run / "stopped"


def stop(cluster: Cluster, node: Node) -> None:
    """Stop one node the way a machine is switched off after a drain: first its LoadBalancer
    announcements move away (the node is excluded from load balancers and the other speakers
    take its addresses over), then its agents end cleanly (SIGTERM), then its containers (the
    speaker among them) and its containerd stop. The node's namespace, bridge
    port and state stay, so `node-start` brings it back."""
    procs = {p.name: p for p in components.node_processes(node)}
    node.run.mkdir(parents=True, exist_ok=True)
    _stopped_mark(node).write_text(time.strftime("%F %T\n"))
    if api_ready(cluster):
        kubectl(cluster, "label", "node", node.name, f"{EXCLUDE_LB}=node-stop", "--overwrite",
                check=False)

        def announced_here() -> bool:
            # Only statuses this node's speaker owns (its label) are withdrawn by it; see
            # _forget_announcements for the ones it does not own.
            return any(s["metadata"].get("labels", {}).get(L2_NODE_LABEL) == node.name
                       and s.get("status", {}).get("node") == node.name for s in _l2_statuses(cluster))
        deadline = time.monotonic() + 15
        while announced_here() and time.monotonic() < deadline:
            time.sleep(0.2)
        if announced_here():
            say(f"{node.name} still announces LoadBalancer addresses after 15s; stopping it anyway "
                "(the other speakers take them over when memberlist sees it gone)")
    agents = [p for n, p in procs.items() if not n.endswith("-containerd")]
    for p in reversed(agents):  # announcer first, kubelet last
        p.stop()
    cleanup.stop_node_containers(node)
    procs[f"{node.name}-containerd"].stop()
    _forget_announcements(cluster, node)
    say(f"node {node.name} stopped")


def start(cluster: Cluster, node: Node) -> None:
    """Start a node stopped with `node-stop` again, with the images built since, and let load
    balancers use it once it is Ready."""
    procs = components.node_processes(node, write_configs=True)
    by_name = {p.name: p for p in procs}
    containerd = by_name[f"{node.name}-containerd"]
    containerd.start()
    wait_for(f"containerd on {node.name}", node.containerd_sock.exists, 60, [containerd])
    import_images(node, build.missing().archives, containerd)
    cgroups.create(node.cgroup_parent)
    for p in procs:
        start_kubelet(p) if p.name.endswith("-kubelet") else p.start()
    _stopped_mark(node).unlink(missing_ok=True)
    wait_for(f"node {node.name} Ready", lambda: one_node_ready(cluster, node), 180, procs)
    kubectl(cluster, "label", "node", node.name, f"{EXCLUDE_LB}-", check=False)
    say(f"node {node.name} started")


def start_kubelet(kubelet: Proc) -> None:
    """Start a kubelet once no other one on this host is between clearing the device-plugin
    directory and binding its socket (see DEVICE_PLUGIN_SOCKET), and return once it has bound."""
    with exclusive(KUBELET_START_LOCK, "the kubelets' shared device-plugin socket"):
        before = _socket_identity()
        kubelet.start()
        wait_for(f"{kubelet.name} to bind {DEVICE_PLUGIN_SOCKET}",
                 lambda: _socket_identity() not in (None, before), 60, [kubelet])


def _socket_identity() -> tuple[int, int] | None:
    """Inode and change time of the shared socket: a new bind makes a new file."""
    try:
        st = DEVICE_PLUGIN_SOCKET.stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_ctime_ns


def import_images(node: Node, archives: list[Path], containerd) -> None:
    """Import the image archives this node's containerd has not imported yet (images rebuilt
    while the cluster runs; a new node gets them all from the image store). Archive names
    carry the hash of their inputs, so a rebuilt image is a new archive. The bound per archive is
    wide: on a busy 2-core machine (another cluster running, every node importing at once) one
    import has taken more than two minutes; a containerd that dies still ends it at once."""
    sock = node.containerd_sock
    wait_for(f"containerd on {node.name}", sock.exists, 60, [containerd])
    stamp = node.run / "imported-images"
    done = set(stamp.read_text().split()) if stamp.exists() else set()
    for tar in archives:
        if str(tar) not in done:
            run(str(containerd_bin() / "ctr"), f"--address={sock}", "-n", "k8s.io", "images", "import", str(tar),
                timeout=imagestore.IMPORT_TIMEOUT)
            with stamp.open("a") as f:
                f.write(f"{tar}\n")


def _l2_statuses(cluster: Cluster) -> list[dict]:
    p = kubectl(cluster, "-n", "metallb-system", "get", "servicel2statuses", "-o", "json", check=False)
    return json.loads(p.stdout)["items"] if p.returncode == 0 else []


def _forget_announcements(cluster: Cluster, node: Node) -> None:
    """Delete the L2 statuses that still name the stopped node. MetalLB v0.15's speakers delete
    only statuses labelled with their own node, and when one takes an address over it patches the
    existing status: the label changes, but `status.node` is immutable and the patch is refused.
    A status naming a stopped node would then stay forever while the address is announced
    elsewhere; deleted, the announcing speaker writes a fresh one."""
    if not api_ready(cluster):
        return
    stale = [s["metadata"]["name"] for s in _l2_statuses(cluster)
             if node.name in (s.get("status", {}).get("node"),
                              s["metadata"].get("labels", {}).get(L2_NODE_LABEL))]
    if stale:
        kubectl(cluster, "-n", "metallb-system", "delete", "servicel2statuses", *stale,
                "--ignore-not-found", "--wait=false", check=False)
