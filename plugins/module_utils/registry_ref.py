# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Where an image reference lives: the registry that holds it, the host its API answers on, the
repository and the tag or digest, as the kubelet and containerd read the same reference.

Docker Hub is the one registry a reference may leave unnamed: ``nginx:1.27`` is
``docker.io/library/nginx:1.27``, whose API answers on registry-1.docker.io (docker.io itself
only redirects to a web page).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kubeha.webapp.plugins.module_utils import images

DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"
# Names a reference may give Docker Hub by: all of them are the same registry.
DOCKER_HUB_NAMES = (DOCKER_HUB, "index.docker.io", DOCKER_HUB_API)


class BadReference(ValueError):
    """An image reference no registry could hold; the message says why."""


def _names_a_host(component):
    # The distribution rule: a first component with a dot or a port, or localhost, is a host.
    return "." in component or ":" in component or component == "localhost"


def parse(ref):
    """``ref`` → registry (as the reference names it, docker.io when it names none), api_host
    (where its API answers), repository (library/ added for Docker Hub's single names) and
    reference (the digest when there is one, else the tag, latest when none)."""
    text = str(ref or "").strip()
    if not text:
        raise BadReference("an image reference is needed (e.g. registry.example.com/team/app:v1)")
    name, reference = text, ""
    if "@" in text:
        name, reference = text.split("@", 1)
        if not images.is_digest(reference):
            raise BadReference("%s: %s is not a digest (%s)" % (text, reference, images.DIGEST_RULE))
        # A tag beside the digest (app:v1@sha256:...) is a label: the digest is what is pulled.
        if name.rfind(":") > name.rfind("/"):
            name = name[:name.rfind(":")]
    elif text.rfind(":") > text.rfind("/"):
        name, reference = text[:text.rfind(":")], text[text.rfind(":") + 1:]
        if not images.is_tag(reference):
            raise BadReference("%s: %s is not a tag (%s)" % (text, reference, images.TAG_RULE))
    if not images.is_repository(name):
        raise BadReference("%s is not an image reference (e.g. registry.example.com/team/app:v1)" % text)
    first = name.split("/", 1)[0]
    if "/" in name and _names_a_host(first):
        registry, repository = first, name[len(first) + 1:]
    else:
        registry, repository = DOCKER_HUB, name
    if registry in DOCKER_HUB_NAMES:
        registry = DOCKER_HUB
        if "/" not in repository:
            repository = "library/" + repository
    api_host = DOCKER_HUB_API if registry == DOCKER_HUB else registry
    return dict(registry=registry, api_host=api_host, repository=repository, reference=reference or "latest")


def manifest_url(target):
    """The Distribution API's manifest URL of a parsed reference (HTTPS: the registries the
    clusters pull from speak TLS)."""
    return "https://%s/v2/%s/manifests/%s" % (target["api_host"], target["repository"], target["reference"])


def credential_image(target):
    """The image name the kubelet matches pull secrets against: registry/repository, with
    Docker Hub's images under docker.io."""
    return "%s/%s" % (target["registry"], target["repository"])
