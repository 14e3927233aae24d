"""Whether a cluster works (processes, API, nodes, DNS), and waiting until it does."""
from __future__ import annotations

import json
import time

from . import api
from .procs import run
from .topology import Cluster, Node, default_cluster


def wait_for(what: str, probe, timeout: float, procs=()) -> None:
    """Poll `probe` until it returns True; fail early, with its log, when a process dies.
    The bounds are generous on purpose: on a busy 2-core host a first start (etcd empty, the API
    server creating its bootstrap roles while images are imported) can take minutes, and a dead
    process already ends the wait at once."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe():
            return
        for p in procs:
            tail = p.exited_early()
            if tail is not None:
                raise SystemExit(f"kubeha-cluster: {p.name} exited while waiting for {what}; "
                                 f"last lines of {p.logfile}:\n{tail}")
        time.sleep(0.2)
    raise SystemExit(f"kubeha-cluster: timed out after {timeout:.0f}s waiting for {what}; "
                     f"logs are in {default_cluster().logs}")


def wait_for_api(cluster: Cluster, procs) -> None:
    wait_for("kube-apiserver /readyz", lambda: api.ready(cluster), 240, procs)


def healthy(cluster: Cluster, procs) -> bool:
    return all(p.running() for p in procs) and api.ready(cluster)


def node_ready(cluster: Cluster) -> bool:
    """Every node of the cluster is Ready."""
    p = api.kubectl(cluster, "get", "nodes", "-o", "json", check=False)
    if p.returncode != 0:
        return False
    ready = {n["metadata"]["name"] for n in json.loads(p.stdout)["items"] if _ready(n)}
    return all(n.name in ready for n in cluster.nodes)


def one_node_ready(cluster: Cluster, node: Node) -> bool:
    p = api.kubectl(cluster, "get", "node", node.name, "-o", "json", check=False)
    return p.returncode == 0 and _ready(json.loads(p.stdout))


def _ready(node_object: dict) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True"
               for c in node_object["status"]["conditions"])


def dns_answers(cluster: Cluster) -> bool:
    node = cluster.nodes[0]
    p = run("busybox", "nslookup", f"kubernetes.default.svc.{cluster.dns_domain}", cluster.dns_ip,
            netns=node.netns, check=False, timeout=5)
    return p.returncode == 0 and cluster.api_service_ip in p.stdout
