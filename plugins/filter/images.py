# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Image reference filters.

image_normalize(ref)            kubeha/web:v1 -> docker.io/kubeha/web:v1 (how nodes list images)
image_on_nodes(nodes, ref)      True when a node holds the image (nodes: k8s_info Node resources,
                                or the image names release_info returns)
images_like(nodes, ref)         images on the nodes from the same repository
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def image_normalize(ref):
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


def _names(nodes):
    """Image names from k8s_info Node resources, or a plain list of names."""
    for node in nodes or []:
        if isinstance(node, str):
            yield node
            continue
        for image in (node.get("status") or {}).get("images") or []:
            yield from image.get("names") or []


def image_on_nodes(nodes, ref):
    want = image_normalize(ref)
    return any(image_normalize(name) == want for name in _names(nodes))


def images_like(nodes, ref):
    """Images on the nodes from the same repository as ref (for error messages)."""
    repo = image_normalize(ref).split("@", 1)[0]
    repo = repo[: repo.rfind(":")] if repo.rfind(":") > repo.rfind("/") else repo
    found = set()
    for name in _names(nodes):
        if image_normalize(name).startswith(repo + ":") or image_normalize(name).startswith(repo + "@"):
            found.add(name)
    return sorted(n for n in found if not n.startswith("localhost/"))


class FilterModule(object):
    def filters(self):
        return {"image_normalize": image_normalize, "image_on_nodes": image_on_nodes,
                "images_like": images_like}
