"""The add-ons every cluster gets: CoreDNS, MetalLB, kube-network-policies, Traefik and the Gateway
API (its CRDs, GatewayClass kubeha and the shared Gateway), applied from the manifests in
cluster/addons/ with the cluster's addresses and the pinned images filled in.

Their manifests are applied server-side under one field manager, so applying them again on a
running cluster changes only what the manifests changed.
"""
from __future__ import annotations

import base64
import hashlib
import secrets
import string

import yaml

from . import pki
from .api import kubectl
from .topology import CLUSTER_DIR, GATEWAY, VERSIONS, Cluster, gateway_api_crds, metallb_bin

MANIFESTS = CLUSTER_DIR / "addons"


def is_addon(name: str) -> bool:
    """Processes of add-ons (not of Kubernetes itself): a running cluster without them gets them
    started by `up` instead of being restarted."""
    return name == "metallb-controller" or name.endswith("-kube-network-policies")


def apply_coredns(cluster: Cluster) -> None:
    """CoreDNS alone: `up` ends when cluster DNS answers, so it goes in before the others."""
    _apply(cluster, _coredns_manifest(cluster))


def apply(cluster: Cluster, only_if_changed: bool = False, coredns_applied: bool = False) -> None:
    """Apply the add-ons' manifests (all of them, or nothing when none changed since the last
    apply and `only_if_changed`)."""
    stamp = cluster.run_dir / "addons.sha256"
    tls_crt, tls_key = pki.ensure_gateway(cluster)
    digest = hashlib.sha256(b"".join(
        f.read_bytes() for f in sorted(MANIFESTS.glob("*.yaml"))) +
        repr(sorted(VERSIONS.items())).encode() + tls_crt + tls_key).hexdigest()
    if only_if_changed and stamp.exists() and stamp.read_text() == digest:
        return
    first, last = cluster.lb_pool
    metallb = _template("metallb.yaml",
                        INGRESS_IP=cluster.ingress_ip, GATEWAY_IP=cluster.gateway_ip,
                        POOL_FIRST=first, POOL_LAST=last, NODE_IFACE=cluster.node_iface,
                        SPEAKER_IMAGE=VERSIONS["METALLB_SPEAKER_IMAGE"])
    traefik = _template("traefik.yaml", INGRESS_IP=cluster.ingress_ip, GATEWAY_IP=cluster.gateway_ip,
                        TRAEFIK_IMAGE=VERSIONS["TRAEFIK_IMAGE"])
    coredns = "" if coredns_applied else _coredns_manifest(cluster)
    docs = [d for t in (coredns, (metallb_bin() / "crds.yaml").read_text(), gateway_api_crds().read_text(),
                        metallb, (MANIFESTS / "kube-network-policies.yaml").read_text(), traefik,
                        yaml.safe_dump(_gateway_tls_secret(tls_crt, tls_key)),
                        (MANIFESTS / "gateway.yaml").read_text())
            for d in yaml.safe_load_all(t) if d]
    # One apply for everything but the objects of kinds that CRDs of this same apply define
    # (MetalLB's address pools and announcements, the GatewayClass and the Gateway), which wait
    # for those CRDs (each kubectl call spent most of its time on API discovery).
    custom = [d for d in docs if d["apiVersion"].startswith(("metallb.io/", "gateway.networking.k8s.io/"))]
    _apply(cluster, yaml.safe_dump_all([d for d in docs if d not in custom]))
    kubectl(cluster, "wait", "--for=condition=Established", "--timeout=60s",
            "crd/ipaddresspools.metallb.io", "crd/l2advertisements.metallb.io",
            "crd/gatewayclasses.gateway.networking.k8s.io", "crd/gateways.gateway.networking.k8s.io")
    _apply(cluster, yaml.safe_dump_all(custom))
    # The speakers' memberlist key (the speakers find each other and notice a dead node in
    # seconds), made once per cluster: creating it again fails, and keeps the key.
    kubectl(cluster, "-n", "metallb-system", "create", "secret", "generic", "memberlist",
            f"--from-literal=secretkey={secrets.token_urlsafe(96)}", check=False)
    stamp.write_text(digest)


def _gateway_tls_secret(crt: bytes, key: bytes) -> dict:
    """The shared Gateway's certificate and key (pki.ensure_gateway), for its https listener."""
    return {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
            "metadata": {"name": GATEWAY["tls_secret"], "namespace": GATEWAY["namespace"]},
            "data": {"tls.crt": base64.b64encode(crt).decode(), "tls.key": base64.b64encode(key).decode()}}


def _coredns_manifest(cluster: Cluster) -> str:
    return _template("coredns.yaml", DNS_IP=cluster.dns_ip, DOMAIN=cluster.dns_domain,
                     COREDNS_IMAGE=VERSIONS["COREDNS_IMAGE"])


def _template(name: str, **values: str) -> str:
    return string.Template((MANIFESTS / name).read_text()).substitute(**values)


def _apply(cluster: Cluster, text: str) -> None:
    kubectl(cluster, "apply", "--server-side", "--force-conflicts", "--field-manager=kubeha-cluster",
            "-f", "-", input=text)
