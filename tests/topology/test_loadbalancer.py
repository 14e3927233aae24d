"""LoadBalancer Services get an address from the cluster's pool (MetalLB, L2 mode), the host
reaches it through the cluster's bridge, and it keeps answering when the node announcing it is
drained and stopped."""
from __future__ import annotations

import ipaddress
import json
import time

import pytest
from topolib import cli, eventually, http_get, pods, stopped_node, web_manifest

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="module")
def lb(cluster, namespace, workers):
    cluster.kubectl("-n", namespace, "apply", "-f", "-",
                    input=web_manifest("weblb", service_type="LoadBalancer"))
    cluster.kubectl("-n", namespace, "rollout", "status", "deploy/weblb", "--timeout=120s")

    def address():
        svc = json.loads(cluster.kubectl("-n", namespace, "get", "svc", "weblb", "-o", "json").stdout)
        ingress = svc["status"].get("loadBalancer", {}).get("ingress") or []
        return ingress[0]["ip"] if ingress else None
    return eventually(address, 60)


def announcer(cluster, namespace) -> str:
    items = json.loads(cluster.kubectl("get", "servicel2statuses", "-A", "-o", "json").stdout)["items"]
    return next(s["status"]["node"] for s in items
                if s["status"].get("serviceName") == "weblb" and s["status"].get("serviceNamespace") == namespace)


def test_the_address_comes_from_the_pool_inside_the_node_range(lb):
    first, last = cli("lb-pool").stdout.strip().split("-")
    assert ipaddress.ip_address(first) <= ipaddress.ip_address(lb) <= ipaddress.ip_address(last)


def test_the_host_reaches_the_address_and_pods_on_every_node_answer(cluster, namespace, lb, workers):
    by_pod = {p["metadata"]["name"]: p["spec"]["nodeName"] for p in pods(cluster, namespace, "app=weblb")}
    seen = set()
    for _ in range(200):  # bounded; endpoints of a fresh rollout reach every node's proxy within a second or two
        seen.add(by_pod[http_get(f"http://{lb}/").split("host=")[1].strip()])
        if seen == {w.name for w in workers}:
            break
        time.sleep(0.05)
    assert seen == {w.name for w in workers}


def speaker_state(cluster) -> str:
    """What the speakers last said and which statuses exist: the failure message of a takeover
    that did not happen."""
    out = [cluster.kubectl("get", "servicel2statuses", "-A", "-o", "wide", check=False).stdout,
           cluster.kubectl("-n", "metallb-system", "get", "pods", "-o", "wide", check=False).stdout]
    for pod in cluster.kubectl("-n", "metallb-system", "get", "pods", "-l", "component=speaker",
                               "-o", "name", check=False).stdout.split():
        log = cluster.kubectl("-n", "metallb-system", "logs", pod, "--tail=25", check=False).stdout
        out.append(f"--- {pod}\n{log}")
    return "\n".join(out)


@pytest.mark.disruptive
def test_the_address_moves_when_its_node_is_drained_and_stopped(cluster, namespace, lb, workers):
    node = eventually(lambda: announcer(cluster, namespace), 30)
    with stopped_node(cluster, node):
        try:
            # The other speaker takes over when the stopped node is excluded from load balancers
            # or, at the latest, when memberlist declares it dead.
            eventually(lambda: announcer(cluster, namespace) != node, 60)
        except AssertionError as e:
            raise AssertionError(f"{e}\n{speaker_state(cluster)}") from None
        for _ in range(50):
            assert "kubeha-web version=v1" in http_get(f"http://{lb}/", timeout=2)
