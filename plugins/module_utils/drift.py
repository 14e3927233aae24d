# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Hand changes: the fields of the live Deployment that differ from what the release applied.

`kubectl scale` and `kubectl set image` change a Deployment behind helm's back, `kubectl patch` or
`kubectl edit` a Service; helm's record still holds the manifest it applied. The fields compared
are the ones such commands change and that decide what runs and where traffic goes: the
Deployment's spec.replicas (only when the release sets it: with an autoscaler the chart leaves it
out) and the image of each container and init container, by container name; the Service's type,
selector, the scalar fields of its spec the release sets (externalTrafficPolicy, ...), and each
port the release lists, by name (port, targetPort, protocol, and nodePort when the release sets
one; a port gone or added by hand too). Fields the API server fills in (clusterIP, an allocated
nodePort) are not the release's, so not drift."""

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


# The fields of a Service port compared, each only when the release sets it (the API server fills
# in a nodePort the release leaves out).
SERVICE_PORT_FIELDS = ("port", "targetPort", "protocol", "nodePort")


def _port_key(port, index):
    return port.get("name") or str(index)


def service_drift(release_doc, live_doc):
    """[{object, field, live, release}] where the live Service differs from the release's."""
    if not release_doc or not live_doc:
        return []
    name = "Service %s" % (release_doc.get("metadata") or {}).get("name")
    release_spec, live_spec = release_doc.get("spec") or {}, live_doc.get("spec") or {}
    found = []
    for key in sorted(release_spec):
        value = release_spec[key]
        if isinstance(value, (dict, list)) and key != "selector":
            continue
        if value != live_spec.get(key):
            found.append(dict(object=name, field="spec.%s" % key, live=live_spec.get(key), release=value))
    live_ports = dict((_port_key(p, i), p) for i, p in enumerate(live_spec.get("ports") or []))
    release_keys = set()
    for i, port in enumerate(release_spec.get("ports") or []):
        key = _port_key(port, i)
        release_keys.add(key)
        live_port = live_ports.get(key)
        if live_port is None:
            found.append(dict(object=name, field="spec.ports[%s]" % key, live=None, release=port.get("port")))
            continue
        for field in SERVICE_PORT_FIELDS:
            if field in port and str(port[field]) != str(live_port.get(field)):
                found.append(dict(object=name, field="spec.ports[%s].%s" % (key, field),
                                  live=live_port.get(field), release=port[field]))
    for key in sorted(set(live_ports) - release_keys):
        found.append(dict(object=name, field="spec.ports[%s]" % key, live=live_ports[key].get("port"), release=None))
    return found


# The other kinds the chart renders (Ingress, HTTPRoute, HPA, PDB, NetworkPolicy; a ConfigMap's
# data) are compared field by field where the manifest sets a field: the API server's defaults (an HTTPRoute
# backend's weight, a NetworkPolicy port's protocol) are not the release's, so not drift; a list
# of another length is (an item added or removed by hand).


def _subset_drift(release, live, path, found, name):
    if isinstance(release, dict):
        live = live if isinstance(live, dict) else {}
        for key in sorted(release):
            _subset_drift(release[key], live.get(key), "%s.%s" % (path, key), found, name)
    elif isinstance(release, list):
        if not isinstance(live, list) or len(live) != len(release):
            found.append(dict(object=name, field=path, live=live, release=release))
            return
        for i, (want, have) in enumerate(zip(release, live)):
            _subset_drift(want, have, "%s[%d]" % (path, i), found, name)
    elif release != live and str(release) != str(live):
        found.append(dict(object=name, field=path, live=live, release=release))


def spec_drift(release_doc, live_doc, section="spec"):
    """[{object, field, live, release}] for each field of the release's `section` (a ConfigMap's
    is `data`) the live object does not hold."""
    if not release_doc or not live_doc:
        return []
    name = "%s %s" % (release_doc.get("kind"), (release_doc.get("metadata") or {}).get("name"))
    found = []
    _subset_drift(release_doc.get(section) or {}, live_doc.get(section) or {}, section, found, name)
    return found


def drift_lines(drift, deployment):
    """One line per field, as messages and the summary show them (the object each names, the
    Deployment when it names none)."""
    return ["%s %s: live %s, release %s" % (d.get("object") or "Deployment %s" % deployment, d["field"],
                                            d["live"], d["release"])
            for d in drift or []]
