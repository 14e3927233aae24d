"""After deploy on the inventory's two clusters and a promotion of v2 that failed on the second:
each cluster (one test run per inventory host) serves from its own pods, through its own NodePort,
its own LoadBalancer address and its own Gateway (the release's HTTPRoute, HTTP and HTTPS) - the first cluster v2 (promoted), the second v1 (rolled back by
the collection, its release deployed, not pending)."""
import ipaddress
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared"))
from kubeha_checks import RELEASE, Kube  # noqa: E402


EXPECTED = {"kubeha-local": "v2", "kubeha-local-b": "v1"}
# Two supported Kubernetes minors side by side (cluster/versions.env, inventories/local/hosts.yml).
KUBERNETES = {"kubeha-local": "v1.37.", "kubeha-local-b": "v1.35."}


@pytest.fixture(scope="module")
def kube(host):
    return Kube(host)


@pytest.fixture(scope="module")
def version(host):
    return EXPECTED[host.backend.get_hostname()]


def test_each_cluster_runs_its_own_kubernetes_version(kube, host):
    server = kube.json("version")["serverVersion"]["gitVersion"]
    assert server.startswith(KUBERNETES[host.backend.get_hostname()]), server


def test_the_release_is_deployed_not_pending(kube):
    assert kube.history()[-1]["status"] == "deployed"


def test_the_release_runs_on_this_clusters_own_nodes(kube):
    deploy = kube.json(f"get deployment {RELEASE}")
    assert deploy["status"]["readyReplicas"] == deploy["spec"]["replicas"] >= 2
    nodes = {p["spec"]["nodeName"] for p in kube.live_pods()}
    assert nodes and all(n.startswith(f"{kube.cluster}-n") for n in nodes), nodes


def test_nodeport_answers_on_this_clusters_node(kube, version):
    assert f"kubeha-web version={version}" in kube.nodeport_body()


def test_loadbalancer_address_comes_from_this_clusters_pool_and_answers(kube, version):
    ip = kube.json(f"get svc {RELEASE}")["status"]["loadBalancer"]["ingress"][0]["ip"]
    first, last = (ipaddress.ip_address(a) for a in kube.lb_pool.split("-"))
    assert first <= ipaddress.ip_address(ip) <= last
    out = kube.host.run(f"curl -fsS -m 5 http://{ip}/")
    assert out.rc == 0, out.stderr
    assert f"kubeha-web version={version}" in out.stdout


def test_the_route_is_accepted_and_answers_through_this_clusters_gateway(kube, version):
    route = kube.json(f"get httproute {RELEASE}")
    conditions = {c["type"]: c["status"] for p in route["status"]["parents"] for c in p["conditions"]}
    assert conditions.get("Accepted") == "True" and conditions.get("ResolvedRefs") == "True", route["status"]
    host = route["spec"]["hostnames"][0]
    out = kube.host.run(f"curl -fsS -m 5 -H 'Host: {host}' http://{kube.gateway_ip}/")
    assert out.rc == 0, out.stderr
    assert f"kubeha-web version={version}" in out.stdout
    out = kube.host.run(f"curl -fsS -m 5 --cacert {kube.gateway_ca} --resolve {host}:443:{kube.gateway_ip} "
                        f"https://{host}/")
    assert out.rc == 0, out.stderr
    assert f"kubeha-web version={version}" in out.stdout
