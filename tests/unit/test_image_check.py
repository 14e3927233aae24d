"""The pre-change registry check as the roles use it (plugins/module_utils/image_check.py): the
pull secrets it asks with, why it refuses an image naming the setting, and the checked digest
recorded in the change cause without making a second run change anything."""
from __future__ import annotations

from ansible_collections.kubeha.webapp.plugins.module_utils import image_check

DIGEST = "sha256:" + "d" * 64
OTHER = "sha256:" + "e" * 64
SETTING = "upgrade_image_tag=v9"


def answer(outcome, reason="", **extra):
    return dict(image="10.217.0.1:5000/kubeha/web:v9", registry="10.217.0.1:5000", outcome=outcome,
                exists=outcome == "found", reason=reason, digest=DIGEST if outcome == "found" else "", **extra)


def test_the_pull_secrets_are_the_setting_else_those_the_release_values_name():
    values = {"imagePullSecrets": [{"name": "regcred"}, {"name": "other"}]}
    assert image_check.pull_secret_names(values, None) == ["regcred", "other"]
    assert image_check.pull_secret_names(values, ["mine"]) == ["mine"]
    assert image_check.pull_secret_names(values, []) == []
    assert image_check.pull_secret_names({}, None) == []


def test_an_image_the_registry_holds_or_a_skipped_check_refuses_nothing():
    assert image_check.refusal(answer("found"), SETTING) == ""
    assert image_check.refusal({"skipped": True}, SETTING) == ""


def test_a_missing_tag_is_refused_naming_the_setting_and_the_registrys_reason():
    assert image_check.refusal(answer("missing", "MANIFEST_UNKNOWN: manifest unknown"), SETTING) == (
        "upgrade_image_tag=v9: image 10.217.0.1:5000/kubeha/web:v9 does not exist in registry 10.217.0.1:5000 "
        "(MANIFEST_UNKNOWN: manifest unknown)")


def test_refused_credentials_name_the_pull_secrets_used_and_say_the_pods_could_not_pull_either():
    text = image_check.refusal(answer("unauthorized", "UNAUTHORIZED: authentication required"), SETTING, ["regcred"])
    assert text.startswith("upgrade_image_tag=v9: registry 10.217.0.1:5000 refused image")
    assert "with the pull secrets regcred" in text and "so the pods could not pull it either" in text
    assert "without credentials (no pull secret" in image_check.refusal(answer("unauthorized"), SETTING, [])


def test_an_unreachable_registry_refuses_the_change_and_says_how_to_go_on_anyway():
    text = image_check.refusal(answer("unreachable", "cannot reach 10.217.0.1:5000: Connection refused"), SETTING)
    assert "registry 10.217.0.1:5000 of image 10.217.0.1:5000/kubeha/web:v9 cannot be reached" in text
    assert "(cannot reach 10.217.0.1:5000: Connection refused)" in text and "webapp_image_check=false" in text


def test_a_certificate_the_controller_cannot_verify_points_at_the_registry_ca_setting():
    reason = "cannot reach 10.217.0.1:5000: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"
    assert "webapp_registry_ca_file names the CA" in image_check.refusal(answer("unreachable", reason), SETTING)


def test_a_pull_secret_that_cannot_be_read_is_blamed_on_the_pull_secrets_setting():
    failed = {"failed": True, "msg": "pull secret regcred does not exist in namespace web"}
    assert image_check.refusal(failed, SETTING, ["regcred"]) == (
        'webapp_image_pull_secrets=["regcred"]: pull secret regcred does not exist in namespace web')


def live(image_ref, cause):
    return {"exists": True, "release": {"image": {"ref": image_ref}, "values": {"changeCause": cause}}}


def values(tag, cause):
    return {"image": {"repository": "kubeha/web", "tag": tag, "digest": ""}, "changeCause": cause}


def test_the_checked_digest_is_noted_after_the_change_cause():
    noted = image_check.with_checked_digest(values("v2", "kubeha.webapp upgrade a -> b"), {}, DIGEST)
    assert noted["changeCause"] == "kubeha.webapp upgrade a -> b (image digest %s)" % DIGEST
    assert image_check.with_checked_digest(values("v2", ""), {}, DIGEST)["changeCause"] == "(image digest %s)" % DIGEST


def test_a_new_check_replaces_an_older_note_instead_of_piling_notes_up():
    cause = "kubeha.webapp install of kubeha/web:v2 (image digest %s)" % OTHER
    noted = image_check.with_checked_digest(values("v2", cause), {}, DIGEST)
    assert noted["changeCause"] == "kubeha.webapp install of kubeha/web:v2 (image digest %s)" % DIGEST


def test_with_no_check_the_live_note_of_the_same_image_is_kept_so_a_second_run_changes_nothing():
    noted_cause = "kubeha.webapp install of kubeha/web:v2 (image digest %s)" % DIGEST
    again = image_check.with_checked_digest(values("v2", "kubeha.webapp install of kubeha/web:v2"),
                                            live("kubeha/web:v2", noted_cause), "")
    assert again["changeCause"] == noted_cause


def test_with_no_check_a_note_about_another_image_is_not_carried_over():
    noted_cause = "kubeha.webapp install of kubeha/web:v2 (image digest %s)" % DIGEST
    other = image_check.with_checked_digest(values("v3", "kubeha.webapp install of kubeha/web:v2"),
                                            live("kubeha/web:v2", noted_cause), "")
    assert other["changeCause"] == "kubeha.webapp install of kubeha/web:v2"
