"""The life of one release on the real local cluster, through the playbooks only.

Each step looks at the cluster afterwards: helm's history (revision numbers, descriptions), the
Deployment (replicas, change cause), the image on the pods, and what the Service answers. The
tests run in order and share one release (namespace kubeha-coll-<id>).

What the molecule scenarios prove is not proven again here (each play costs minutes on a small
machine): a second deploy changing nothing (default's idempotence), an upgrade to the broken
image rolled back (upgrade-rollback, and tests/topology under load), self-heal (scale).
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
    assert dep["metadata"]["annotations"]["kubernetes.io/change-cause"] == \
        "kubeha.webapp install of kubeha/web:v1"
    assert app.pod_images() == {"kubeha/web:v1"}
    assert app.bodies() == {"kubeha-web version=v1"}
    ns = app.kubectl_json("get", "namespace", app.namespace)
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    # The summary table names the cluster, revision, image, replicas and each check.
    flat = run.flat()
    assert "kubeha-local" in flat and "1 deployed" in flat and "kubeha/web:v1" in flat
    assert "replicas ok 2/2" in flat and "clusterip ok" in flat and "nodeport ok" in flat
    # The local inventory's Service is a LoadBalancer (MetalLB) with an Ingress (Traefik).
    assert "loadbalancer ok" in flat and "ingress ok" in flat
    # No client pod is left behind.
    left = app.kubectl_json("get", "pods", "-n", app.namespace, "-l", "app.kubernetes.io/name=kubeha-verify")
    assert [p for p in left["items"] if not p["metadata"].get("deletionTimestamp")] == []


def test_scale_goes_through_the_release_and_a_later_deploy_keeps_it(app):
    app.play("scale", scale_replicas=3)
    assert app.revision() == 2
    assert app.values()["replicas"] == 3
    dep = app.deployment()
    assert dep["spec"]["replicas"] == 3 and dep["status"].get("readyReplicas") == 3
    run = app.play("deploy")
    assert run.changed == 0, "a deploy after a scale must keep the scaled count"
    assert "install keeps the live ones" in run.flat()
    assert app.deployment()["spec"]["replicas"] == 3
    app.play("scale", scale_replicas=2)
    assert app.deployment()["spec"]["replicas"] == 2
    assert app.revision() == 3


def test_scale_to_zero_is_refused_unless_allowed(app):
    before = app.revision()
    run = app.play("scale", expect_ok=False, scale_replicas=0)
    assert "scale_replicas=0" in run.flat() and "scale_allow_zero" in run.flat()
    assert app.revision() == before and app.deployment()["spec"]["replicas"] == 2


def test_upgrade_check_mode_changes_nothing(app):
    before = app.revision()
    run = app.play("upgrade", "--check", "--diff", upgrade_image_tag="v2")
    assert run.changed > 0
    assert '-        "tag": "v1"' in run.output and '+        "tag": "v2"' in run.output, \
        "diff mode must show the image change"
    assert app.revision() == before
    assert app.pod_images() == {"kubeha/web:v1"}


def test_upgrade_to_v2_rolls_out_and_verifies(app):
    before = app.revision()
    run = app.play("upgrade", upgrade_image_tag="v2")
    assert app.revision() == before + 1
    assert app.history()[-1]["status"] == "deployed"
    app.wait_settled()
    assert app.pod_images() == {"kubeha/web:v2"}
    assert app.bodies() == {"kubeha-web version=v2"}
    assert app.deployment()["metadata"]["annotations"]["kubernetes.io/change-cause"] == \
        "kubeha.webapp upgrade kubeha/web:v1 -> kubeha/web:v2"
    assert "replicas ok 2/2" in run.flat()
    # A client pod requested the Service during the whole rolling update: nothing failed.
    assert "continuity ok" in run.flat()


def test_crashing_upgrade_is_caught_at_crashloop_and_rolled_back(app):
    good = app.revision()
    run = app.play("upgrade", expect_ok=False, upgrade_image_tag="crash")
    flat = run.flat()
    assert "CrashLoopBackOff" in flat or "restarted" in flat
    assert f"rolled back to revision {good}" in flat
    assert "not complete after" not in flat and "progress deadline" not in flat
    app.wait_settled()
    assert app.pod_images() == {"kubeha/web:v2"}
    assert app.bodies() == {"kubeha-web version=v2"}


def test_rollback_to_previous_goes_to_the_release_that_ran_before(app):
    # History: 1 install v1, 2-3 scale, 4 v2, 5 crash (failed), 6 = 4 again. helm's "previous"
    # (5) is the crashing image; the release that ran before v2 is revision 3.
    before = app.revision()
    assert [h["status"] for h in app.history()][3:] == ["superseded", "failed", "deployed"]
    run = app.play("rollback")
    flat = run.flat()
    assert "REVISION" in flat and "kubeha/web:crash" in flat, "the history is shown first"
    hist = app.history()
    assert hist[-1]["revision"] == before + 1 and hist[-1]["description"] == "Rollback to 3"
    app.wait_settled()
    assert app.pod_images() == {"kubeha/web:v1"}
    assert app.bodies() == {"kubeha-web version=v1"}


def test_rollback_to_a_chosen_revision(app):
    before = app.revision()
    app.play("rollback", rollback_revision=4)
    hist = app.history()
    assert hist[-1]["revision"] == before + 1 and hist[-1]["description"] == "Rollback to 4"
    app.wait_settled()
    assert app.pod_images() == {"kubeha/web:v2"}
    assert app.bodies() == {"kubeha-web version=v2"}


def test_rollback_to_a_revision_not_in_history_is_refused(app):
    before = app.revision()
    run = app.play("rollback", expect_ok=False, rollback_revision=999)
    assert "rollback_revision=999" in run.flat() and "not in its history" in run.flat()
    assert app.revision() == before


def test_uninstall_asks_for_confirmation_then_removes(app):
    run = app.play("uninstall", expect_ok=False)
    assert "uninstall_confirm" in run.flat()
    assert app.revision() > 0
    app.play("uninstall", "--check", uninstall_confirm=True)
    assert app.revision() > 0, "check mode uninstalled"
    app.play("uninstall", uninstall_confirm=True)
    assert app.history() == []
    assert app.cluster.kubectl("get", "deployment", app.name, "-n", app.namespace,
                               check=False).returncode != 0
