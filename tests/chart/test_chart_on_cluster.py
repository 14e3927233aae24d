"""The webapp chart on the project's real local cluster, with the local kubeha/web images.

One release goes through a life in a namespace that enforces Pod Security "restricted":
install v1, `helm test`, upgrade to v2, switch the Service NodePort -> ClusterIP -> LoadBalancer
-> NodePort, roll back to the first revision.
The tests run in file order and build on each other; the namespace is deleted at the end.
"""
from __future__ import annotations

import json
import random
import secrets
import time
import urllib.error
import urllib.request

import pytest

from chartlib import CHART, CI_DIR, KUBE_MINOR

pytestmark = pytest.mark.cluster

RELEASE = "web"
FULLNAME = "web-webapp"
LOCAL_VALUES = str(CI_DIR / "local-values.yaml")
# A pinned node port few other tests would pick; random so parallel runs rarely collide.
NODE_PORT = random.Random().randint(31000, 31999)


@pytest.fixture(scope="module")
def ns(cluster):
    name = f"webapp-e2e-{secrets.token_hex(3)}"
    cluster.kubectl("create", "namespace", name)
    cluster.kubectl("label", "namespace", name,
                    "pod-security.kubernetes.io/enforce=restricted",
                    "pod-security.kubernetes.io/enforce-version=latest",
                    "pod-security.kubernetes.io/warn=restricted")
    yield name
    cluster.helm("uninstall", RELEASE, "-n", name, "--wait", "--timeout", "120s", check=False)
    cluster.kubectl("delete", "namespace", name, "--wait=true", "--timeout=180s", check=False, timeout=240)


def helm_upgrade(cluster, ns, *args, wait=True):
    argv = ["upgrade", "--install", RELEASE, str(CHART), "-n", ns, "-f", LOCAL_VALUES, *args]
    if wait:
        argv += ["--wait", "--timeout", "180s"]
    proc = cluster.helm(*argv, timeout=240)
    if wait:
        # helm's --wait returns once the new pods are ready; old ones may still be in their
        # preStop pause. The rollout is over when only the new ReplicaSet's pods are left.
        cluster.kubectl("rollout", "status", f"deployment/{FULLNAME}", "-n", ns, "--timeout=120s")
        wait_until_only_current_pods(cluster, ns)
    return proc


