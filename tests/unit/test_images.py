"""Image references (plugins/module_utils/images.py): built, validated and normalised once."""
from __future__ import annotations

import pytest

from ansible_collections.kubeha.webapp.plugins.module_utils import images

DIGEST = "sha256:" + "a" * 64


def test_a_digest_wins_over_the_tag():
    assert images.image_ref("kubeha/web", "v1", DIGEST) == "kubeha/web@" + DIGEST
    assert images.image_ref("kubeha/web", "v1") == "kubeha/web:v1"


def test_image_of_falls_back_to_the_charts_app_version():
    assert images.image_of({"image": {"repository": "r/app"}}, {"appVersion": "6.1"})["ref"] == "r/app:6.1"
    assert images.image_of({"image": {"repository": "r/app", "tag": "v2"}}, {"appVersion": "6.1"})["ref"] == "r/app:v2"


@pytest.mark.parametrize("repo", ["kubeha/web", "busybox", "registry.example.com:5000/team/app", "localhost/a",
                                  "ghcr.io/stefanprodan/podinfo", "reg:5000/a", "a__b/c-d.e"])
def test_valid_repositories(repo):
    assert images.is_repository(repo)


@pytest.mark.parametrize("repo", ["", "UPPER/case", "kubeha/web:v1", "a//b", "-a/b", "a/b/", "kubeha/web@sha256"])
def test_invalid_repositories(repo):
    assert not images.is_repository(repo)


def test_tags_and_digests():
    assert images.is_tag("v1.2.3-rc_1") and images.is_tag("_x")
    assert not images.is_tag("-bad") and not images.is_tag("v2;rm -rf") and not images.is_tag("a" * 129)
    assert images.is_digest(DIGEST)
    assert not images.is_digest("sha256:" + "A" * 64) and not images.is_digest("sha256:abc")


@pytest.mark.parametrize("ref, normal", [
    ("kubeha/web:v1", "docker.io/kubeha/web:v1"),
    ("busybox", "docker.io/library/busybox:latest"),
    ("registry.example.com:5000/a/b:1", "registry.example.com:5000/a/b:1"),
    ("localhost/kubeha/web:v1", "localhost/kubeha/web:v1"),
    ("reg:5000/a", "reg:5000/a:latest"),
    ("kubeha/web@" + DIGEST, "docker.io/kubeha/web@" + DIGEST),
])
def test_normalize_as_nodes_list_images(ref, normal):
    assert images.normalize(ref) == normal


def test_repository_of_drops_tag_and_digest():
    assert images.repository_of("kubeha/web:v1") == "docker.io/kubeha/web"
    assert images.repository_of("reg:5000/a@" + DIGEST) == "reg:5000/a"
