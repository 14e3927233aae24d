# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""What a release's HTTPRoutes say about themselves: the route as the release rendered it and what
each Gateway it names answered in ``status.parents`` (route_view), whether every Gateway has judged
the route's current generation yet (route_settled), and what a judgement means for verify
(route_refusals). Pure functions of the objects read; release_info and route_status read them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

HTTPROUTE_PATH = "/apis/gateway.networking.k8s.io/v1/namespaces/%s/httproutes/%s"
GATEWAY_PATH = "/apis/gateway.networking.k8s.io/v1/namespaces/%s/gateways/%s"

# The conditions a Gateway sets on a route it serves; both must be True.
REQUIRED_CONDITIONS = ("Accepted", "ResolvedRefs")


def parent_key(ref, route_namespace):
    """A parentRef (spec or status form) as one comparable tuple: namespace, name, listener, port."""
    return ((ref.get("namespace") or route_namespace), ref.get("name"),
            ref.get("sectionName") or "", ref.get("port") or 0)


def parent_label(key):
    namespace, name, section, port = key
    label = "Gateway %s/%s" % (namespace, name)
    if section:
        label += " listener %s" % section
    if port:
        label += " port %s" % port
    return label


def route_view(route):
    """The fields of a live HTTPRoute verify needs: its generation, hostnames, parentRefs and, per
    parentRef, the conditions its Gateway set (with the generation they judged)."""
    meta, spec = route.get("metadata") or {}, route.get("spec") or {}
    namespace = meta.get("namespace") or ""
    refs = [parent_key(r, namespace) for r in spec.get("parentRefs") or []
            if (r.get("kind") or "Gateway") == "Gateway"]
    parents = []
    for p in (route.get("status") or {}).get("parents") or []:
        parents.append(dict(
            key=list(parent_key(p.get("parentRef") or {}, namespace)),
            controller=p.get("controllerName") or "",
            conditions=[dict(type=c.get("type"), status=c.get("status"), reason=c.get("reason") or "",
                             message=c.get("message") or "",
                             observed_generation=c.get("observedGeneration") or 0)
                        for c in p.get("conditions") or []]))
    return dict(name=meta.get("name"), namespace=namespace, generation=meta.get("generation") or 0,
                hostnames=list(spec.get("hostnames") or []), parent_refs=[list(k) for k in refs],
                parents=parents, gateways={})


def _judgement(view, key):
    """The status entry of one parentRef, when its Gateway has judged the current generation."""
    for p in view.get("parents") or []:
        if tuple(p.get("key") or ()) != tuple(key):
            continue
        conds = {c["type"]: c for c in p.get("conditions") or []}
        accepted = conds.get("Accepted")
        if accepted and accepted.get("observed_generation", 0) >= (view.get("generation") or 0):
            return conds
    return None


def route_settled(view):
    """Whether every Gateway the route names has judged its current generation."""
    return all(_judgement(view, k) is not None for k in view.get("parent_refs") or [])


def route_refusals(view):
    """One line per parentRef whose Gateway did not take the route (or has not said yet), naming the
    condition, its reason and message: e.g. "HTTPRoute web: Gateway infra/public listener https
    did not accept it: Accepted=False NotAllowedByListeners: ...". Empty when every one serves it."""
    lines = []
    for key in view.get("parent_refs") or []:
        key = tuple(key)
        conds = _judgement(view, key)
        where = "HTTPRoute %s: %s" % (view.get("name"), parent_label(key))
        if conds is None:
            lines.append("%s has not judged the route (generation %s) yet: is a Gateway controller "
                         "running for it, and does the Gateway exist?" % (where, view.get("generation")))
            continue
        for ctype in REQUIRED_CONDITIONS:
            c = conds.get(ctype)
            if c is None or c.get("status") != "True":
                if c is None:
                    lines.append("%s did not set %s" % (where, ctype))
                else:
                    lines.append("%s did not accept it: %s=%s %s%s" % (
                        where, ctype, c.get("status"), c.get("reason"),
                        ": " + c["message"] if c.get("message") else ""))
                break
    return lines


def gateway_view(gateway):
    """What verify can use of a Gateway it may read: its addresses and listeners."""
    spec, status = gateway.get("spec") or {}, gateway.get("status") or {}
    return dict(
        addresses=[a.get("value") for a in status.get("addresses") or [] if a.get("value")],
        listeners=[dict(name=item.get("name"), port=item.get("port"), protocol=item.get("protocol"),
                        hostname=item.get("hostname") or "")
                   for item in spec.get("listeners") or []])


def gateway_cell(views):
    """The summary table's Gateway column: each Gateway a route names, with "accepted", the
    reason it gave for not accepting, or "pending" (not judged yet); "-" without a route."""
    parts = []
    for view in views or []:
        for key in view.get("parent_refs") or []:
            conds = _judgement(view, tuple(key))
            if conds is None:
                state = "pending"
            else:
                bad = [conds.get(t) for t in REQUIRED_CONDITIONS
                       if (conds.get(t) or {}).get("status") != "True"]
                state = "accepted" if not bad else ((bad[0] or {}).get("reason") or "not accepted")
            parts.append("%s/%s %s" % (key[0], key[1], state))
    return ", ".join(parts) if parts else "-"
