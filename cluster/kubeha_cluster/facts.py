"""What a client of the cluster needs (the local inventory reads it once per playbook)."""
from __future__ import annotations

import json

from . import registry, registrystore
from .build import ensure_tools
from .topology import Cluster, bin_dir


def gather(cluster: Cluster) -> dict[str, object]:
    return {"kubeconfig": str(cluster.admin_kubeconfig), "bin_dir": str(bin_dir()),
            "node_ip": cluster.nodes[0].ip, "ingress_ip": cluster.ingress_ip,
            "gateway_ip": cluster.gateway_ip, "gateway": cluster.gateway,
            "lb_pool": "-".join(cluster.lb_pool), "registry": _registry(cluster)}


def _registry(cluster: Cluster) -> dict[str, str]:
    """The cluster's registries (registry.py), the CA they are trusted with, the private one's
    user and password, and the chart as an OCI artifact in the public one."""
    chart = registrystore.chart()
    return registry.facts(cluster, chart_version=str(chart["version"]), chart_name=chart["name"])


def write(cluster: Cluster) -> None:
    # Read by the shell shim for `facts`: a playbook's inventory asks for them per cluster, and
    # starting Python for it costs seconds on a small machine.
    ensure_tools()
    tmp = cluster.facts_file.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    tmp.touch(mode=0o600)  # root only: it holds the registry password
    tmp.write_text(json.dumps(gather(cluster), sort_keys=True) + "\n")
    tmp.replace(cluster.facts_file)
