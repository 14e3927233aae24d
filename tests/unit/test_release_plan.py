"""The values of the next revision and whether a release may change
(plugins/module_utils/release_plan.py), from release_info results shaped as it returns them."""
from __future__ import annotations

from ansible_collections.kubeha.webapp.plugins.module_utils import release_plan

DIGEST = "sha256:" + "c" * 64


def live(values=None, status="deployed", pending=False, matches=True, changed_files=(), deployment=None,
         image=None):
    values = values if values is not None else {"image": {"repository": "kubeha/web", "tag": "v1", "digest": ""},
                                                "replicas": 3, "changeCause": "by hand"}
    img = values.get("image") or {}
    image = image or {"repository": img.get("repository"), "tag": img.get("tag"), "digest": img.get("digest", ""),
                      "ref": "%s:%s" % (img.get("repository"), img.get("tag"))}
    return {"exists": True,
            "release": {"revision": 4, "status": status, "pending": pending, "values": values, "image": image},
            "chart": {"matches_deployed": matches, "changed_files": list(changed_files)},
            "live": {"deployment": deployment}}


NOT_INSTALLED = {"exists": False}
INSTALL = {"install_image_repository": "kubeha/web", "install_image_tag": "v2", "install_image_digest": "",
           "install_replicas": 2, "install_values": {"service": {"type": "NodePort"}},
           "install_change_cause": "", "install_override_live": False}


def test_first_install_takes_the_inventory_image_and_replicas():
    plan = release_plan.install_plan(NOT_INSTALLED, INSTALL)
    assert plan["values"] == {"service": {"type": "NodePort"}, "replicas": 2, "changeCause": "kubeha.webapp install of kubeha/web:v2",
                              "image": {"repository": "kubeha/web", "tag": "v2", "digest": ""}}
    assert plan["image_ref"] == "kubeha/web:v2" and not plan["kept_live"]


def test_install_on_a_running_release_keeps_what_scale_and_upgrade_set():
    plan = release_plan.install_plan(live(), INSTALL)
    assert plan["values"]["replicas"] == 3
    assert plan["values"]["image"] == {"repository": "kubeha/web", "tag": "v1", "digest": ""}
    assert plan["values"]["changeCause"] == "by hand"
    assert plan["values"]["service"] == {"type": "NodePort"}  # the rest of the values still apply
    assert plan["kept_live"] and plan["image_ref"] == "kubeha/web:v1" and plan["wanted_ref"] == "kubeha/web:v2"


def test_install_on_a_release_that_runs_the_inventory_state_keeps_nothing_different():
    same = dict(INSTALL, install_image_tag="v1", install_replicas=3)
    assert not release_plan.install_plan(live(), same)["kept_live"]


def test_install_override_live_imposes_the_inventory_again():
    plan = release_plan.install_plan(live(), dict(INSTALL, install_override_live=True, install_change_cause="reset"))
    assert plan["values"]["replicas"] == 2 and plan["image_ref"] == "kubeha/web:v2"
    assert plan["values"]["changeCause"] == "reset" and not plan["kept_live"]


def test_install_by_digest():
    plan = release_plan.install_plan(NOT_INSTALLED, dict(INSTALL, install_image_digest=DIGEST))
    assert plan["image_ref"] == "kubeha/web@" + DIGEST


UPGRADE = {"upgrade_image_repository": "", "upgrade_image_tag": "v2", "upgrade_image_digest": "",
           "upgrade_change_cause": "", "upgrade_values": {}}


def test_upgrade_changes_the_image_and_says_so_in_the_change_cause():
    plan = release_plan.upgrade_plan(live(), UPGRADE)
    assert plan["from_ref"] == "kubeha/web:v1" and plan["to_ref"] == "kubeha/web:v2"
    assert plan["values"]["image"] == {"repository": "kubeha/web", "tag": "v2", "digest": ""}
    assert plan["values"]["changeCause"] == "kubeha.webapp upgrade kubeha/web:v1 -> kubeha/web:v2"
    assert plan["values"]["replicas"] == 3


def test_a_tag_only_upgrade_clears_an_earlier_digest_and_a_digest_upgrade_keeps_the_tag():
    by_digest = live(values={"image": {"repository": "kubeha/web", "tag": "v1", "digest": DIGEST}})
    assert release_plan.upgrade_plan(by_digest, UPGRADE)["values"]["image"]["digest"] == ""
    plan = release_plan.upgrade_plan(live(), dict(UPGRADE, upgrade_image_tag="", upgrade_image_digest=DIGEST))
    assert plan["values"]["image"] == {"repository": "kubeha/web", "tag": "v1", "digest": DIGEST}
    assert plan["to_ref"] == "kubeha/web@" + DIGEST


