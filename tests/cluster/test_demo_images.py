"""The "ready but wrong" demo images on the real cluster: kubeha/web:bad and kubeha/web:slow pass
their readiness probe (a rollout of them completes, as a bad release's would), then `bad` answers
every request to / with HTTP 500 and `slow` answers it, correctly, after 800 ms. They are what
progressive delivery is tested against: failures only real traffic shows."""
from __future__ import annotations

import json
import string
import time
import urllib.error
import urllib.request

import pytest
from conftest import eventually, http_get, node_addresses  # tests/cluster/conftest.py

pytestmark = pytest.mark.cluster

MANIFEST = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: "${TAG}"}
spec:
  replicas: 1
  selector: {matchLabels: {app: "${TAG}"}}
  template:
    metadata: {labels: {app: "${TAG}"}}
    spec:
      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
      containers:
        - name: web
          image: kubeha/web:${TAG}
          imagePullPolicy: Never
          ports: [{name: http, containerPort: 8080}]
          readinessProbe: {httpGet: {path: /readyz, port: http}, periodSeconds: 1}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {drop: [ALL]}
---
apiVersion: v1
kind: Service
metadata: {name: "${TAG}"}
spec:
  type: NodePort
  selector: {app: "${TAG}"}
  ports: [{name: http, port: 80, targetPort: http}]
"""
TAGS = ("bad", "slow")


@pytest.fixture(scope="module")
def urls(cluster, namespace) -> dict[str, str]:
    """Each image as a ready Deployment behind a NodePort Service: its URL on a node."""
    for tag in TAGS:
        cluster.kubectl("-n", namespace, "apply", "-f", "-", input=string.Template(MANIFEST).substitute(TAG=tag))
    urls = {}
    for tag in TAGS:
        cluster.kubectl("-n", namespace, "rollout", "status", f"deploy/{tag}", "--timeout=120s")
        svc = json.loads(cluster.kubectl("-n", namespace, "get", "svc", tag, "-o", "json").stdout)
        urls[tag] = f"http://{node_addresses(cluster)[0]}:{svc['spec']['ports'][0]['nodePort']}"
        # kube-proxy programs the NodePort on its own schedule: wait until the readiness path answers.
        eventually(lambda u=urls[tag]: http_get(f"{u}/readyz").strip() == "ready", timeout=60)
    return urls


def status_and_body(url: str) -> tuple[int, str]:
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
