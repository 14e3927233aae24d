"""The local cluster behaves like a real Kubernetes: nodes, admission, scheduling, Services,
DNS, NodePorts, rollouts and self-healing, all against real processes and real traffic."""
from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import pytest
from conftest import CLUSTER_NAME, eventually, http_get_in_netns, run_client  # tests/cluster/conftest.py

pytestmark = pytest.mark.cluster

# The main cluster's Kubernetes (cluster/versions.env).
PINNED = re.search(r"^KUBERNETES_VERSION=(\S+)", (Path(__file__).resolve().parents[2] / "cluster" / "versions.env")
                   .read_text(), re.M).group(1)


def body_via_nodeport(cluster, port: int) -> str:
    with urllib.request.urlopen(f"http://{cluster.node_ip}:{port}/", timeout=5) as r:
        return r.read().decode()


def test_node_is_ready_and_runs_the_pinned_kubernetes(cluster):
    nodes = json.loads(cluster.kubectl("get", "nodes", "-o", "json").stdout)["items"]
    assert nodes, "no node registered"
    for node in nodes:
        ready = {c["type"]: c["status"] for c in node["status"]["conditions"]}["Ready"]
        assert ready == "True", node["metadata"]["name"]
        assert node["status"]["nodeInfo"]["kubeletVersion"] == PINNED
        assert node["status"]["nodeInfo"]["containerRuntimeVersion"].startswith("containerd://2.")
    version = json.loads(cluster.kubectl("version", "-o", "json").stdout)
    assert version["serverVersion"]["gitVersion"] == PINNED
    assert version["clientVersion"]["gitVersion"] == PINNED


def test_pod_security_admission_rejects_a_privileged_pod_in_a_restricted_namespace(cluster, namespace):
    ns = f"{namespace}-restricted"
    cluster.kubectl("create", "namespace", ns)
    try:
        cluster.kubectl("label", "namespace", ns, "pod-security.kubernetes.io/enforce=restricted")
        p = cluster.kubectl("-n", ns, "run", "priv", "--image=kubeha/web:v1", "--image-pull-policy=Never",
                            '--overrides={"spec":{"containers":[{"name":"priv","image":"kubeha/web:v1",'
                            '"securityContext":{"privileged":true}}]}}', check=False)
        assert p.returncode != 0
        assert "violates PodSecurity" in p.stderr and "privileged" in p.stderr
    finally:
        cluster.kubectl("delete", "namespace", ns, "--wait=false")


def test_rbac_denies_a_service_account_that_has_no_binding(cluster, namespace):
    p = cluster.kubectl("auth", "can-i", "create", "deployments", "-n", namespace,
                        f"--as=system:serviceaccount:{namespace}:default", check=False)
    assert p.stdout.strip() == "no"


def test_three_replicas_serve_through_the_clusterip_service_from_a_pod(cluster, namespace, web):
    # The name resolves through the cluster DNS; the ClusterIP spreads requests over the replicas.
    out = run_client(cluster, namespace,
                     "for i in $(seq 30); do wget -qO- -T 3 http://web/ || echo FAILED; done")
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 30 and "FAILED" not in out, out
    assert all("version=v1" in line for line in lines), out
    hosts = {line.split("host=")[1] for line in lines}
    assert len(hosts) >= 2, f"all 30 requests went to {hosts}"


def test_cluster_dns_resolves_service_names_from_a_pod(cluster, namespace, web):
    out = run_client(cluster, namespace, f"nslookup web.{namespace}.svc.cluster.local")
    svc_ip = cluster.kubectl("-n", namespace, "get", "svc", "web", "-o", "jsonpath={.spec.clusterIP}").stdout
    assert svc_ip in out, out


def test_nodeport_answers_on_the_node_address_from_the_host(cluster, web):
    assert "version=v1" in body_via_nodeport(cluster, web)


def test_nodeport_answers_on_localhost_of_the_node(cluster, web):
    node_ns = json.loads(cluster.kubectl("get", "nodes", "-o", "json").stdout)["items"][0]["metadata"]["name"]
    assert "version=v1" in http_get_in_netns(node_ns, f"http://127.0.0.1:{web}/")


def test_rolling_update_and_rollout_undo(cluster, namespace, web):
    kubectl = cluster.kubectl
    kubectl("-n", namespace, "set", "image", "deploy/web", "web=kubeha/web:v2")
    kubectl("-n", namespace, "rollout", "status", "deploy/web", "--timeout=120s")
    eventually(lambda: "version=v2" in body_via_nodeport(cluster, web))
    kubectl("-n", namespace, "rollout", "undo", "deploy/web")
    kubectl("-n", namespace, "rollout", "status", "deploy/web", "--timeout=120s")

    def images_of_live_pods():  # pods of the old ReplicaSet may still be terminating
        pods = json.loads(kubectl("-n", namespace, "get", "pods", "-l", "app=web", "-o", "json").stdout)["items"]
        return {p["spec"]["containers"][0]["image"] for p in pods if not p["metadata"].get("deletionTimestamp")}

    eventually(lambda: images_of_live_pods() == {"kubeha/web:v1"})
    # v2 pods still in their preStop pause may answer for a moment; then only v1 does.
    eventually(lambda: all("version=v1" in body_via_nodeport(cluster, web) for _ in range(10)))
    history = kubectl("-n", namespace, "rollout", "history", "deploy/web").stdout
    assert [line.split()[0] for line in history.splitlines()[2:] if line.strip()] == ["2", "3"], history


def test_a_deleted_pod_is_replaced_and_the_service_keeps_answering(cluster, namespace, web):
    kubectl = cluster.kubectl

    def pods():
        return json.loads(kubectl("-n", namespace, "get", "pods", "-l", "app=web", "-o", "json").stdout)["items"]

    # Pods of the earlier rollout may still be terminating: the victim is a live one.
    victim = next(p["metadata"]["name"] for p in pods() if not p["metadata"].get("deletionTimestamp"))
    kubectl("-n", namespace, "delete", "pod", victim, "--wait=false")
    assert "version=v1" in body_via_nodeport(cluster, web)

    def replaced():
        ready = [p["metadata"]["name"] for p in pods()
                 if p["metadata"].get("deletionTimestamp") is None
                 and any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions", []))]
        return victim not in ready and len(ready) == 3 and ready

    eventually(replaced, timeout=90)


def test_the_clusters_own_processes_share_one_cpu_cgroup_beside_the_pods(cluster):
    """Control plane, node daemons and container shims count as one CPU consumer for the
    machine's scheduler (see Cluster.cpu_group), and the facts file names the kubeconfig."""
    from pathlib import Path
    group = Path(f"/sys/fs/cgroup/cpu/kubeha/system-{CLUSTER_NAME}")
    pids = {int(p) for p in (group / "cgroup.procs").read_text().split()}
    names = set()
    for pid in pids:
        try:
            names.add(Path(f"/proc/{pid}/comm").read_text().strip())
        except OSError:
            pass
    for component in ("etcd", "kube-apiserver", "kubelet", "containerd", "kube-proxy"):
        assert component in names, f"{component} is not in {group}: {sorted(names)}"
    facts = json.loads(Path(f"/var/lib/kubeha/{CLUSTER_NAME}/facts.json").read_text())
    assert facts["kubeconfig"] == str(cluster.kubeconfig)
