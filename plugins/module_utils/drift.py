# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Hand changes: the fields of the live Deployment that differ from what the release applied.

`kubectl scale` and `kubectl set image` change a Deployment behind helm's back; helm's record
still holds the manifest it applied. The fields compared are the ones such commands change:
spec.replicas (only when the release sets it: with an autoscaler the chart leaves it out) and
the image of each container and init container, by container name."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def _pod_spec(doc):
    return ((doc.get("spec") or {}).get("template") or {}).get("spec") or {}


def deployment_drift(release_doc, live_doc):
    """[{field, live, release}] where the live Deployment differs from the release's, in a stable
    order: replicas first, then containers as the release lists them."""
    if not release_doc or not live_doc:
        return []
    found = []
    release_spec, live_spec = release_doc.get("spec") or {}, live_doc.get("spec") or {}
    if "replicas" in release_spec and release_spec["replicas"] != live_spec.get("replicas"):
        found.append(dict(field="spec.replicas", live=live_spec.get("replicas"), release=release_spec["replicas"]))
    for kind in ("initContainers", "containers"):
        live_images = dict((c.get("name"), c.get("image")) for c in _pod_spec(live_doc).get(kind) or [])
        for container in _pod_spec(release_doc).get(kind) or []:
            name = container.get("name")
            if live_images.get(name) != container.get("image"):
                found.append(dict(field="spec.template.spec.%s[%s].image" % (kind, name),
                                  live=live_images.get(name), release=container.get("image")))
    return found


def drift_lines(drift, deployment):
    """One line per field, as messages and the summary show them."""
    return ["Deployment %s %s: live %s, release %s" % (deployment, d["field"], d["live"], d["release"])
            for d in drift or []]
