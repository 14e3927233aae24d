"""The image check on a real registry: kubeha.webapp.registry_image and the refusal before a
change, against the cluster's own registries (`cluster/kubeha-cluster facts`: registry) - the
public one (no authentication) and the private one (htpasswd), TLS from the cluster's registry CA.

The module finds a public tag and its digest, does not find a missing one (the registry's
MANIFEST_UNKNOWN), is refused by the private registry without credentials and let in with a
dockerconfigjson Secret it reads itself, and says the registry cannot be reached when it is
stopped. A release deployed from the registry records the digest it checked; an upgrade to a
missing tag is refused before any change, naming upgrade_image_tag.
"""
from __future__ import annotations

import re
import subprocess

import pytest

from playlib import ROOT, cluster_inventory, run_module, run_playbook

pytestmark = pytest.mark.cluster

CLI = ROOT / "cluster" / "kubeha-cluster"
DIGEST_RE = r"sha256:[0-9a-f]{64}"


def cli(*args: str) -> str:
    return subprocess.run([str(CLI), *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def inventory(tmp_path_factory):
    return cluster_inventory(tmp_path_factory.mktemp("inventory"))


def ask(inventory, image: str, registry: dict, **args) -> dict:
    result, _ = run_module("kubeha.webapp.registry_image",
                           {"image": image, "ca_file": registry["ca_file"], **args}, "-i", str(inventory))
    return result


@pytest.fixture(scope="module")
def deployed(app, registry, inventory):
    """The release as the local inventory deploys it: v1 from the public registry, pulled by the
    nodes (IfNotPresent), the image check asking the registry."""
    run = run_playbook("deploy", app.vars, inventory=inventory)
    assert run.rc == 0, run.tail(120)
    return app, run


def test_a_public_tag_is_found_anonymously_with_its_digest(registry, inventory):
    found = ask(inventory, f"{registry['public']}/kubeha/web:v1", registry)
    assert not found["failed"], found
    assert (found["exists"], found["outcome"], found["auth"]) == (True, "found", "anonymous"), found
    assert re.fullmatch(DIGEST_RE, found["digest"]), found
    assert (found["registry"], found["repository"], found["reference"]) == (registry["public"], "kubeha/web", "v1")


def test_a_missing_tag_is_not_found_in_the_registrys_own_words(registry, inventory):
    missing = ask(inventory, f"{registry['public']}/kubeha/web:v9", registry)
    assert not missing["failed"], missing
    assert (missing["exists"], missing["outcome"]) == (False, "missing"), missing
    assert "MANIFEST_UNKNOWN" in missing["reason"], missing


def test_a_deployed_release_records_the_digest_it_checked(deployed, registry, inventory):
    app, run = deployed
    digest = ask(inventory, f"{registry['public']}/kubeha/web:v1", registry)["digest"]
    assert app.values()["changeCause"].endswith(f"(image digest {digest})"), app.values()
    assert f"is {digest} in its registry" in run.flat(), run.tail(60)


def test_the_private_registry_refuses_without_a_pull_secret_and_answers_with_one(deployed, registry, inventory):
    app, _ = deployed
    image = f"{registry['private']}/kubeha/web:v1"
    refused = ask(inventory, image, registry)
    assert (refused["failed"], refused["exists"], refused["outcome"]) == (False, False, "unauthorized"), refused
    app.cluster.kubectl("create", "secret", "docker-registry", "regcred", "-n", app.namespace,
                        f"--docker-server={registry['private']}", f"--docker-username={registry['username']}",
                        f"--docker-password={registry['password']}")
    connection = {"namespace": app.namespace, "kubeconfig": str(app.cluster.kubeconfig)}
    result, output = run_module("kubeha.webapp.registry_image",
                                {"image": image, "ca_file": registry["ca_file"], "pull_secrets": ["regcred"],
                                 **connection}, "-i", str(inventory))
    assert (result["exists"], result["auth"], result["credentials_from"]) == (True, "basic", "regcred"), result
    assert registry["password"] not in output
    unknown = ask(inventory, image, registry, pull_secrets=["no-such-secret"], **connection)
    assert unknown["failed"] and f"pull secret no-such-secret does not exist in namespace {app.namespace}" in unknown["msg"]


def test_a_stopped_registry_is_reported_unreachable(registry, inventory):
    cli("registry-stop", "public")
    try:
        down = ask(inventory, f"{registry['public']}/kubeha/web:v1", registry, timeout=3)
    finally:
        cli("registry-start", "public")
    assert (down["failed"], down["exists"], down["outcome"]) == (False, False, "unreachable"), down
    assert "cannot reach " + registry["public"] in down["reason"], down


def test_an_upgrade_to_a_missing_tag_is_refused_before_any_change_naming_the_setting(deployed, registry, inventory):
    app, _ = deployed
    revision = app.revision()
    run = run_playbook("upgrade", {**app.vars, "upgrade_image_tag": "v9"}, inventory=inventory)
    assert run.rc != 0, run.tail(80)
    public = registry["public"]
    assert (f"upgrade_image_tag=v9: image {public}/kubeha/web:v9 does not exist in registry {public} "
            "(MANIFEST_UNKNOWN: manifest unknown)") in run.flat(), run.tail(80)
    assert "Apply | helm upgrade --install" not in run.output
    assert app.revision() == revision
    assert app.pod_images() == {f"{public}/kubeha/web:v1"}
