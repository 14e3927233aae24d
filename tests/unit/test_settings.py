"""Every settings error of the roles (plugins/module_utils/settings.py): each names the variable
and says what is allowed; good settings give no error."""
from __future__ import annotations

import pytest

from ansible_collections.kubeha.webapp.plugins.module_utils import settings

DIGEST = "sha256:" + "b" * 64
GOOD = {
    "webapp": {"webapp_release": "web", "webapp_namespace": "web", "webapp_rollout_timeout": 300,
               "webapp_rollout_unready_grace": 3, "webapp_rollout_max_restarts": 2,
               "webapp_api_outage_grace": 60, "webapp_history_max": 10, "webapp_kubeconfig": "~/.kube/config",
               "webapp_lock_wait": 120, "webapp_lock_duration": 30},
    "install": {"install_image_repository": "kubeha/web", "install_image_tag": "v1", "install_image_digest": "",
                "install_replicas": 2, "install_values": {"image": {"pullPolicy": "Never"}}},
    "upgrade": {"upgrade_image_repository": "", "upgrade_image_tag": "v2", "upgrade_image_digest": "",
                "upgrade_values": {}, "upgrade_rollback_timeout": 300},
    "scale": {"scale_replicas": 3, "scale_allow_zero": False, "scale_max_replicas": 100},
    "rollback": {"rollback_revision": 0},
    "verify": {"verify_retries": 10, "verify_delay": 1, "verify_request_timeout": 5, "verify_expected_status": 200,
               "verify_path": "/healthz", "verify_self_heal_timeout": 120, "verify_self_heal_max_failed_requests": 0,
               "verify_continuity_max_failed_requests": 0, "verify_client_image": "busybox:1.37",
               "verify_gateway_status_timeout": 30, "verify_gateway_http_port": 80, "verify_gateway_https_port": 0},
    "uninstall": {"uninstall_confirm": True},
}


@pytest.mark.parametrize("role", sorted(GOOD))
def test_good_settings_have_no_error(role):
    assert settings.errors(role, GOOD[role]) == []


