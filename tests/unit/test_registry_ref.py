"""Where an image reference lives (plugins/module_utils/registry_ref.py): the registry, the host
its API answers on, the repository and the tag or digest, as the kubelet reads them."""
from __future__ import annotations

import pytest

from ansible_collections.kubeha.webapp.plugins.module_utils import registry_ref

DIGEST = "sha256:" + "b" * 64


@pytest.mark.parametrize("ref, registry, api_host, repository, reference", [
    ("10.217.0.1:5000/kubeha/web:v2", "10.217.0.1:5000", "10.217.0.1:5000", "kubeha/web", "v2"),
    ("ghcr.io/org/app@" + DIGEST, "ghcr.io", "ghcr.io", "org/app", DIGEST),
    ("registry.example.com/team/sub/app", "registry.example.com", "registry.example.com", "team/sub/app", "latest"),
    ("localhost/app:1", "localhost", "localhost", "app", "1"),
])
def test_a_reference_that_names_its_registry_is_asked_there(ref, registry, api_host, repository, reference):
    assert registry_ref.parse(ref) == dict(registry=registry, api_host=api_host, repository=repository,
                                           reference=reference)


@pytest.mark.parametrize("ref, repository", [
    ("nginx:1.27", "library/nginx"),
    ("docker.io/nginx:1.27", "library/nginx"),
    ("index.docker.io/library/nginx:1.27", "library/nginx"),
    ("kubeha/web:v1", "kubeha/web"),
    ("registry-1.docker.io/kubeha/web:v1", "kubeha/web"),
])
def test_docker_hub_references_go_to_its_api_host_with_library_for_single_names(ref, repository):
    target = registry_ref.parse(ref)
    assert (target["registry"], target["api_host"], target["repository"]) == (
        "docker.io", "registry-1.docker.io", repository)


def test_no_tag_means_latest_and_a_digest_wins_over_a_tag_beside_it():
    assert registry_ref.parse("busybox")["reference"] == "latest"
    target = registry_ref.parse("reg.example.com/app:v1@" + DIGEST)
    assert (target["repository"], target["reference"]) == ("app", DIGEST)


def test_a_first_component_without_dot_or_port_is_a_docker_hub_namespace_not_a_host():
    assert registry_ref.parse("team/app:v1")["registry"] == "docker.io"
    assert registry_ref.parse("reg:5000/app:v1")["registry"] == "reg:5000"


@pytest.mark.parametrize("ref, says", [
    ("", "an image reference is needed"),
    ("Kubeha/Web:v1", "is not an image reference"),
    ("kubeha/web:v1;rm", "is not a tag"),
    ("kubeha/web@sha256:abc", "is not a digest"),
])
def test_a_reference_no_registry_could_hold_is_refused_saying_why(ref, says):
    with pytest.raises(registry_ref.BadReference, match=says):
        registry_ref.parse(ref)


def test_the_manifest_url_and_the_name_pull_secrets_are_matched_against():
    target = registry_ref.parse("nginx:1.27")
    assert registry_ref.manifest_url(target) == "https://registry-1.docker.io/v2/library/nginx/manifests/1.27"
    assert registry_ref.credential_image(target) == "docker.io/library/nginx"
    assert registry_ref.credential_image(registry_ref.parse("10.217.0.1:5001/kubeha/web:v1")) == \
        "10.217.0.1:5001/kubeha/web"
