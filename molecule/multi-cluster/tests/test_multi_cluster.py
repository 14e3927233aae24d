"""After deploy on the inventory's two clusters: each cluster (one test run per inventory host)
serves v1 from its own pods, through its own NodePort and its own LoadBalancer address."""
import ipaddress
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared"))
from kubeha_checks import RELEASE, Kube  # noqa: E402


@pytest.fixture(scope="module")
def kube(host):
    return Kube(host)


def test_the_release_runs_on_this_clusters_own_nodes(kube):
    deploy = kube.json(f"get deployment {RELEASE}")
    assert deploy["status"]["readyReplicas"] == deploy["spec"]["replicas"] >= 2
    nodes = {p["spec"]["nodeName"] for p in kube.live_pods()}
    assert nodes and all(n.startswith(f"{kube.cluster}-n") for n in nodes), nodes


def test_nodeport_answers_v1_on_this_clusters_node(kube):
    assert "kubeha-web version=v1" in kube.nodeport_body()


def test_loadbalancer_address_comes_from_this_clusters_pool_and_answers_v1(kube):
    ip = kube.json(f"get svc {RELEASE}")["status"]["loadBalancer"]["ingress"][0]["ip"]
    first, last = (ipaddress.ip_address(a) for a in kube.lb_pool.split("-"))
    assert first <= ipaddress.ip_address(ip) <= last
    out = kube.host.run(f"curl -fsS -m 5 http://{ip}/")
    assert out.rc == 0, out.stderr
    assert "kubeha-web version=v1" in out.stdout
