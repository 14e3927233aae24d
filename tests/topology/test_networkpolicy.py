"""The chart's NetworkPolicy is enforced (kube-network-policies on every node): a pod outside the
allowed selector gets no answer, an allowed one does, from either node, and DNS still works."""
from __future__ import annotations

import json
import subprocess

import pytest
from topolib import ROOT, client_pod, eventually

pytestmark = pytest.mark.cluster

CHART = ROOT / "charts" / "webapp"
LOCAL_VALUES = CHART / "ci" / "local-values.yaml"


@pytest.fixture(scope="module")
def policy_app(cluster, namespace, workers):
    """The chart with its NetworkPolicy on (only pods labelled role=allowed, egress only DNS)
    and one allowed and one denied client pod on each node; yields (service DNS name, clients)."""
    cluster.helm("upgrade", "--install", "np", str(CHART), "-n", namespace, "-f", str(LOCAL_VALUES),
                 "--set", "networkPolicy.enabled=true",
                 "--set", "networkPolicy.allowSameNamespace=false",
                 "--set", "networkPolicy.allowPods[0].role=allowed",
                 "--set", "networkPolicy.egress.restrict=true",
                 "--wait", "--timeout", "180s", timeout=240)
    svc = json.loads(cluster.kubectl("-n", namespace, "get", "svc", "-l",
                                     "app.kubernetes.io/instance=np", "-o", "json").stdout)["items"][0]
    port = svc["spec"]["ports"][0]["port"]
    clients = {}
    for i, node in enumerate(workers):
        for role in ("allowed", "denied"):
            name = f"np-{role}-{i + 1}"
            cluster.kubectl("-n", namespace, "apply", "-f", "-",
                            input=client_pod(name, node.name, {"role": role}))
            clients[name] = role
    for name in clients:
        cluster.kubectl("-n", namespace, "wait", f"pod/{name}", "--for=condition=Ready",
                        "--timeout=120s")
    url = f"http://{svc['metadata']['name']}.{namespace}.svc.cluster.local:{port}/"
    return url, clients


def fetch(cluster, namespace, pod, url):
    return cluster.kubectl("-n", namespace, "exec", pod, "--", "curl", "-s", "-m", "3", url,
                           check=False, timeout=30)


def test_an_allowed_pod_on_every_node_gets_an_answer_by_service_name(cluster, namespace, policy_app):
    url, clients = policy_app
    for pod in (p for p, role in clients.items() if role == "allowed"):
        p = eventually(lambda: (lambda r: r if r.returncode == 0 else None)(
            fetch(cluster, namespace, pod, url)), 60)
        assert "kubeha-web version=v1" in p.stdout


def test_a_pod_outside_the_selector_gets_no_answer_from_either_node(cluster, namespace, policy_app):
    url, clients = policy_app
    for pod in (p for p, role in clients.items() if role == "denied"):
        eventually(lambda: fetch(cluster, namespace, pod, url).returncode != 0, 60)
        for _ in range(3):  # and it stays that way
            p = fetch(cluster, namespace, pod, url)
            assert p.returncode != 0 and "kubeha-web" not in p.stdout


def test_dns_still_answers_every_client(cluster, namespace, policy_app):
    url, clients = policy_app
    name = url.split("/")[2].split(":")[0]
    for pod in clients:
        p = cluster.kubectl("-n", namespace, "exec", pod, "--", "nslookup", name, timeout=30)
        assert "Address" in p.stdout and name in p.stdout


def test_the_policy_is_enforced_by_kube_network_policies_on_every_node(cluster, workers, policy_app):
    """Its process runs on every node, and its rules are loaded there: the policied pods' packets
    go to its queue through the xtables NFQUEUE target (this kernel has no nftables `queue`;
    `nft` prints the target as `queue num 98`)."""
    status = __import__("topolib").cli("status").stdout
    for node in workers:
        line = next((row for row in status.splitlines()
                     if row.startswith(f"{node.name}-kube-network-policies")), "")
        assert "running" in line, status
        rules = subprocess.run(["nsenter", f"--net=/run/netns/{node.netns}", "nft", "list", "table",
                                "inet", "kube-network-policies"],
                               capture_output=True, text=True, timeout=30)
        assert rules.returncode == 0, rules.stderr
        assert "queue num 98" in rules.stdout, rules.stdout
