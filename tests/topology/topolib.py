"""Helpers of the topology tests: the cluster's nodes, workloads spread over them, requests sent
from the host or from inside a node's namespace. Every request goes to an address of the cluster
under test (node, pod, Service, LoadBalancer pool) and is bounded in time."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from waiting import eventually  # noqa: F401  (tests/waiting.py)

ROOT = Path(__file__).resolve().parents[2]
CLI = str(ROOT / "cluster" / "kubeha-cluster")


def cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    p = subprocess.run([CLI, *args], capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise AssertionError(f"kubeha-cluster {' '.join(args)} exited {p.returncode}:\n{p.stderr}")
    return p


@dataclass(frozen=True)
class NodeInfo:
    name: str
    ip: str

    @property
    def netns(self) -> str:
        return self.name


def nodes() -> list[NodeInfo]:
    out = cli("node-ip", "--all").stdout.split("\n")
    return [NodeInfo(*line.split()) for line in out if line.strip()]


def http_get(url: str, timeout: float = 5, netns: str | None = None) -> str:
    """GET `url` from the host, or from inside a node's network namespace."""
    if netns is None:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.read().decode()
    code = ("import sys, urllib.request; "
            "print(urllib.request.urlopen(sys.argv[1], timeout=float(sys.argv[2])).read().decode(), end='')")
    p = subprocess.run(["nsenter", f"--net=/run/netns/{netns}", sys.executable, "-c", code, url,
                        str(timeout)], capture_output=True, text=True, timeout=timeout + 5)
    if p.returncode != 0:
        raise AssertionError(f"GET {url} in {netns} failed: {p.stderr.strip()[-300:]}")
    return p.stdout


def web_manifest(name: str = "web", replicas: int = 4, tag: str = "v1",
                 service_type: str = "NodePort") -> str:
    """kubeha/web spread evenly over the nodes (hard constraint) behind a Service."""
    return f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, labels: {{app: {name}}}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  strategy: {{rollingUpdate: {{maxSurge: 1, maxUnavailable: 0}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      securityContext: {{runAsNonRoot: true, seccompProfile: {{type: RuntimeDefault}}}}
      topologySpreadConstraints:
        - {{maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule,
            nodeTaintsPolicy: Honor,
            labelSelector: {{matchLabels: {{app: {name}}}}}}}
      containers:
        - name: web
          image: kubeha/web:{tag}
          imagePullPolicy: Never
          ports: [{{name: http, containerPort: 8080}}]
          readinessProbe: {{httpGet: {{path: /readyz, port: http}}, periodSeconds: 1}}
          lifecycle: {{preStop: {{sleep: {{seconds: 3}}}}}}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {{drop: [ALL]}}
---
apiVersion: v1
kind: Service
metadata: {{name: {name}}}
spec:
  type: {service_type}
  selector: {{app: {name}}}
  ports: [{{name: http, port: 80, targetPort: http}}]
"""


def client_pod(name: str, node: str, labels: dict[str, str] | None = None) -> str:
    """A long-running client pod (restricted profile) pinned to `node`."""
    pod = {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "labels": labels or {"app": "client"}},
        "spec": {
            "nodeName": node, "terminationGracePeriodSeconds": 0,
            "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{
                "name": "client", "image": "kubeha/client:v1", "imagePullPolicy": "Never",
                "command": ["sleep", "3600"],
                "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                    "capabilities": {"drop": ["ALL"]}},
            }],
        },
    }
    return json.dumps(pod)


def pods(cluster, namespace: str, selector: str) -> list[dict]:
    out = cluster.kubectl("-n", namespace, "get", "pods", "-l", selector, "-o", "json").stdout
    return json.loads(out)["items"]


def new_namespace(cluster, prefix: str = "kubeha-topo") -> str:
    name = f"{prefix}-{uuid.uuid4().hex[:6]}"
    cluster.kubectl("create", "namespace", name)
    return name


def environ_cluster() -> str:
    return os.environ.get("KUBEHA_CLUSTER", "kubeha")


class stopped_node:
    """Context manager: drain `name`, stop it with `node-stop`; on exit start it again and
    uncordon it, whatever happened inside."""

    def __init__(self, cluster, name: str, drain: bool = True):
        self.cluster, self.name, self.drain = cluster, name, drain

    def __enter__(self):
        if self.drain:
            # --force: bare pods (test clients) have no controller to recreate them elsewhere.
            self.cluster.kubectl("drain", self.name, "--ignore-daemonsets", "--delete-emptydir-data",
                                 "--force", "--timeout=120s")
        cli("node-stop", self.name)
        return self

    def __exit__(self, *exc):
        try:
            cli("node-start", self.name)
        finally:
            self.cluster.kubectl("uncordon", self.name, check=False)
        return False
