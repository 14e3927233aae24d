"""The life of one release on the real local cluster, through the playbooks only, for what the
molecule scenarios do not prove: check mode and diff mode on an empty namespace and on a running
release, the summary table a deploy prints, a rollback to a chosen revision (one not in the
history, the one running now), and uninstall in check mode then for real.
Each step looks at the cluster afterwards: helm's history, the Deployment, the images on the pods,
what the Service answers. The tests run in order and share one release (namespace
kubeha-coll-<id>).
Proven elsewhere, not again here (each play costs minutes on a small machine): a second deploy
changing nothing (molecule default), v1 -> v2 -> rollback to the previous revision -> the broken
image rolled back (molecule upgrade-rollback), scale 1 -> 10 -> 2 kept by a later deploy and
self-heal (molecule scale), a crash-looping image caught and rolled back (test_promotion), a
rollback with nothing different to go back to (test_least_privilege), deploy and upgrade on both
clusters (molecule multi-cluster), refused arguments (test_offline, test_bad_arguments).
"""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.cluster


def test_check_mode_on_an_empty_namespace_changes_nothing(app):
    run = app.play("deploy", "--check", "--diff")
    assert run.changed > 0, "check mode must report the changes a deploy would make"
    assert "would change" in run.output
    assert app.history() == [], "check mode installed a release"
    assert not app.namespace_exists(), "check mode created the namespace"


def test_deploy_installs_and_verifies(app):
    run = app.play("deploy")
    hist = app.history()
    assert [h["revision"] for h in hist] == [1]
    assert hist[0]["status"] == "deployed"
    dep = app.deployment()
    assert dep["spec"]["replicas"] == 2
    assert dep["status"].get("readyReplicas") == 2
    v1 = app.cluster.image("v1")
    assert dep["metadata"]["annotations"]["kubernetes.io/change-cause"].startswith(
        f"kubeha.webapp install of {v1} (image digest sha256:")
    assert app.pod_images() == {v1}
    assert app.bodies() == {"kubeha-web version=v1"}
    ns = app.kubectl_json("get", "namespace", app.namespace)
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    # The summary table names the cluster, revision, image, replicas and each check.
    flat = run.flat()
    assert "kubeha-local" in flat and "1 deployed" in flat and v1 in flat
    assert "replicas ok 2/2" in flat and "clusterip ok" in flat and "nodeport ok" in flat
    # The local inventory's Service is a LoadBalancer (MetalLB) with an Ingress (Traefik).
    assert "loadbalancer ok" in flat and "ingress ok" in flat
    # No client pod is left behind.
    left = app.kubectl_json("get", "pods", "-n", app.namespace, "-l", "app.kubernetes.io/name=kubeha-verify")
    assert [p for p in left["items"] if not p["metadata"].get("deletionTimestamp")] == []


def test_upgrade_check_mode_changes_nothing(app):
    before = app.revision()
    run = app.play("upgrade", "--check", "--diff", upgrade_image_tag="v2")
    assert run.changed > 0
    assert '-        "tag": "v1"' in run.output and '+        "tag": "v2"' in run.output, \
        "diff mode must show the image change"
    assert app.revision() == before
    assert app.pod_images() == {app.cluster.image("v1")}


def test_rollback_to_a_revision_not_in_history_is_refused(app):
    before = app.revision()
    run = app.play("rollback", expect_ok=False, rollback_revision=999)
    assert "rollback_revision=999" in run.flat() and "not in its history" in run.flat()
    assert app.revision() == before


def test_rollback_to_the_chosen_revision_that_runs_now_changes_nothing(app):
    before = app.revision()
    run = app.play("rollback", rollback_revision=before)
    assert run.changed == 0, run.tail()
    assert f"revision {before} already runs" in run.flat()
    assert app.revision() == before


def test_uninstall_in_check_mode_keeps_the_release_then_removes_it(app):
    # Without uninstall_confirm the play is refused before it reads the cluster (test_offline).
    app.play("uninstall", "--check", uninstall_confirm=True)
    assert app.revision() > 0, "check mode uninstalled"
    app.play("uninstall", uninstall_confirm=True)
    assert app.history() == []
    assert app.cluster.kubectl("get", "deployment", app.name, "-n", app.namespace,
                               check=False).returncode != 0
