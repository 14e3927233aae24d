"""Fixtures for the local cluster's own tests."""
from __future__ import annotations

import json
import os
import string
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import pytest
from waiting import eventually  # tests/waiting.py; the tests here import it from this module too

CLI = str(Path(__file__).resolve().parents[2] / "cluster" / "kubeha-cluster")
# The cluster under test: the one the environment names, as for kubeha-cluster itself
# (KUBEHA_CLUSTER=kgw KUBEHA_CLUSTER_INDEX=2 pytest tests/cluster runs them on a cluster of its own).
CLUSTER_NAME = os.environ.get("KUBEHA_CLUSTER", "kubeha")
CLUSTER_INDEX = int(os.environ.get("KUBEHA_CLUSTER_INDEX", "0"))


def cluster_facts() -> dict:
    """`kubeha-cluster facts` of the cluster under test."""
    return json.loads(subprocess.run([CLI, "facts"], check=True, capture_output=True, text=True).stdout)


def web_manifest(replicas: int = 3, service_type: str = "NodePort", tag: str = "v1", name: str = "web") -> str:
    """kubeha/web:<tag> as a Deployment `name` behind a Service `name` (port 80)."""
    return string.Template(WEB_MANIFEST).substitute(REPLICAS=replicas, SERVICE_TYPE=service_type, TAG=tag, NAME=name)


WEB_MANIFEST = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: "${NAME}", labels: {app: "${NAME}"}}
spec:
  replicas: ${REPLICAS}
  revisionHistoryLimit: 5
  selector: {matchLabels: {app: "${NAME}"}}
  strategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  template:
    metadata: {labels: {app: "${NAME}"}}
    spec:
      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
      containers:
        - name: web
          image: kubeha/web:${TAG}
          imagePullPolicy: Never
          ports: [{name: http, containerPort: 8080}]
          readinessProbe: {httpGet: {path: /readyz, port: http}, periodSeconds: 1}
          # Keep serving while the endpoint removal reaches kube-proxy (the sleep action is
          # built into the kubelet: the image needs no sleep binary).
          lifecycle: {preStop: {sleep: {seconds: 3}}}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {drop: [ALL]}
---
apiVersion: v1
kind: Service
metadata: {name: "${NAME}"}
spec:
  type: ${SERVICE_TYPE}
  selector: {app: "${NAME}"}
  ports: [{name: http, port: 80, targetPort: http}]
"""


def run_client(cluster, namespace: str, script: str, timeout: int = 120) -> str:
    """Run `script` in a short-lived client pod (restricted profile) and return its output.
    The pod runs to completion before its log is read, so no line is lost to a late attach."""
    name = f"client-{uuid.uuid4().hex[:6]}"
    pod = {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
        "spec": {
            "restartPolicy": "Never",
            "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{
                "name": "client", "image": "kubeha/client:v1", "imagePullPolicy": "Never",
                "command": ["sh", "-c", script],
                "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                    "capabilities": {"drop": ["ALL"]}},
            }],
        },
    }
    cluster.kubectl("-n", namespace, "apply", "-f", "-", input=json.dumps(pod))
    try:
        cluster.kubectl("-n", namespace, "wait", f"pod/{name}", f"--timeout={timeout}s",
                        "--for=jsonpath={.status.phase}=Succeeded", check=False, timeout=timeout + 10)
        return cluster.kubectl("-n", namespace, "logs", name).stdout
    finally:
        cluster.kubectl("-n", namespace, "delete", "pod", name, "--wait=false")


def http_get_in_netns(netns: str, url: str, timeout: float = 5) -> str:
    """GET `url` from inside a node's network namespace (only the cluster's own addresses)."""
    code = ("import sys, urllib.request; "
            "print(urllib.request.urlopen(sys.argv[1], timeout=float(sys.argv[2])).read().decode(), end='')")
    p = subprocess.run(["nsenter", f"--net=/run/netns/{netns}", sys.executable, "-c", code, url, str(timeout)],
                       capture_output=True, text=True, timeout=timeout + 5)
    if p.returncode != 0:
        raise AssertionError(f"GET {url} in {netns} failed: {p.stderr.strip()}")
    return p.stdout


@pytest.fixture(scope="module")
def namespace(cluster):
    name = f"kubeha-test-{uuid.uuid4().hex[:6]}"
    cluster.kubectl("create", "namespace", name)
    yield name
    cluster.kubectl("delete", "namespace", name, "--wait=false")


@pytest.fixture(scope="module")
def web(cluster, namespace):
    """A 3-replica Deployment of kubeha/web:v1 behind a NodePort Service; yields its nodePort."""
    cluster.kubectl("-n", namespace, "apply", "-f", "-", input=web_manifest())
    cluster.kubectl("-n", namespace, "rollout", "status", "deploy/web", "--timeout=120s")
    svc = json.loads(cluster.kubectl("-n", namespace, "get", "svc", "web", "-o", "json").stdout)
    node_port = svc["spec"]["ports"][0]["nodePort"]
    # Ready pods are not yet a ready Service: each node's kube-proxy programs the endpoints on its
    # own schedule, and until it has, its ClusterIP rule rejects connections. kube-proxy writes the
    # NodePort and ClusterIP rules of a Service in one sync, so a NodePort that answers on every
    # node means a client pod on any node reaches the ClusterIP.
    for node_ip in node_addresses(cluster):
        eventually(lambda ip=node_ip: "version=v1" in http_get(f"http://{ip}:{node_port}/"), timeout=60)
    return node_port


def node_addresses(cluster) -> list[str]:
    nodes = json.loads(cluster.kubectl("get", "nodes", "-o", "json").stdout)["items"]
    return [a["address"] for n in nodes for a in n["status"]["addresses"] if a["type"] == "InternalIP"]


def http_get(url: str, timeout: float = 3) -> str:
    """GET a cluster address (node or LoadBalancer) from the host."""
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()
