"""v1 → v2 → rollback → broken upgrade: the release ends rolled back by itself, v1 serving."""
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared"))
from kubeha_checks import NAMESPACE, RELEASE, Kube, eventually  # noqa: E402


@pytest.fixture(scope="module")
def kube(host):
    return Kube(host)


def test_the_last_revision_rolls_back_over_the_broken_one(kube):
    history = kube.history()
    assert history[-1]["status"] == "deployed", history
    assert history[-1]["description"].startswith("Rollback to"), history
    broken = history[-2]["revision"]
    # Recorded as failed, with the reason (not "superseded" like a revision that ran fine).
    assert history[-2]["status"] == "failed", history
    assert history[-2]["description"].startswith('Upgrade "webapp" failed: '), history
    out = kube.host.run(f"{kube.helm_bin} -n {NAMESPACE} get values {RELEASE} --revision {broken} -o json")
    assert out.rc == 0, out.stderr
    assert json.loads(out.stdout)["image"]["tag"] == "broken"


def test_rollback_to_previous_went_to_v1_and_the_broken_upgrade_back_to_it(kube):
    # 1 v1, 2 v2, 3 rollback to the previous (1), 4 broken (failed), 5 rolled back to 3.
    descriptions = [h["description"] for h in kube.history()]
    assert descriptions[2] == "Rollback to 1", descriptions
    assert descriptions[4] == "Rollback to 3", descriptions


def test_every_live_pod_runs_v1_and_none_the_broken_image(kube):
    def only_v1():
        images = {c["image"] for p in kube.live_pods() for c in p["spec"]["containers"]}
        return images == {kube.image("v1")} and images
    eventually(only_v1)


def test_v1_serves_on_the_nodeport_and_the_clusterip(kube):
    eventually(lambda: all("version=v1" in kube.nodeport_body() for attempt in range(5)))
    assert "version=v1" in kube.clusterip_body_from_a_pod()
