"""The "ready but wrong" demo images on the real cluster: kubeha/web:bad and kubeha/web:slow pass
their readiness probe (a rollout of them completes, as a bad release's would), then `bad` answers
every request to / with HTTP 500 and `slow` answers it, correctly, after 800 ms. They are what
progressive delivery is tested against: failures only real traffic shows. Through the shared
Gateway, Traefik's own metrics (each Traefik pod's Prometheus text endpoint, read twice) show
them as a canary analysis reads them (canary_plan.traefik_sample): every request of `bad` an
error, the p99 of `slow` above 800 ms."""
from __future__ import annotations

import json
import re
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from conftest import cluster_facts, eventually, http_get, node_addresses, web_manifest  # tests/cluster/conftest.py

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "playbooks" / "collections"))
from ansible_collections.kubeha.webapp.plugins.module_utils import canary_plan  # noqa: E402

pytestmark = pytest.mark.cluster

TAGS = ("bad", "slow")
REQUESTS = 12
# Where Traefik serves its metrics (cluster/addons/traefik.yaml: the admin entry point).
METRICS_PORT = 8082


@pytest.fixture(scope="module")
def namespace(cluster):
    """A namespace whose routes the shared Gateway admits."""
    name = f"kubeha-test-{uuid.uuid4().hex[:6]}"
    cluster.kubectl("create", "namespace", name)
    cluster.kubectl("label", "namespace", name, cluster_facts()["gateway"]["route_label"])
    yield name
    cluster.kubectl("delete", "namespace", name, "--wait=false")


@pytest.fixture(scope="module")
def urls(cluster, namespace) -> dict[str, str]:
    """Each image as a ready Deployment behind a NodePort Service: its URL on a node."""
    for tag in TAGS:
        cluster.kubectl("-n", namespace, "apply", "-f", "-", input=web_manifest(replicas=1, tag=tag, name=tag))
    urls = {}
    for tag in TAGS:
        cluster.kubectl("-n", namespace, "rollout", "status", f"deploy/{tag}", "--timeout=120s")
        svc = json.loads(cluster.kubectl("-n", namespace, "get", "svc", tag, "-o", "json").stdout)
        urls[tag] = f"http://{node_addresses(cluster)[0]}:{svc['spec']['ports'][0]['nodePort']}"
        # kube-proxy programs the NodePort on its own schedule: wait until the readiness path answers.
        eventually(lambda u=urls[tag]: http_get(f"{u}/readyz").strip() == "ready", timeout=60)
    return urls


def status_and_body(url) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_the_bad_image_is_ready_and_answers_every_request_with_500(urls):
    answers = [status_and_body(f"{urls['bad']}/") for _ in range(5)]
    assert {code for code, _ in answers} == {500}, answers
    assert all("version=bad" in body and "error=bad mode" in body for _, body in answers), answers
    assert status_and_body(f"{urls['bad']}/healthz")[0] == 200


def test_the_slow_image_is_ready_and_answers_right_but_after_800_ms(urls):
    assert status_and_body(f"{urls['slow']}/readyz") == (200, "ready\n")
    start = time.monotonic()
    code, body = status_and_body(f"{urls['slow']}/")
    took = time.monotonic() - start
    assert code == 200 and "kubeha-web version=slow" in body, body
    # The delay is what the image is for (a fixed sleep in the server), not a speed target.
    assert took >= 0.8, f"answered after {took:.3f} s"


def route(tag: str, host: str, gateway: dict) -> str:
    return json.dumps({
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"name": tag},
        "spec": {"parentRefs": [{"name": gateway["name"], "namespace": gateway["namespace"]}],
                 "hostnames": [host], "rules": [{"backendRefs": [{"name": tag, "port": 80}]}]}})


def scrape(cluster) -> list[str]:
    """The metrics text of every Traefik pod (each counts the requests it proxied)."""
    pods = json.loads(cluster.kubectl("-n", "kubeha-ingress", "get", "pods", "-l", "app=traefik", "-o", "json").stdout)
    ips = sorted(p["status"]["podIP"] for p in pods["items"]
                 if p["status"].get("podIP") and not p["metadata"].get("deletionTimestamp"))
    return [http_get(f"http://{ip}:{METRICS_PORT}/metrics") for ip in ips]


@pytest.fixture(scope="module")
def through_the_gateway(cluster, namespace, urls) -> dict[str, canary_plan.Sample]:
    """REQUESTS requests to each image through the shared Gateway; the Sample of each, summed
    over the Traefik pods, between a scrape before and one after."""
    facts = cluster_facts()
    hosts = {tag: f"{tag}-{namespace}.kubeha.test" for tag in TAGS}
    for tag in TAGS:
        cluster.kubectl("-n", namespace, "apply", "-f", "-", input=route(tag, hosts[tag], facts["gateway"]))

    def get(tag):
        req = urllib.request.Request(f"http://{facts['gateway_ip']}/", headers={"Host": hosts[tag]})
        return status_and_body(req)[0]
    eventually(lambda: get("bad") == 500 and get("slow") == 200, timeout=60)  # the routes are programmed
    before = scrape(cluster)
    for tag in TAGS:
        for _ in range(REQUESTS):
            get(tag)
    after = scrape(cluster)
    assert len(before) == len(after), "a Traefik pod came or went between the scrapes"
    samples = {}
    for tag in TAGS:
        # Traefik names a route's backend httproute-<namespace>-<route>-gw-<gateway namespace>-
        # <gateway>-ep-<entry point>-<rule>-<hash>-svc-<namespace>-<service>-<n>@kubernetesgateway.
        (service,) = {m for text in after for m in re.findall(r'service="([^"]+)"', text)
                      if m.startswith(f"httproute-{namespace}-{tag}-") and f"-svc-{namespace}-{tag}-" in m}
        parts = [canary_plan.traefik_sample(b, a, service) for b, a in zip(before, after)]
        samples[tag] = (service, parts)
    return samples


def test_traefik_counts_every_request_of_the_bad_image_as_an_error(through_the_gateway):
    service, parts = through_the_gateway["bad"]
    assert service.endswith("@kubernetesgateway"), service
    assert sum(p.requests for p in parts) == REQUESTS and sum(p.errors for p in parts) == REQUESTS, parts


def test_traefik_sees_the_slow_images_p99_above_800_ms_and_no_error(through_the_gateway):
    _, parts = through_the_gateway["slow"]
    assert sum(p.requests for p in parts) == REQUESTS and sum(p.errors for p in parts) == 0, parts
    assert all(p.p99_ms >= 800 for p in parts if p.requests), parts