def wait_until_only_current_pods(cluster, ns, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = cluster.kubectl("get", "pods", "-n", ns, "-l",
                              f"app.kubernetes.io/name=webapp,app.kubernetes.io/instance={RELEASE}",
                              "-o", "json").stdout
        if not any(p["metadata"].get("deletionTimestamp") for p in json.loads(out)["items"]):
            return
        time.sleep(1)
    raise AssertionError(f"old pods of {FULLNAME} still terminating after {timeout}s")


def get(cluster, ns, kind, name=FULLNAME) -> dict:
    return json.loads(cluster.kubectl("get", kind, name, "-n", ns, "-o", "json").stdout)


def app_pods(cluster, ns) -> list[dict]:
    out = cluster.kubectl("get", "pods", "-n", ns, "-l",
                          f"app.kubernetes.io/name=webapp,app.kubernetes.io/instance={RELEASE}", "-o", "json").stdout
    return [p for p in json.loads(out)["items"] if not p["metadata"].get("deletionTimestamp")]


def helm_test(cluster, ns) -> str:
    proc = cluster.helm("test", RELEASE, "-n", ns, "--logs", "--timeout", "120s", timeout=180)
    return proc.stdout


def http_get(url: str, timeout: float = 3) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 (a test's own cluster)
        return resp.read().decode()


def wait_for_body(url: str, text: str, within: float = 60) -> str:
    deadline = time.monotonic() + within
    last = ""
    while time.monotonic() < deadline:
        try:
            last = http_get(url)
            if text in last:
                return last
        except (OSError, urllib.error.URLError) as exc:
            last = repr(exc)
        time.sleep(1)
    raise AssertionError(f"{url} never answered with {text!r}; last answer: {last}")


def test_install_v1_into_a_restricted_namespace(cluster, ns):
    proc = helm_upgrade(cluster, ns)
    # NOTES tell how to reach a ClusterIP Service.
    assert f"kubectl -n {ns} port-forward service/{FULLNAME} 8080:80 &" in proc.stdout
    deploy = get(cluster, ns, "deployment")
    assert deploy["status"].get("readyReplicas") == 2
    pods = app_pods(cluster, ns)
    assert len(pods) == 2
    assert all(p["status"]["phase"] == "Running" for p in pods)
    assert {c["image"] for p in pods for c in p["spec"]["containers"]} == {"kubeha/web:v1"}


def test_the_running_pods_satisfy_the_restricted_profile(cluster, ns):
    # Changing the enforced policy (here its version, latest -> the cluster's minor) makes the
    # API server check every running pod against it; a violation comes back as a warning.
    proc = cluster.kubectl("label", "--dry-run=server", "--overwrite", "namespace", ns,
                           f"pod-security.kubernetes.io/enforce-version=v{KUBE_MINOR}")
    assert "Warning" not in proc.stderr, proc.stderr
    events = cluster.kubectl("get", "events", "-n", ns, "-o", "json").stdout
    assert "violates PodSecurity" not in events


def test_helm_test_passes_on_v1(cluster, ns):
    logs = helm_test(cluster, ns)
    assert "PASS" in logs and "version=v1" in logs, logs


def test_upgrade_v1_to_v2_changes_the_answer(cluster, ns):
    helm_upgrade(cluster, ns, "--set", "image.tag=v2", "--set", "tests.expectedBody=version=v2",
                 "--set", "changeCause=upgrade to v2")
    deploy = get(cluster, ns, "deployment")
    assert deploy["metadata"]["annotations"]["kubernetes.io/change-cause"] == "upgrade to v2"
    assert deploy["status"].get("updatedReplicas") == 2 and deploy["status"].get("readyReplicas") == 2
    assert {c["image"] for p in app_pods(cluster, ns) for c in p["spec"]["containers"]} == {"kubeha/web:v2"}
    logs = helm_test(cluster, ns)
    assert "version=v2" in logs, logs
    history = cluster.kubectl("rollout", "history", f"deployment/{FULLNAME}", "-n", ns).stdout
    assert "upgrade to v2" in history


V2 = ("--set", "image.tag=v2", "--set", "tests.expectedBody=version=v2")


def test_service_type_switches_upgrade_cleanly(cluster, ns):
    cluster_ip = get(cluster, ns, "service")["spec"]["clusterIP"]
    node_url = f"http://{cluster.node_ip}:{NODE_PORT}/"

    proc = helm_upgrade(cluster, ns, *V2, "--set", "service.type=NodePort", "--set", f"service.nodePort={NODE_PORT}")
    spec = get(cluster, ns, "service")["spec"]
    assert spec["type"] == "NodePort" and spec["ports"][0]["nodePort"] == NODE_PORT
    assert f'curl "http://${{NODE_IP}}:{NODE_PORT}/"' in proc.stdout  # NOTES
    assert "version=v2" in wait_for_body(node_url, "version=v2")

    helm_upgrade(cluster, ns, *V2, "--set", "service.type=ClusterIP")
    spec = get(cluster, ns, "service")["spec"]
    assert spec["type"] == "ClusterIP"
    assert "nodePort" not in spec["ports"][0]
    assert "version=v2" in helm_test(cluster, ns)

    # No load balancer implementation runs locally: the address stays pending, so no --wait.
    helm_upgrade(cluster, ns, *V2, "--set", "service.type=LoadBalancer", wait=False)
    spec = get(cluster, ns, "service")["spec"]
    assert spec["type"] == "LoadBalancer"
    assert 30000 <= spec["ports"][0]["nodePort"] <= 32767

    helm_upgrade(cluster, ns, *V2, "--set", "service.type=NodePort", "--set", f"service.nodePort={NODE_PORT}")
    spec = get(cluster, ns, "service")["spec"]
    assert spec["type"] == "NodePort" and spec["ports"][0]["nodePort"] == NODE_PORT
    # The Service was updated in place each time, never replaced.
    assert spec["clusterIP"] == cluster_ip
    assert "version=v2" in wait_for_body(node_url, "version=v2")


# Zero dropped requests during a rollout of the chart's defaults is proven under load (vegeta,
# 200 req/s) by tests/topology/test_zero_downtime.py.


def test_rollback_restores_the_deployment_and_the_service(cluster, ns):
    history = json.loads(cluster.helm("history", RELEASE, "-n", ns, "-o", "json").stdout)
    # Revision 1 was v1 behind a ClusterIP Service; the release now runs v2 behind a NodePort.
    assert history[0]["revision"] == 1
    cluster.helm("rollback", RELEASE, "1", "-n", ns, "--wait", "--timeout", "180s", timeout=240)
    cluster.kubectl("rollout", "status", f"deployment/{FULLNAME}", "-n", ns, "--timeout=120s")
    wait_until_only_current_pods(cluster, ns)
    spec = get(cluster, ns, "service")["spec"]
    assert spec["type"] == "ClusterIP"
    assert "nodePort" not in spec["ports"][0]
    assert {c["image"] for p in app_pods(cluster, ns) for c in p["spec"]["containers"]} == {"kubeha/web:v1"}
    assert "version=v1" in helm_test(cluster, ns)
    status = json.loads(cluster.helm("status", RELEASE, "-n", ns, "-o", "json").stdout)
    assert status["info"]["status"] == "deployed"


def test_bad_values_install_nothing(cluster, ns):
    proc = cluster.helm("upgrade", "--install", "typo", str(CHART), "-n", ns, "-f", LOCAL_VALUES,
                        "--set", "replicaCount=3", check=False)
    assert proc.returncode != 0
    assert "additional properties 'replicaCount' not allowed" in proc.stderr
    assert cluster.helm("status", "typo", "-n", ns, check=False).returncode != 0
    leftovers = cluster.kubectl("get", "all", "-n", ns, "-l", "app.kubernetes.io/instance=typo", "-o", "name").stdout
    assert leftovers.strip() == ""
