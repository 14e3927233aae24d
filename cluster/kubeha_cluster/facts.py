"""What a client of the cluster needs (the local inventory reads it once per playbook)."""
from __future__ import annotations

import json

from .build import ensure_tools
from .topology import Cluster, bin_dir


def gather(cluster: Cluster) -> dict[str, object]:
    return {"kubeconfig": str(cluster.admin_kubeconfig), "bin_dir": str(bin_dir()),
            "node_ip": cluster.nodes[0].ip, "ingress_ip": cluster.ingress_ip,
            "gateway_ip": cluster.gateway_ip, "gateway": cluster.gateway,
            "lb_pool": "-".join(cluster.lb_pool)}


def write(cluster: Cluster) -> None:
    # Read by the shell shim for `facts`: a playbook's inventory asks for them per cluster, and
    # starting Python for it costs seconds on a small machine.
    ensure_tools()
    tmp = cluster.facts_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(gather(cluster), sort_keys=True) + "\n")
    tmp.replace(cluster.facts_file)