CASES = [
    ("webapp", {"webapp_release": "Web"}, ["webapp_release=Web must be a DNS label"]),
    ("webapp", {"webapp_release": "a" * 54}, ["webapp_release=" + "a" * 54 + " must be a DNS label",
                                              "at most 53 characters"]),
    ("webapp", {"webapp_namespace": "Prod"}, ["webapp_namespace=Prod must be a DNS label of at most 63 characters"]),
    ("webapp", {"webapp_namespace": "-x"}, ["webapp_namespace=-x"]),
    ("webapp", {"webapp_rollout_timeout": 0}, ["webapp_rollout_timeout must be > 0"]),
    ("webapp", {"webapp_rollout_unready_grace": -1}, ["webapp_rollout_unready_grace must be >= 0"]),
    ("webapp", {"webapp_rollout_max_restarts": 0}, ["webapp_rollout_max_restarts must be >= 1"]),
    ("webapp", {"webapp_api_outage_grace": -1}, ["webapp_api_outage_grace must be >= 0"]),
    ("webapp", {"webapp_history_max": -1}, ["webapp_history_max must be >= 0"]),
    ("webapp", {"webapp_lock_wait": -5}, ["webapp_lock_wait must be >= 0"]),
    ("webapp", {"webapp_lock_duration": 2}, ["webapp_lock_duration must be >= 3"]),
    ("webapp", {"webapp_server_side": "sometimes"}, ["webapp_server_side=sometimes must be one of auto, true, false"]),
    ("webapp", {"webapp_kubeconfig": ""}, ["webapp_kubeconfig must not be empty"]),
    ("webapp", {"webapp_registry_ca_file": "/nonexistent/ca.crt"},
     ["webapp_registry_ca_file=/nonexistent/ca.crt does not exist on the controller"]),
    ("webapp", {"webapp_image_pull_secrets": ["ok", "Not_OK"]},
     ['webapp_image_pull_secrets: "Not_OK" is not a Secret name']),
    ("webapp", {"webapp_image_pull_secrets": "regcred"}, ['webapp_image_pull_secrets="regcred" must be a list']),
    ("install", {"install_image_repository": "kubeha/web:v1"},
     ['install_image_repository="kubeha/web:v1" is not an image repository (e.g. registry.example.com/team/app)']),
    ("install", {"install_image_repository": ""}, ['install_image_repository="" is not an image repository']),
    ("install", {"install_image_tag": "", "install_image_digest": ""}, ["set install_image_tag or install_image_digest"]),
    ("install", {"install_image_tag": "-bad"}, ['install_image_tag="-bad" is not an image tag']),
    ("install", {"install_image_digest": "sha256:xyz"}, ['install_image_digest="sha256:xyz" is not a digest']),
    ("install", {"install_replicas": 0}, ["install_replicas=0 must be 1 or more"]),
    ("install", {"install_replicas": "two"}, ["install_replicas=two must be 1 or more"]),
    ("install", {"install_values": {"replicas": 5, "image": {"tag": "v9"}}},
     ["install_values must not set replicas, image.tag"]),
    ("install", {"install_values": "service.type=NodePort"},
     ['install_values must be a dict of chart values (YAML mapping), got str "service.type=NodePort"']),
    ("upgrade", {"upgrade_values": ["resources"]}, ["upgrade_values must be a dict of chart values"]),
    ("upgrade", {"upgrade_image_tag": ""}, ["set upgrade_image_tag or upgrade_image_digest (the new image)"]),
    ("upgrade", {"upgrade_image_tag": "v2;rm -rf"}, ['upgrade_image_tag="v2;rm -rf" is not an image tag']),
    ("upgrade", {"upgrade_image_digest": "md5:1"}, ['upgrade_image_digest="md5:1" is not a digest']),
    ("upgrade", {"upgrade_image_repository": "Bad Repo"}, ['upgrade_image_repository="Bad Repo" is not an image repository']),
    ("upgrade", {"upgrade_rollback_timeout": 0}, ["upgrade_rollback_timeout must be > 0"]),
    ("upgrade", {"upgrade_values": {"image": {}, "resources": {}}}, ["upgrade_values must not set image"]),
    ("scale", {"scale_replicas": -1}, ["scale_replicas=-1: must be 0 or more"]),
    ("scale", {"scale_replicas": 0}, ["scale_replicas=0: 0 stops every pod", "scale_allow_zero=true"]),
    ("scale", {"scale_replicas": 101}, ["scale_replicas=101: more than scale_max_replicas=100"]),
    ("rollback", {"rollback_revision": -5}, ["rollback_revision=-5 must be 0 (the previous revision) or a revision number"]),
    ("verify", {"verify_retries": 0}, ["verify_retries=0 must be 1 or more"]),
    ("verify", {"verify_delay": -1}, ["verify_delay=-1 must be 0 or more"]),
    ("verify", {"verify_request_timeout": 0}, ["verify_request_timeout must be 1 or more"]),
    ("verify", {"verify_expected_status": 42}, ["verify_expected_status=42 is not an HTTP status"]),
    ("verify", {"verify_path": "healthz"}, ['verify_path="healthz" must start with /']),
    ("verify", {"verify_path": "/a b"}, ['verify_path="/a b" must start with / and hold no space or |']),
    ("verify", {"verify_self_heal_timeout": 0}, ["verify_self_heal_timeout must be 1 or more"]),
    ("verify", {"verify_self_heal_max_failed_requests": -1}, ["verify_self_heal_max_failed_requests must be 0 or more"]),
    ("verify", {"verify_continuity_max_failed_requests": -1}, ["verify_continuity_max_failed_requests must be 0 or more"]),
    ("verify", {"verify_client_image": ""}, ["verify_client_image must not be empty"]),
    ("verify", {"verify_gateway_status_timeout": 0}, ["verify_gateway_status_timeout must be 1 or more"]),
    ("verify", {"verify_gateway_http_port": 70000}, ["verify_gateway_http_port=70000 must be a port"]),
    ("verify", {"verify_gateway_https_port": "x"}, ["verify_gateway_https_port=x must be a port"]),
    ("uninstall", {"uninstall_confirm": False}, ["uninstall_confirm is false: set uninstall_confirm=true"]),
]


