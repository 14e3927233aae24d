"""What the molecule verifiers look at: the cluster itself (through kubectl with the admin
kubeconfig) and the HTTP answers of the app, never the playbooks' own output."""
from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "cluster" / "kubeha-cluster"
# Each scenario deploys into a namespace of its own (molecule.yml: webapp_namespace), so that
# scenarios can run side by side on the same cluster.
NAMESPACE = f"molecule-{os.environ.get('MOLECULE_SCENARIO_NAME', 'default')}"
RELEASE = "webapp"


def cluster_cli(*args: str, env: dict[str, str] | None = None) -> str:
    return subprocess.run([str(CLI), *args], check=True, text=True, capture_output=True,
                          env={**os.environ, **(env or {})}).stdout.strip()


class Kube:
    """The cluster an inventory host stands for (hosts.yml names it: kubeha_cluster_name/index)."""

    def __init__(self, host):
        self.host = host
        hostvars = host.ansible.get_variables()
        self.cluster = hostvars.get("kubeha_cluster_name", "kubeha")
        env = {"KUBEHA_CLUSTER": self.cluster,
               "KUBEHA_CLUSTER_INDEX": str(hostvars.get("kubeha_cluster_index", 0))}
        # One read of the file `up` wrote (no Python started: each CLI run costs seconds here).
        facts = json.loads(cluster_cli("facts", env=env))
        self.kubectl_bin = f"{facts['bin_dir']}/kubectl --kubeconfig {facts['kubeconfig']}"
        self.helm_bin = f"{facts['bin_dir']}/helm --kubeconfig {facts['kubeconfig']}"
        self.node_ip = facts["node_ip"]
        self.lb_pool = facts["lb_pool"]
        self.gateway_ip = facts["gateway_ip"]
        self.gateway_ca = facts["gateway"]["ca_file"]
        # The local inventory's images come from the cluster's public registry.
        self.registry = facts["registry"]["public"]

    def image(self, tag: str) -> str:
        return f"{self.registry}/kubeha/web:{tag}"

    def kubectl(self, args: str, stdin: str | None = None) -> str:
        cmd = f"{self.kubectl_bin} -n {NAMESPACE} {args}"
        if stdin is not None:
            cmd = f"printf '%s' {json.dumps(stdin)} | {cmd}"
        out = self.host.run(cmd)
        assert out.rc == 0, f"{args}: {out.stderr}"
        return out.stdout

    def json(self, args: str) -> dict:
        return json.loads(self.kubectl(args + " -o json"))

    def history(self) -> list[dict]:
        out = self.host.run(f"{self.helm_bin} -n {NAMESPACE} history {RELEASE} -o json")
        assert out.rc == 0, out.stderr
        return json.loads(out.stdout)

    def live_pods(self) -> list[dict]:
        pods = self.json(f"get pods -l app.kubernetes.io/instance={RELEASE}")["items"]
        return [p for p in pods if not p["metadata"].get("deletionTimestamp")]

    def nodeport_body(self) -> str:
        port = self.json(f"get svc {RELEASE}")["spec"]["ports"][0]["nodePort"]
        out = self.host.run(f"curl -fsS -m 5 http://{self.node_ip}:{port}/")
        assert out.rc == 0, out.stderr
        return out.stdout

    def clusterip_body_from_a_pod(self) -> str:
        """GET / of the Service by its DNS name from a short-lived restricted client pod."""
        name = f"verify-{uuid.uuid4().hex[:6]}"
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": {
            "restartPolicy": "Never",
            "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{"name": "c", "image": "kubeha/client:v1", "imagePullPolicy": "Never",
                            "command": ["wget", "-qO-", "-T", "5", f"http://{RELEASE}/"],
                            "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                                "capabilities": {"drop": ["ALL"]}}}]}}
        self.kubectl("apply -f -", stdin=json.dumps(pod))
        try:
            self.kubectl(f"wait pod/{name} --timeout=60s --for=jsonpath={{.status.phase}}=Succeeded")
            return self.kubectl(f"logs {name}")
        finally:
            self.kubectl(f"delete pod {name} --wait=false")


def eventually(probe, timeout: float = 90, interval: float = 1):
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        try:
            last = probe()
            if last:
                return last
        except AssertionError as e:
            last = e
        time.sleep(interval)
    raise AssertionError(f"not met within {timeout}s: {last!r}")
