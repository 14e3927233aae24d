# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Image references: the one place that builds, parses, normalises and validates them.

The chart renders the same rule (templates/_helpers.tpl, ``webapp.image``): a digest, when set,
wins over the tag; without a tag the chart's appVersion is the tag.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# The distribution reference grammar (github.com/distribution/reference), as containerd and
# the kubelet accept it: an optional registry host (a dotted name or one with a port, or
# localhost), then lowercase path components.
_HOST = (r"(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))+"
         r"(?::[0-9]+)?|[a-zA-Z0-9-]+:[0-9]+|localhost)")
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
REPOSITORY_RE = re.compile(r"^(?:%s/)?%s(?:/%s)*$" % (_HOST, _COMPONENT, _COMPONENT))
TAG_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
DIGEST_RE = re.compile(r"^sha256:[a-f0-9]{64}$")

TAG_RULE = "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
DIGEST_RULE = "sha256:<64 hex>"


def image_ref(repository, tag="", digest=""):
    """``repository@digest`` when a digest is set, else ``repository:tag``."""
    repository = str(repository or "")
    if digest:
        return "%s@%s" % (repository, digest)
    return "%s:%s" % (repository, tag or "")


def image_of(values, chart_meta=None):
    """The image the chart renders for these (merged) values: repository, tag, digest and ref."""
    image = (values or {}).get("image") or {}
    repo = str(image.get("repository") or "")
    tag = str(image.get("tag") or "")
    digest = str(image.get("digest") or "")
    if not tag and chart_meta:
        tag = str(chart_meta.get("appVersion") or "")
    return dict(repository=repo, tag=tag, digest=digest, ref=image_ref(repo, tag, digest))


def is_repository(text):
    return bool(REPOSITORY_RE.match(str(text or "")))


def is_tag(text):
    return bool(TAG_RE.match(str(text or "")))


def is_digest(text):
    return bool(DIGEST_RE.match(str(text or "")))


def normalize(ref):
    """kubeha/web:v1 -> docker.io/kubeha/web:v1, as nodes list their images (no tag: latest)."""
    ref = str(ref or "")
    name, sep, rest = ref, "", ""
    if "@" in ref:
        name, rest = ref.split("@", 1)
        sep = "@"
    else:
        slash = ref.rfind("/")
        colon = ref.rfind(":")
        if colon > slash:
            name, rest = ref[:colon], ref[colon + 1:]
            sep = ":"
    first = name.split("/", 1)[0]
    if "/" not in name:
        name = "docker.io/library/" + name
    elif not ("." in first or ":" in first or first == "localhost"):
        name = "docker.io/" + name
    if not sep:
        sep, rest = ":", "latest"
    return name + sep + rest


def repository_of(ref):
    """The normalised repository of a reference, without tag or digest."""
    repo = normalize(ref).split("@", 1)[0]
    return repo[: repo.rfind(":")] if repo.rfind(":") > repo.rfind("/") else repo