def test_upgrade_to_the_running_image_keeps_the_change_cause():
    plan = release_plan.upgrade_plan(live(), dict(UPGRADE, upgrade_image_tag="v1"))
    assert plan["values"]["changeCause"] == "by hand"


def test_upgrade_values_merge_into_the_live_values():
    current = live(values={"image": {"repository": "r/a", "tag": "v1"}, "resources": {"limits": {"cpu": "1"}}})
    plan = release_plan.upgrade_plan(current, dict(UPGRADE, upgrade_values={"resources": {"requests": {"cpu": "1"}}},
                                                   upgrade_image_repository="r/b"))
    assert plan["values"]["resources"] == {"limits": {"cpu": "1"}, "requests": {"cpu": "1"}}
    assert plan["to_ref"] == "r/b:v2"


def test_scale_changes_only_the_replicas():
    assert release_plan.scale_values(live(), "5") == dict(live()["release"]["values"], replicas=5)


def test_what_blocks_a_change():
    block = release_plan.change_blocker
    assert block(NOT_INSTALLED, "scale", "charts/webapp") == "it is not installed (run deploy.yml first)"
    assert "pending-upgrade (an operation was interrupted" in block(
        live(status="pending-upgrade", pending=True), "upgrade", "c")
    hpa = live(values={"image": {"repository": "r", "tag": "1"}, "autoscaling": {"enabled": True}})
    assert "HorizontalPodAutoscaler owns the replica count" in block(hpa, "scale", "c")
    assert block(hpa, "upgrade", "c") == ""
    drift = live(matches=False, changed_files=["templates/deployment.yaml"])
    assert block(drift, "upgrade", "charts/webapp") == (
        "the local chart charts/webapp differs from the chart the release runs (templates/deployment.yaml); "
        "deploy it with deploy.yml first, or set webapp_allow_chart_change=true")
    assert block(drift, "upgrade", "charts/webapp", allow_chart_change=True) == ""


def test_the_image_check_is_skipped_for_the_image_already_running():
    assert release_plan.image_check_policy(live(), {"image": {"pullPolicy": "Never"}}, "kubeha/web:v1") == "skip"
    assert release_plan.image_check_policy(live(), {"image": {"pullPolicy": "Never"}}, "kubeha/web:v2") == "Never"
    assert release_plan.image_check_policy(NOT_INSTALLED, {}, "kubeha/web:v2") == "Always"  # the chart's


def test_the_deployment_to_watch():
    name = release_plan.deployment_name
    assert name(NOT_INSTALLED, "web", {"fullnameOverride": "shop"}) == "shop"
    assert name(live(deployment={"name": "web-webapp"}), "web", None) == "web-webapp"
    assert name(live(deployment=None, values={"nameOverride": "front"}), "web", None) == "web-front"
    assert name(live(deployment={"name": "web-webapp"}), "web", None, "mine") == "mine"


def test_messages_name_the_setting_that_names_the_image():
    assert release_plan.install_plan(NOT_INSTALLED, INSTALL)["image_setting"] == "install_image_tag=v2"
    assert release_plan.install_plan(NOT_INSTALLED, dict(INSTALL, install_image_digest=DIGEST))["image_setting"] == (
        "install_image_digest=" + DIGEST)
    assert release_plan.upgrade_plan(live(), UPGRADE)["image_setting"] == "upgrade_image_tag=v2"


def test_install_says_why_it_keeps_the_live_image_and_replicas():
    assert release_plan.install_plan(live(), INSTALL)["kept_message"] == (
        "runs kubeha/web:v1 with 3 replicas (set by scale, upgrade or rollback); the inventory says "
        "kubeha/web:v2 with 2. install keeps the live ones: use upgrade.yml or scale.yml to change them, or set "
        "install_override_live=true.")
    assert release_plan.install_plan(NOT_INSTALLED, INSTALL)["kept_message"] == ""


def test_the_rollout_watch_stops_at_ready_and_starts_a_probe_for_a_verify_that_checks_both():
    every_check = {"checks": [], "path": "/", "client_image": "busybox:1.37"}
    assert release_plan.watch_plan(NOT_INSTALLED, every_check) == {"was_ready": False, "until": "ready", "probe": True}
    assert release_plan.watch_plan(NOT_INSTALLED, dict(every_check, checks=["nodeport"])) == {
        "was_ready": False, "until": "complete", "probe": False}
    assert release_plan.watch_plan(NOT_INSTALLED, dict(every_check, checks=["clusterip"]))["probe"] is True
    assert release_plan.watch_plan(NOT_INSTALLED, dict(every_check, checks=["replicas"]))["until"] == "ready"


def test_without_a_verify_to_follow_the_watch_waits_for_completion_and_starts_no_probe():
    assert release_plan.watch_plan(NOT_INSTALLED, {}) == {"was_ready": False, "until": "complete", "probe": False}


