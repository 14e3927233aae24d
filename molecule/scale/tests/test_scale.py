"""After scaling 1 → 10 → 2: two ready replicas, recorded in the release, and self-healing."""
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared"))
from kubeha_checks import NAMESPACE, RELEASE, Kube, eventually  # noqa: E402


@pytest.fixture(scope="module")
def kube(host):
    return Kube(host)


def ready_pods(kube):
    return [p["metadata"]["name"] for p in kube.live_pods()
            if any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions", []))]


def test_two_replicas_are_ready(kube):
    deploy = kube.json(f"get deployment {RELEASE}")
    assert deploy["spec"]["replicas"] == 2
    eventually(lambda: len(ready_pods(kube)) == 2)


def test_the_release_values_hold_the_replica_count(kube):
    out = kube.host.run(f"{kube.helm_bin} -n {NAMESPACE} get values {RELEASE} -o json")
    assert out.rc == 0, out.stderr
    assert json.loads(out.stdout)["replicas"] == 2


def test_a_deleted_pod_is_replaced_while_the_service_keeps_answering(kube):
    victim = ready_pods(kube)[0]
    kube.kubectl(f"delete pod {victim} --wait=false")
    # The Service answers throughout: the deleted pod leaves the endpoints before it stops.
    for attempt in range(20):
        assert "version=v1" in kube.nodeport_body()
    eventually(lambda: victim not in ready_pods(kube) and len(ready_pods(kube)) == 2)