@pytest.mark.parametrize("role, change, texts", CASES, ids=[f"{c[0]}-{sorted(c[1])[0]}" for c in CASES])
def test_each_wrong_setting_is_named(role, change, texts):
    errors = settings.errors(role, {**GOOD[role], **change})
    assert len(errors) == 1, errors
    for text in texts:
        assert text in errors[0]


def test_every_wrong_setting_is_reported_at_once():
    errors = settings.errors("install", {"install_image_repository": "A", "install_image_tag": "-x",
                                         "install_replicas": 0, "install_values": {"changeCause": "x"}})
    assert [e.split("=")[0].split(" ")[0] for e in errors] == [
        "install_image_repository", "install_image_tag", "install_replicas", "install_values"]


def test_bootstrap_checks_the_admin_kubeconfig_exists(tmp_path):
    admin = tmp_path / "admin.conf"
    admin.write_text("apiVersion: v1\n")
    good = {"bootstrap_service_account": "deployer", "bootstrap_admin_kubeconfig": str(admin),
            "bootstrap_kubeconfig_dest": "~/.kube/deployer.yaml"}
    assert settings.errors("bootstrap", good) == []
    assert settings.errors("bootstrap", {**good, "bootstrap_service_account": "Deployer!"}) == [
        "bootstrap_service_account=Deployer! must be a DNS label"]
    assert settings.errors("bootstrap", {**good, "bootstrap_admin_kubeconfig": str(tmp_path / "none")}) == [
        "bootstrap_admin_kubeconfig=%s does not exist" % (tmp_path / "none")]


def test_the_image_pull_secrets_may_be_left_to_the_release_values_or_named():
    assert settings.errors("webapp", {**GOOD["webapp"], "webapp_image_pull_secrets": None}) == []
    assert settings.errors("webapp", {**GOOD["webapp"], "webapp_image_pull_secrets": ["regcred", "a.b-c"]}) == []


def test_bootstrap_registry_credentials_are_checked_without_quoting_them(tmp_path):
    admin = tmp_path / "admin.conf"
    admin.write_text("apiVersion: v1\n")
    good = {"bootstrap_service_account": "deployer", "bootstrap_admin_kubeconfig": str(admin),
            "bootstrap_kubeconfig_dest": "~/.kube/deployer.yaml", "bootstrap_pull_secrets": ["regcred"],
            "bootstrap_registry_credentials": [{"name": "regcred", "registry": "10.217.0.1:5001",
                                                "username": "u", "password": "s3cret"}]}
    assert settings.errors("bootstrap", good) == []
    wrong = {**good, "bootstrap_pull_secrets": ["Reg Cred"],
             "bootstrap_registry_credentials": [{"name": "regcred", "registry": "bad host", "username": "u",
                                                 "password": ""}, "regcred"]}
    errors = settings.errors("bootstrap", wrong)
    assert errors == ['bootstrap_pull_secrets: "Reg Cred" is not a Secret name (lowercase letters, digits, - and .)',
                      "bootstrap_registry_credentials[0] lacks password",
                      'bootstrap_registry_credentials[0].registry="bad host" is not a registry host '
                      "(host, host:port or https://host/)",
                      "bootstrap_registry_credentials[1] must be a mapping {name, registry, username, password}"]
    assert not any("s3cret" in e for e in settings.errors("bootstrap", {**good, "bootstrap_registry_credentials": [
        {"name": "X", "registry": "r.io", "username": "u", "password": "s3cret"}]}))


def test_an_unknown_role_is_a_programming_error():
    with pytest.raises(ValueError, match="no settings rules for role 'nosuch'"):
        settings.errors("nosuch", {})
