"""Several worker nodes for real: pods spread over them, pods on different nodes reach each other
with their own addresses, a Service answers on every node from pods of every node, and a node can
be stopped and started again (node-stop / node-start) while the Service keeps answering."""
from __future__ import annotations

import json
import time

import pytest
from topolib import cli, eventually, http_get, pods, stopped_node

pytestmark = pytest.mark.cluster


def test_every_worker_is_ready(cluster, workers):
    items = json.loads(cluster.kubectl("get", "nodes", "-o", "json").stdout)["items"]
    ready = {n["metadata"]["name"] for n in items
             if {c["type"]: c["status"] for c in n["status"]["conditions"]}["Ready"] == "True"}
    assert {w.name for w in workers} <= ready


def test_replicas_spread_over_every_worker(cluster, namespace, web, workers):
    on = {p["spec"]["nodeName"] for p in pods(cluster, namespace, "app=web")}
    assert on == {w.name for w in workers}


def test_pods_on_different_nodes_reach_each_other_with_their_own_address(
        cluster, namespace, web, clients, kexec, workers):
    for node, client in clients.items():
        client_ip = json.loads(cluster.kubectl("-n", namespace, "get", "pod", client, "-o",
                                               "json").stdout)["status"]["podIP"]
        for pod in pods(cluster, namespace, "app=web"):
            if pod["spec"]["nodeName"] == node:
                continue
            body = kexec(client, "curl", "-s", "-m", "5", f"http://{pod['status']['podIP']}:8080/").stdout
            assert pod["metadata"]["name"] in body
            # The server's node sees the client pod's own address (no masquerading between
            # nodes), which is what NetworkPolicy decides on.
            peer = next(w for w in workers if w.name == pod["spec"]["nodeName"])
            seen = eventually(lambda: _conntrack_sources(peer.netns, pod["status"]["podIP"]), 10)
            assert client_ip in seen


def _conntrack_sources(netns: str, dst: str) -> set[str]:
    import subprocess
    out = subprocess.run(["nsenter", f"--net=/run/netns/{netns}", "conntrack", "-L", "-p", "tcp",
                          "-d", dst], capture_output=True, text=True, timeout=10).stdout
    return {f.split("=", 1)[1] for line in out.splitlines() for f in line.split()[:6]
            if f.startswith("src=")}


def test_the_service_answers_through_every_node_from_pods_on_every_node(
        cluster, namespace, web, workers):
    by_pod = {p["metadata"]["name"]: p["spec"]["nodeName"] for p in pods(cluster, namespace, "app=web")}
    for node in workers:
        served_from = set()
        for _ in range(200):  # bounded; endpoints of a fresh rollout reach every node's proxy within a second or two
            body = http_get(f"http://{node.ip}:{web}/")
            served_from.add(by_pod[body.split("host=")[1].strip()])
            if served_from == {w.name for w in workers}:
                break
            time.sleep(0.05)
        assert served_from == {w.name for w in workers}, f"via {node.name}"


@pytest.mark.disruptive
def test_a_stopped_node_goes_not_ready_the_service_keeps_answering_and_it_comes_back(
        cluster, namespace, web, workers):
    victim, survivor = workers[-1], workers[0]
    with stopped_node(cluster, victim.name):
        status = cli("status").stdout
        assert f"{victim.name}-kubelet" in status and "stopped (node-stop)" in status

        def not_ready():
            node = json.loads(cluster.kubectl("get", "node", victim.name, "-o", "json").stdout)
            return {c["type"]: c["status"] for c in node["status"]["conditions"]}["Ready"] != "True"
        eventually(not_ready, 90, 1)
        for _ in range(20):
            assert "kubeha-web version=v1" in http_get(f"http://{survivor.ip}:{web}/")

    def ready():
        node = json.loads(cluster.kubectl("get", "node", victim.name, "-o", "json").stdout)
        return {c["type"]: c["status"] for c in node["status"]["conditions"]}["Ready"] == "True"
    eventually(ready, 90, 1)
    assert cli("status").stdout.rstrip().endswith(": up")
