"""The Ingress controller (Traefik, built from its Go module) answers on its LoadBalancer address
from the host and routes by host name to the Service's pods on every node."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest
from topolib import cli, eventually, pods

pytestmark = pytest.mark.cluster


def get(ip: str, host: str, timeout: float = 5) -> tuple[int, str]:
    req = urllib.request.Request(f"http://{ip}/", headers={"Host": host})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, ""


@pytest.fixture(scope="module")
def host(namespace):
    return f"web.{namespace}.kubeha.test"


@pytest.fixture(scope="module")
def ingress(cluster, namespace, web, host):
    manifest = {
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web"},
        "spec": {"rules": [{"host": host, "http": {"paths": [{
            "path": "/", "pathType": "Prefix",
            "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]},
    }
    cluster.kubectl("-n", namespace, "apply", "-f", "-", input=json.dumps(manifest))
    ip = cli("ingress-ip").stdout.strip()
    eventually(lambda: get(ip, host)[0] == 200, 60)
    return ip


def test_the_ingress_gets_the_controllers_address_in_its_status(cluster, namespace, ingress):
    def address():
        ing = json.loads(cluster.kubectl("-n", namespace, "get", "ingress", "web", "-o", "json").stdout)
        return [i.get("ip") for i in ing["status"].get("loadBalancer", {}).get("ingress", [])]
    assert eventually(address, 60) == [ingress]


def test_requests_for_the_host_reach_pods_on_every_node(cluster, namespace, ingress, host, workers):
    by_pod = {p["metadata"]["name"]: p["spec"]["nodeName"] for p in pods(cluster, namespace, "app=web")}
    seen = set()
    for _ in range(200):  # bounded; endpoints of a fresh rollout reach every node's proxy within a second or two
        status, body = get(ingress, host)
        assert status == 200 and "kubeha-web version=v1" in body
        seen.add(by_pod[body.split("host=")[1].strip()])
        if seen == {w.name for w in workers}:
            break
        time.sleep(0.05)
    assert seen == {w.name for w in workers}


def test_an_unknown_host_gets_404_from_the_controller(ingress):
    assert get(ingress, "nobody.kubeha.test")[0] == 404


def test_the_controller_runs_two_ready_replicas(cluster):
    items = pods(cluster, "kubeha-ingress", "app=traefik")
    ready = [p for p in items if any(c["type"] == "Ready" and c["status"] == "True"
                                     for c in p["status"].get("conditions", []))]
    assert len(ready) == 2
