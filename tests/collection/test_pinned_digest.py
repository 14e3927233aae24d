"""Digest pinning (webapp_image_pin_digest) against the cluster's public registry, with a tag that
moves: each revision runs the digest its tag named when it was checked, an upgrade to the same tag
changes nothing while the tag stays, follows it once it moved, and rollback.yml brings back the
digest that ran before - not what the tag names now."""
from __future__ import annotations

import secrets

import pytest
from registry_client import digest, tag  # tests/registry_client.py

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="module")
def moving(registry):
    """A tag of its own in the public registry, naming v1 first; and the settings that deploy it
    pinned (from the local inventory's registry, which the nodes pull from)."""
    name = "moving-" + secrets.token_hex(3)
    tag(registry, "kubeha/web", "v1", name)
    repo = f"{registry['public']}/kubeha/web"
    return dict(tag=name, repo=repo, v1=digest(registry, registry["public"], "kubeha/web:v1"),
                v2=digest(registry, registry["public"], "kubeha/web:v2"),
                settings=dict(install_image_tag=name, webapp_image_pin_digest=True,
                              verify_expected_body="kubeha-web version="))  # the tag names no version


def test_a_pinned_deploy_runs_the_digest_its_tag_named(app, moving):
    app.play("deploy", **moving["settings"])
    image = app.values()["image"]
    assert (image["tag"], image["digest"]) == (moving["tag"], moving["v1"]), image
    assert app.pod_images() == {f"{moving['repo']}@{moving['v1']}"}
    assert app.bodies() == {"kubeha-web version=v1"}


def test_an_upgrade_to_the_same_tag_asks_the_registry_and_changes_nothing_while_it_stays(app, moving):
    before = app.revision()
    run = app.play("upgrade", upgrade_image_tag=moving["tag"], **moving["settings"])
    assert run.changed == 0, run.tail()
    assert app.revision() == before
    assert f"is {moving['v1']} in its registry" in run.flat(), run.tail(60)


def test_an_upgrade_after_the_tag_moved_follows_it_to_its_new_digest(app, registry, moving):
    tag(registry, "kubeha/web", "v2", moving["tag"])
    app.play("upgrade", upgrade_image_tag=moving["tag"], **moving["settings"])
    assert app.values()["image"]["digest"] == moving["v2"]
    app.wait_settled()
    assert app.pod_images() == {f"{moving['repo']}@{moving['v2']}"}
    assert app.bodies() == {"kubeha-web version=v2"}


def test_a_rollback_brings_back_the_digest_that_ran_though_the_tag_names_another_now(app, moving):
    app.play("rollback", **moving["settings"])
    image = app.values()["image"]
    assert (image["tag"], image["digest"]) == (moving["tag"], moving["v1"]), image
    app.wait_settled()
    assert app.pod_images() == {f"{moving['repo']}@{moving['v1']}"}
    assert app.bodies() == {"kubeha-web version=v1"}