def test_a_release_is_ready_when_every_replica_is_available_and_up_to_date():
    ready = {"replicas": 3, "available": 3, "updated": 3, "current": 3}
    assert release_plan.watch_plan(live(deployment=ready), {})["was_ready"] is True
    for field in ("available", "updated", "current"):
        assert release_plan.watch_plan(live(deployment=dict(ready, **{field: 2})), {})["was_ready"] is False
    assert release_plan.watch_plan(live(deployment=None), {})["was_ready"] is False


MOVED = "sha256:" + "d" * 64


def pinned_live(digest=DIGEST, tag="v1"):
    """A release whose image was pinned: the tag with the digest it named, rendered by digest."""
    return live(values={"image": {"repository": "kubeha/web", "tag": tag, "digest": digest}, "replicas": 2,
                        "changeCause": "kubeha.webapp install of kubeha/web:%s (image digest %s)" % (tag, digest)},
                image={"repository": "kubeha/web", "tag": tag, "digest": digest, "ref": "kubeha/web@" + digest})


PIN_INSTALL = dict(INSTALL, install_image_tag="v1", webapp_image_pin_digest=True)
PIN_UPGRADE = dict(UPGRADE, upgrade_image_tag="v1", webapp_image_pin_digest=True)


def test_with_pinning_an_install_runs_the_checked_digest_and_keeps_the_tag_beside_it():
    plan = release_plan.install_plan(NOT_INSTALLED, PIN_INSTALL, DIGEST)
    assert plan["values"]["image"] == {"repository": "kubeha/web", "tag": "v1", "digest": DIGEST}
    assert plan["image_ref"] == "kubeha/web@" + DIGEST
    assert plan["check_ref"] == "kubeha/web:v1"  # what the registry is asked for: the tag
    assert plan["values"]["changeCause"] == "kubeha.webapp install of kubeha/web:v1"


def test_without_pinning_the_checked_digest_changes_no_value():
    plan = release_plan.install_plan(NOT_INSTALLED, dict(PIN_INSTALL, webapp_image_pin_digest=False), DIGEST)
    assert plan["values"]["image"]["digest"] == "" and plan["image_ref"] == "kubeha/web:v1"
    up = release_plan.upgrade_plan(live(), dict(PIN_UPGRADE, upgrade_image_tag="v2", webapp_image_pin_digest=False), DIGEST)
    assert up["values"]["image"]["digest"] == ""


def test_a_pinned_release_is_not_reported_as_kept_against_the_tag_that_pinned_it():
    plan = release_plan.install_plan(pinned_live(), dict(PIN_INSTALL, install_replicas=2))
    assert not plan["kept_live"] and plan["image_ref"] == "kubeha/web@" + DIGEST


def test_an_install_that_imposes_the_inventory_asks_the_registry_for_the_tag_not_the_pinned_digest():
    plan = release_plan.install_plan(pinned_live(), dict(PIN_INSTALL, install_override_live=True))
    assert plan["check_ref"] == "kubeha/web:v1"
    assert release_plan.image_check_policy(pinned_live(), plan["values"], plan["check_ref"]) != "skip"
    moved = release_plan.install_plan(pinned_live(), dict(PIN_INSTALL, install_override_live=True), MOVED)
    assert moved["values"]["image"]["digest"] == MOVED


def test_a_pinned_upgrade_to_the_same_tag_and_digest_changes_nothing():
    plan = release_plan.upgrade_plan(pinned_live(), PIN_UPGRADE, DIGEST)
    assert plan["values"] == pinned_live()["release"]["values"]
    assert plan["to_ref"] == "kubeha/web:v1"


def test_a_pinned_upgrade_follows_a_moved_tag_to_its_new_digest():
    plan = release_plan.upgrade_plan(pinned_live(), PIN_UPGRADE, MOVED)
    assert plan["values"]["image"] == {"repository": "kubeha/web", "tag": "v1", "digest": MOVED}
    assert plan["values"]["changeCause"] == "kubeha.webapp upgrade kubeha/web@%s -> kubeha/web:v1" % DIGEST


def test_with_no_check_a_pinned_release_keeps_its_digest_for_the_same_tag_only():
    assert release_plan.upgrade_plan(pinned_live(), PIN_UPGRADE)["values"]["image"]["digest"] == DIGEST
    other = release_plan.upgrade_plan(pinned_live(), dict(PIN_UPGRADE, upgrade_image_tag="v2"))
    assert other["values"]["image"] == {"repository": "kubeha/web", "tag": "v2", "digest": ""}


def test_a_digest_the_settings_name_wins_over_the_checked_one():
    plan = release_plan.upgrade_plan(live(), dict(PIN_UPGRADE, upgrade_image_tag="", upgrade_image_digest=MOVED), DIGEST)
    assert plan["values"]["image"]["digest"] == MOVED
