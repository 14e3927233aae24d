# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Image reference filters.

image_normalize(ref)            kubeha/web:v1 -> docker.io/kubeha/web:v1 (how nodes list images)
image_on_nodes(nodes, ref)      True when a node holds the image (nodes: k8s_info Node resources,
                                or the image names release_info returns)
images_like(nodes, ref)         images on the nodes from the same repository
image_ref(repository, tag, digest)   repository@digest when a digest is set, else repository:tag
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kubeha.webapp.plugins.module_utils.images import image_ref, normalize, repository_of


def image_normalize(ref):
    return normalize(ref)


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
    repo = repository_of(ref)
    found = set()
    for name in _names(nodes):
        if image_normalize(name).startswith(repo + ":") or image_normalize(name).startswith(repo + "@"):
            found.add(name)
    return sorted(n for n in found if not n.startswith("localhost/"))


class FilterModule(object):
    def filters(self):
        return {"image_normalize": image_normalize, "image_on_nodes": image_on_nodes,
                "images_like": images_like, "image_ref": image_ref}
