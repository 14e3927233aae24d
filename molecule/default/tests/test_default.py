"""After deploy: the release serves v1 on every access path, with every replica ready."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared"))
from kubeha_checks import NAMESPACE, Kube  # noqa: E402


@pytest.fixture(scope="module")
def kube(host):
    return Kube(host)


def test_release_is_deployed_with_every_replica_ready(kube):
    deploy = kube.json("get deployment webapp")
    assert deploy["status"]["readyReplicas"] == deploy["spec"]["replicas"] >= 2
    assert deploy["spec"]["template"]["spec"]["containers"][0]["image"] == kube.image("v1")
    assert kube.history()[-1]["status"] == "deployed"


def test_clusterip_answers_v1_from_inside_the_cluster(kube):
    assert "kubeha-web version=v1" in kube.clusterip_body_from_a_pod()


def test_nodeport_answers_v1_on_the_node_address(kube):
    assert "kubeha-web version=v1" in kube.nodeport_body()


def test_namespace_enforces_the_restricted_pod_security_profile(kube):
    ns = kube.json(f"get namespace {NAMESPACE}")
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
