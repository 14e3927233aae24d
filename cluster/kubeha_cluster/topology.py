"""The one place that knows a cluster's names, addresses, ports and directories.

Every node (and the control plane) lives in a network namespace of its own, joined to the
cluster's bridge on the host. Ranges are chosen away from common host and docker ranges; the
preflight check refuses to start when one of them collides with a route the host already has.
"""
from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
CLUSTER_DIR = REPO / "cluster"


def _versions() -> dict[str, str]:
    out = {}
    for line in (CLUSTER_DIR / "versions.env").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            out[key] = value
    return out


VERSIONS = _versions()
CACHE = Path(os.environ.get("KUBEHA_CACHE") or
             Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kubeha")
STATE_ROOT = Path(os.environ.get("KUBEHA_STATE") or "/var/lib/kubeha")


def _kubernetes_version() -> str:
    """The Kubernetes version of the cluster the environment names: KUBEHA_KUBERNETES_VERSION
    (inventories/local gives it per cluster), else the one the running cluster was brought up
    with (recorded by `up`, removed by `down`), else the pinned default of versions.env."""
    asked = os.environ.get("KUBEHA_KUBERNETES_VERSION")
    if asked:
        return asked if asked.startswith("v") else f"v{asked}"
    try:
        record = (STATE_ROOT / os.environ.get("KUBEHA_CLUSTER", "kubeha") / "kubernetes-version")
        return record.read_text().strip() or VERSIONS["KUBERNETES_VERSION"]
    except OSError:
        return VERSIONS["KUBERNETES_VERSION"]


DEFAULT_KUBERNETES_VERSION = VERSIONS["KUBERNETES_VERSION"]
VERSIONS["KUBERNETES_VERSION"] = _kubernetes_version()


# The shared Gateway every cluster gets (cluster/addons/gateway.yaml says the same): routes
# attach to it from namespaces labelled label_key=label_value; its HTTPS listener serves
# *.<domain> with a certificate of the cluster's own Gateway CA (pki.py).
GATEWAY = {"name": "public", "namespace": "kubeha-ingress",
           "hostname": "*.kubeha.test", "domain": "kubeha.test", "tls_secret": "kubeha-gateway-tls",
           "label_key": "shared-gateway-access", "label_value": "true"}


# The two OCI registries every cluster gets (registry.py runs them), on the cluster bridge's host
# address with these ports whatever the cluster's index: `public` asks for no credentials, as
# public images do; `private` asks for the cluster's registry user (htpasswd), so that pull
# Secrets are real.
REGISTRY_PORTS = {"public": 5000, "private": 5001}
REGISTRY_USER = "kubeha"


@dataclass(frozen=True)
class Node:
    name: str       # Kubernetes node name, also the network namespace name
    ip: str         # address on the cluster bridge; NodePorts answer here
    pod_cidr: str   # this node's share of the pod network
    cluster: "Cluster" = field(repr=False, compare=False)

    @property
    def netns(self) -> str:
        return self.name

    @property
    def dir(self) -> Path:
        return self.cluster.state / "nodes" / self.name

    @property
    def run(self) -> Path:
        return self.cluster.run_dir / "nodes" / self.name

    @property
    def cgroup_parent(self) -> str:
        """Each node's pods live under their own cgroup parent, so nodes never share one."""
        return f"/kubeha/{self.name}"

    @property
    def containerd_sock(self) -> Path:
        return self.run / "containerd.sock"

    @property
    def veth_host(self) -> str:
        return f"kh{self.cluster.index}-{self.name.rsplit('-', 1)[-1]}"[:15]


@dataclass(frozen=True)
class Cluster:
    name: str = "kubeha"
    index: int = 0           # a second cluster side by side takes index 1, and so on
    workers: int = 2         # 1 control plane + 2 workers by default (KUBEHA_WORKERS)

    # --- addresses (all inside namespaces this cluster creates, or its own bridge) ---
    @property
    def node_net(self) -> ipaddress.IPv4Network:
        return ipaddress.ip_network(f"10.{217 + 10 * self.index}.0.0/24")

    @property
    def pod_net(self) -> ipaddress.IPv4Network:
        return ipaddress.ip_network(f"10.{218 + 10 * self.index}.0.0/16")

    @property
    def service_net(self) -> ipaddress.IPv4Network:
        return ipaddress.ip_network(f"10.{219 + 10 * self.index}.0.0/16")

    @property
    def bridge_ip(self) -> str:           # the host's side of the cluster bridge (nodes' default route)
        return str(self.node_net.network_address + 1)

    @property
    def cp_ip(self) -> str:               # the control plane's namespace
        return str(self.node_net.network_address + 10)

    @property
    def api_service_ip(self) -> str:      # first address of the service range
        return str(self.service_net.network_address + 1)

    @property
    def dns_ip(self) -> str:
        return str(self.service_net.network_address + 10)

    # --- LoadBalancer addresses: the upper part of the node range, on the cluster's bridge, so
    # the host reaches them through it and nothing routes them anywhere else. The range's first
    # address is the Ingress controller's, its second the Gateway's; MetalLB hands out the rest ---
    @property
    def lb_range(self) -> tuple[str, str]:
        base = self.node_net.network_address
        return str(base + 200), str(base + 249)

    @property
    def lb_pool(self) -> tuple[str, str]:
        """What MetalLB assigns to LoadBalancer Services (`lb-pool`): the range after the
        addresses kept for the Ingress controller and the Gateway."""
        first, last = self.lb_range
        return str(ipaddress.ip_address(first) + 2), last

    @property
    def lb_cidr(self) -> str:
        """The smallest network holding the whole range (for tools that take a CIDR)."""
        first, last = (ipaddress.ip_address(a) for a in self.lb_range)
        return str(next(ipaddress.summarize_address_range(first, last)).supernet(
            new_prefix=32 - (int(last) - int(first)).bit_length()))

    @property
    def ingress_ip(self) -> str:
        """The Ingress controller's LoadBalancer address: the range's first one, kept for it."""
        return self.lb_range[0]

    @property
    def gateway_ip(self) -> str:
        """The Gateway's address (Traefik's Service traefik-gateway): the range's second one."""
        return str(ipaddress.ip_address(self.lb_range[0]) + 1)

    @property
    def gateway(self) -> dict:
        """The shared Gateway (addons/gateway.yaml) as clients attach routes to it."""
        return {"name": GATEWAY["name"], "namespace": GATEWAY["namespace"],
                "http_listener": "http", "http_port": 80,
                "https_listener": "https", "https_port": 443, "https_hostname": GATEWAY["hostname"],
                # Admits routes of the Gateway's own namespace only (an app's route is refused).
                "internal_listener": "internal", "internal_hostname": "*.internal." + GATEWAY["domain"],
                "ca_file": str(self.gateway_pki / "ca.crt"),
                "route_label": f"{GATEWAY['label_key']}={GATEWAY['label_value']}"}

    def registry(self, name: str) -> str:
        """HOST:PORT of one of the cluster's registries (REGISTRY_PORTS), as image references and
        containerd's certs.d name it."""
        return f"{self.bridge_ip}:{REGISTRY_PORTS[name]}"

    @property
    def node_iface(self) -> str:          # a node's interface on the cluster bridge
        return "eth0"

    api_port: int = 6443      # inside the control-plane namespace

    @property
    def host_api_port(self) -> int:
        """Loopback port on the host forwarded to the API server: host clients never address
        the cluster network directly, so nothing leaves the machine when the cluster is down."""
        return 6443 + self.index
    dns_domain: str = "cluster.local"

    # --- names ---
    @property
    def bridge(self) -> str:
        return f"kubeha{self.index}"

    @property
    def cp_netns(self) -> str:
        return f"{self.name}-cp"

    @property
    def cp_veth(self) -> str:
        return f"kh{self.index}-cp"

    @property
    def context(self) -> str:
        return f"{self.name}-local"

    @property
    def nodes(self) -> list[Node]:
        return [
            Node(
                name=f"{self.name}-n{i}",
                ip=str(self.node_net.network_address + 10 + i),
                pod_cidr=f"10.{218 + 10 * self.index}.{i}.0/24",
                cluster=self,
            )
            for i in range(1, self.workers + 1)
        ]

    # --- directories ---
    @property
    def state(self) -> Path:
        """Data kept across `down`/`up`: PKI, images. Runtime data lives below run_dir."""
        return STATE_ROOT / self.name

    @property
    def run_dir(self) -> Path:
        return self.state / "run"

    @property
    def pki(self) -> Path:
        return self.state / "pki"

    @property
    def gateway_pki(self) -> Path:
        """The Gateway's own small CA and its certificate for the Gateway's host names (kept
        across `down`, like the rest of the PKI)."""
        return self.pki / "gateway"

    @property
    def registry_pki(self) -> Path:
        """The registries' own small CA and their TLS certificate (kept across `down`)."""
        return self.pki / "registry"

    @property
    def registry_state(self) -> Path:
        """The registry user's password and its htpasswd file (root only, kept across `down`)."""
        return self.state / "registry"

    @property
    def registry_run(self) -> Path:
        """Each registry's configuration and its copy of the storage (removed by `down`)."""
        return self.run_dir / "registry"

    @property
    def logs(self) -> Path:
        return self.state / "logs"

    @property
    def admin_kubeconfig(self) -> Path:
        return self.state / "admin.kubeconfig"

    @property
    def cpu_group(self) -> str:
        """The cpu cgroup of the cluster's own processes (control plane and node daemons, and the
        container shims they start). It sits beside the nodes' pod cgroups under /kubeha, which
        keeps the default weight of one process: however many components tick in the
        background, the machine's own work (an editor, a build, ansible-playbook) still gets
        its share of the CPU, and the cluster gets all of the rest."""
        return f"/kubeha/system-{self.name}"

    @property
    def facts_file(self) -> Path:
        """`kubeha-cluster facts` of the running cluster (written by `up`, removed by `down`)."""
        return self.state / "facts.json"

    @property
    def kubernetes_version_record(self) -> Path:
        """The Kubernetes version the running cluster was brought up with (written by `up`,
        removed by `down`): later commands run the same binaries without being told again."""
        return self.state / "kubernetes-version"

    @property
    def workers_record(self) -> Path:
        """How many workers the running cluster was brought up with (written by `up`, removed by
        `down`), so that every later command sees the same nodes without being told again."""
        return self.state / "workers"


def bin_dir() -> Path:
    """Where the pinned, version-keyed binaries are linked for use (helm, kubectl, ...): one
    directory per Kubernetes and helm version, so two clusters on different versions (or two
    checkouts) never relink each other's kubectl."""
    return CACHE / "bin" / f"tools-{VERSIONS['KUBERNETES_VERSION']}-{VERSIONS['HELM_VERSION']}"


def kube_bin() -> Path:
    return CACHE / "bin" / f"kubernetes-{VERSIONS['KUBERNETES_VERSION']}"


def containerd_bin() -> Path:
    """containerd 2, its runc shim (found beside containerd) and ctr, built by build.sh."""
    return CACHE / "bin" / f"containerd-{VERSIONS['CONTAINERD_VERSION']}"


def metallb_bin() -> Path:
    return CACHE / "bin" / f"metallb-{VERSIONS['METALLB_VERSION']}"


def kube_network_policies_bin() -> Path:
    """kube-network-policies, built by build.sh with kubeha's patch (cluster/patches/)."""
    return (CACHE / "bin" / f"kube-network-policies-{VERSIONS['KUBE_NETWORK_POLICIES_VERSION']}"
            / "kube-network-policies")


def traefik_bin() -> Path:
    return CACHE / "bin" / f"traefik-{VERSIONS['TRAEFIK_VERSION']}" / "traefik"


def gateway_api_crds() -> Path:
    """The Gateway API's standard-channel CRDs, as build.sh gateway-api concatenated them from the
    module's own files (the chart's tests read the schemas from this file too)."""
    return CACHE / "bin" / f"gateway-api-{VERSIONS['GATEWAY_API_VERSION']}" / "standard-install.yaml"


def registry_bin() -> Path:
    """CNCF Distribution's registry, built by build.sh registry."""
    return CACHE / "bin" / f"registry-{VERSIONS['REGISTRY_VERSION']}" / "registry"


def helm_bin() -> Path:
    return CACHE / "bin" / f"helm-{VERSIONS['HELM_VERSION']}" / "helm"


def helm3_bin() -> Path:
    return CACHE / "bin" / f"helm-{VERSIONS['HELM3_VERSION']}" / "helm"


# A cluster's ranges are 10.(217 + 10 x index).0.0/24 up to 10.(219 + 10 x index).0.0/16: the
# indexes whose second octet stays an octet.
MAX_CLUSTER_INDEX = (255 - 219) // 10


def cluster_index(text: str) -> int:
    """KUBEHA_CLUSTER_INDEX as the address plan allows it, or a message saying which it allows."""
    if not text.strip().isdigit() or int(text) > MAX_CLUSTER_INDEX:
        raise SystemExit(
            f"kubeha-cluster: KUBEHA_CLUSTER_INDEX must be a whole number from 0 to {MAX_CLUSTER_INDEX}, "
            f"not {text!r}: cluster N takes the ranges 10.(217+10N).0.0/24 (nodes), 10.(218+10N).0.0/16 "
            f"(pods) and 10.(219+10N).0.0/16 (Services), and the API port 6443+N")
    return int(text)


def default_cluster() -> Cluster:
    """The cluster the environment names. Its worker count: KUBEHA_WORKERS, else the count it
    is running with, else 2."""
    c = Cluster(name=os.environ.get("KUBEHA_CLUSTER", "kubeha"),
                index=cluster_index(os.environ.get("KUBEHA_CLUSTER_INDEX", "0")))
    workers = os.environ.get("KUBEHA_WORKERS") or recorded_workers(c) or "2"
    if not str(workers).isdigit() or int(workers) < 1:
        raise SystemExit(f"kubeha-cluster: KUBEHA_WORKERS must be a whole number ≥ 1, not {workers!r}")
    return replace(c, workers=int(workers))


def recorded_workers(c: Cluster) -> str | None:
    try:
        return c.workers_record.read_text().strip() or None
    except OSError:
        return None
