# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""What verify checks and what it concludes: which checks run for a release and which endpoints
each one requests (verify_plan), and one result per check from what the checks answered
(verify_results). The verify role reaches these through plugins/filter/verify.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kubeha.webapp.plugins.module_utils.images import normalize
from ansible_collections.kubeha.webapp.plugins.module_utils.routes import route_refusals

ALL_CHECKS = ["replicas", "clusterip", "nodeport", "loadbalancer", "ingress", "gateway", "selfheal"]
# The checks that request the app: each needs a pod behind the Service.
SERVING_CHECKS = ["clusterip", "nodeport", "loadbalancer", "ingress", "gateway", "selfheal"]
# Placeholders of verify_expected_body that name the release's image.
IMAGE_PLACEHOLDERS = ("{tag}", "{digest}", "{image}")

# The name requested for a wildcard hostname: any name under it is the route's.
WILDCARD_LABEL = "kubeha-verify"


def _host(addr):
    addr = str(addr)
    return "[%s]" % addr if ":" in addr and not addr.startswith("[") else addr


def _node_addresses(settings, live):
    given = [a for a in settings.get("node_addresses") or [] if a]
    notes = []
    if given:
        addrs = list(given)
    else:
        nodes = settings.get("nodes")  # InternalIP of every node, or None when not readable
        if nodes is not None:
            addrs = list(nodes)
        else:
            addrs = sorted({p.get("host_ip") for p in live.get("pods") or [] if p.get("host_ip")})
            notes.append("nodes are not readable with this identity: NodePort checked on the nodes "
                         "running the app's pods (%s); set verify_node_addresses for every node"
                         % (", ".join(addrs) or "none"))
    if settings.get("nodeport_localhost") and "127.0.0.1" not in addrs:
        addrs.append("127.0.0.1")
    seen, out = set(), []
    for a in addrs:
        if a not in seen:
            seen.add(a)
            out.append(a)
    return out, notes


def replicas_live(release_info):
    """The replicas check from the live objects alone: complete when every replica of the current
    template is updated, ready and available, no old pod is left, and the pods run the release's
    image. (When it is not complete, the role waits a bounded time with rollout_status.)"""
    live = (release_info or {}).get("live") or {}
    dep = live.get("deployment") or {}
    want = (((release_info or {}).get("release") or {}).get("image") or {}).get("ref")
    if not dep:
        return dict(status="absent", message="the release has no Deployment", replicas={}, images=[])
    pods = [p for p in live.get("pods") or [] if not p.get("deleting")]
    n = dep.get("replicas", 0)
    complete = (
        (dep.get("observed_generation") or 0) >= (dep.get("generation") or 0)
        and dep.get("updated") == n and dep.get("available") == n and dep.get("ready") == n
        and dep.get("current") == n and len(pods) == n and all(p.get("ready") for p in pods)
        and all(set(p.get("images") or []) == set(dep.get("images") or []) for p in pods)
    )
    return dict(status="complete" if complete else "progressing",
                message="%s/%s ready" % (dep.get("ready"), n),
                replicas=dict(desired=n, ready=dep.get("ready"), updated=dep.get("updated"),
                              available=dep.get("available")),
                images=dep.get("images") or [], expected_image=want)


def image_mismatch(release_info):
    """Why the Deployment cannot be running the release's image, or None: its own pod template
    names another one (a hand change, kubectl set image): no wait makes its pods run the
    release's. Compared as the nodes list images (kubeha/web:v1 is docker.io/kubeha/web:v1)."""
    dep = ((release_info or {}).get("live") or {}).get("deployment") or {}
    want = (((release_info or {}).get("release") or {}).get("image") or {}).get("ref")
    images = dep.get("images") or []
    if not dep or not want or not images or normalize(want) in [normalize(i) for i in images]:
        return None
    return "the Deployment's pod template runs %s, the release says %s (changed by hand?)" % (
        ", ".join(images), want)


def cannot_succeed(release_info, settings):
    """The checks that cannot pass however long they retry, with the reason, by check name: with
    the Deployment scaled to zero no pod serves the Service; with its pod template naming another
    image than the release's, its replicas never run the release's image, nor do the endpoints
    answer the release's version when the expected body names it."""
    dep = ((release_info or {}).get("live") or {}).get("deployment") or {}
    out = {}
    if dep and dep.get("replicas") == 0:
        for check in SERVING_CHECKS:
            out[check] = "the Deployment is scaled to zero: no pod serves the Service, not requested"
    mismatch = image_mismatch(release_info)
    if mismatch:
        out["replicas"] = mismatch
        if any(p in (settings.get("expected_body") or "") for p in IMAGE_PLACEHOLDERS):
            for check in SERVING_CHECKS:
                out.setdefault(check, "%s: the expected body %r cannot be answered, not requested" % (
                    mismatch, settings.get("expected_body")))
    return out


def verify_plan(release_info, settings):
    live = (release_info or {}).get("live") or {}
    svc = live.get("service") or {}
    ingresses = live.get("ingresses") or []
    path = settings.get("path") or "/"
    requested = [c for c in settings.get("checks") or [] if c in ALL_CHECKS]
    if requested:
        run = requested
    else:
        run = ["replicas", "clusterip"]
        if svc.get("type") in ("NodePort", "LoadBalancer"):
            run.append("nodeport")
        if svc.get("type") == "LoadBalancer":
            run.append("loadbalancer")
        if ingresses:
            run.append("ingress")
        if live.get("httproutes"):
            run.append("gateway")
        if settings.get("self_heal"):
            run.append("selfheal")
    plan = dict(run=run, incluster=[], controller=[], errors={}, notes=[], service=svc.get("name"),
                selfheal_url="", replicas_live=replicas_live(release_info), resolve=[])
    port = (svc.get("ports") or [{}])[0]
    ns = settings.get("namespace")
    svc_url = "http://%s.%s.svc:%s%s" % (svc.get("name"), ns, port.get("port"), path) if svc else ""
    if not svc and any(c in run for c in ("clusterip", "nodeport", "loadbalancer", "selfheal")):
        for c in ("clusterip", "nodeport", "loadbalancer", "selfheal"):
            if c in run:
                plan["errors"][c] = "the release has no Service"
    if "clusterip" in run and svc:
        plan["incluster"].append(dict(name="clusterip", url=svc_url))
    if "selfheal" in run and svc:
        plan["selfheal_url"] = svc_url
    if "nodeport" in run and svc:
        if not port.get("node_port"):
            plan["errors"]["nodeport"] = "Service %s is of type %s and has no nodePort" % (
                svc.get("name"), svc.get("type"))
        else:
            addrs, notes = _node_addresses(settings, live)
            plan["notes"].extend(notes)
            if not addrs:
                plan["errors"]["nodeport"] = "no node address to request (set verify_node_addresses)"
            for a in addrs:
                plan["controller"].append(dict(
                    check="nodeport", name="nodeport %s:%s" % (a, port["node_port"]),
                    url="http://%s:%s%s" % (_host(a), port["node_port"], path), host=""))
    if "loadbalancer" in run and svc:
        addr = settings.get("lb_address") or (svc.get("load_balancer") or [None])[0]
        if not addr:
            plan["errors"]["loadbalancer"] = (
                "Service %s (type %s) has no load balancer address in its status: no load balancer "
                "controller answered; set verify_loadbalancer_address to check one" % (
                    svc.get("name"), svc.get("type")))
        else:
            plan["controller"].append(dict(
                check="loadbalancer", name="loadbalancer %s:%s" % (addr, port.get("port")),
                url="http://%s:%s%s" % (_host(addr), port.get("port"), path), host=""))
    if "ingress" in run:
        if not ingresses:
            plan["errors"]["ingress"] = "the release has no Ingress (ingress.enabled is off)"
        for ing in ingresses:
            addr = settings.get("ingress_address") or (ing.get("addresses") or [None])[0]
            hosts = [r.get("host") for r in ing.get("rules") or [] if r.get("host")]
            if not addr:
                plan["errors"]["ingress"] = (
                    "Ingress %s has no address in its status (no ingress controller serves class %s); "
                    "set verify_ingress_address" % (ing.get("name"), ing.get("class_name") or "default"))
                continue
            scheme = settings.get("ingress_scheme") or "http"
            for h in hosts or [""]:
                plan["controller"].append(dict(
                    check="ingress", name="ingress %s" % (h or addr),
                    url="%s://%s%s" % (scheme, _host(addr) if str(addr).count(":") > 1 else addr, path),
                    host=h))
    if "gateway" in run:
        _gateway_endpoints(plan, live, settings, path)
    # What cannot pass fails at once, not after its retries; no request is planned for it. A
    # reason found above (no Service, a refused route) is the more precise one and stays.
    terminal = dict((c, reason) for c, reason in cannot_succeed(release_info, settings).items()
                    if c in run and c not in plan["errors"])
    plan["errors"].update(terminal)
    plan["incluster"] = [e for e in plan["incluster"] if e["name"] not in terminal]
    plan["controller"] = [e for e in plan["controller"] if e["check"] not in terminal]
    if "gateway" in terminal:
        plan["resolve"] = []
    if "selfheal" in terminal:
        plan["selfheal_url"] = ""
    return plan


def preview_plan(release_info, settings):
    """The gateway check of an upgrade's preview route (the new track's own hostnames, before any
    user request reaches it): ``settings.routes`` is the preview route as route_status read it; it
    has the parentRefs of the release's route, so it is requested on that route's Gateway address
    (release_info read it) unless settings.gateway_address names one. Same shape as verify_plan's
    result, with the gateway check only."""
    live = (release_info or {}).get("live") or {}
    gateways = {}
    for route in live.get("httproutes") or []:
        gateways.update(route.get("gateways") or {})
    routes = [dict(r, gateways=r.get("gateways") or gateways) for r in settings.get("routes") or []]
    plan = dict(run=["gateway"], incluster=[], controller=[], errors={}, notes=[], resolve=[])
    _gateway_endpoints(plan, dict(live, httproutes=routes), dict(settings, routes=routes), settings.get("path") or "/")
    return plan


def _gateway_endpoints(plan, live, settings, path):
    """The gateway check: every Gateway the release's HTTPRoutes name must have accepted them (an
    error naming the condition's reason otherwise, and no request sent), then each hostname is
    requested on the Gateway's address: over HTTP with its Host header, over HTTPS with its TLS
    server name (SNI) through http_check's resolve."""
    read = live.get("httproutes") or []
    routes = settings.get("routes")
    if routes is None:  # not waited for: what the release read saw
        routes = read
    # What release_info could read of each route's Gateways (route_status reads routes only).
    gateways = dict((r.get("name"), r.get("gateways") or {}) for r in read)
    # route_status's own lines when it ran: they also name a route it could not read.
    refusals = settings.get("route_refusals")
    if refusals is None:
        refusals = [line for r in routes for line in route_refusals(r)]
    if refusals:
        plan["errors"]["gateway"] = "; ".join(refusals)
        return
    if not routes:
        plan["errors"]["gateway"] = "the release has no HTTPRoute (httpRoute.enabled is off)"
        return
    http_port = int(settings.get("gateway_http_port") or 0)
    https_port = int(settings.get("gateway_https_port") or 0)
    for route in routes:
        addr = settings.get("gateway_address")
        if not addr:
            seen = route.get("gateways") or gateways.get(route.get("name")) or {}
            known = [a for gw in seen.values() if gw for a in gw.get("addresses") or []]
            addr = known[0] if known else ""
        if not addr:
            plan["errors"]["gateway"] = (
                "HTTPRoute %s is accepted, but no address of its Gateway is known: this identity may "
                "not read the Gateway (a platform team's object), or it has no address in its "
                "status; set verify_gateway_address" % route.get("name"))
            return
        hosts = [h.replace("*", WILDCARD_LABEL, 1) for h in route.get("hostnames") or []]
        for h in hosts or [""]:
            if http_port:
                where = _host(addr) + ("" if http_port == 80 else ":%s" % http_port)
                plan["controller"].append(dict(
                    check="gateway", name="gateway http %s" % (h or addr), url="http://%s%s" % (where, path),
                    host=h))
            if https_port and h:
                plan["controller"].append(dict(
                    check="gateway", name="gateway https %s" % h,
                    url="https://%s%s%s" % (h, "" if https_port == 443 else ":%s" % https_port, path), host=""))
                plan["resolve"].append("%s:%s:%s" % (h, https_port, addr))
    if https_port and not any(route.get("hostnames") for route in routes):
        plan["notes"].append("gateway: HTTPS not checked, the route names no hostname to send as "
                             "TLS server name")


def _endpoint_detail(r):
    if r.get("ok"):
        return "%s %s" % (r.get("status"), r.get("url"))
    if r.get("status", 0) == 0:
        got = "no HTTP answer (%s)" % (r.get("error") or "connection failed")
    else:
        got = "status %s, body %r" % (r.get("status"), (r.get("body") or "")[:100])
    return "%s%s: %s after %s attempts" % (
        r.get("url"), " (Host: %s)" % r["host"] if r.get("host") else "", got, r.get("attempts"))


def verify_results(plan, replicas=None, incluster=None, controller=None, selfheal=None,
                   continuity_max_failed=0):
    out = {}
    for check in plan.get("run") or []:
        if check in plan.get("errors", {}):
            out[check] = dict(result="FAILED", ok=False, detail=plan["errors"][check])
            continue
        if check == "replicas":
            r = replicas or {}
            if r.get("skipped") or not r:
                # Not waited for: the live objects showed a complete rollout already.
                r = plan.get("replicas_live") or {}
            if not r:
                out[check] = dict(result="not run", ok=True, detail="not run")
                continue
            reps = r.get("replicas") or {}
            image_ok = not r.get("expected_image") or r.get("expected_image") in (r.get("images") or [])
            ok = r.get("status") == "complete" and image_ok
            if r.get("status") != "complete":
                detail = r.get("message") or r.get("msg") or "rollout not complete"
                if r.get("explanation_short"):
                    detail += " [%s]" % r["explanation_short"]
            elif not image_ok:
                detail = "the Deployment runs %s, the release says %s" % (
                    ", ".join(r.get("images") or []), r.get("expected_image"))
            else:
                detail = "%s/%s ready, image %s" % (reps.get("ready"), reps.get("desired"),
                                                    ", ".join(r.get("images") or []))
            out[check] = dict(result="ok %s/%s" % (reps.get("ready"), reps.get("desired")) if ok else "FAILED",
                              ok=ok, detail=detail)
            if not ok and r.get("explanation"):
                out[check]["explanation"] = r["explanation"]  # the failure message's full lines
        elif check == "selfheal":
            s = selfheal or {}
            if s.get("skipped") or s.get("not_run") or not s:
                out[check] = dict(result="not run", ok=True, detail=s.get("msg") or "not run")
            else:
                out[check] = dict(
                    result=("ok %ss" % s.get("recovery_seconds")) if s.get("ok") else "FAILED",
                    ok=bool(s.get("ok")), detail=s.get("msg", ""))
        else:
            source = incluster if check == "clusterip" else controller
            source = source or {}
            if source.get("skipped") or source.get("not_run"):
                out[check] = dict(result="not run", ok=True,
                                  detail=source.get("msg") or "not run (check mode)")
                continue
            if not source.get("results") and source.get("msg"):
                out[check] = dict(result="FAILED", ok=False, detail=source.get("msg", "failed"))
                continue
            wanted = [e["name"] for e in (plan.get("incluster") if check == "clusterip"
                                          else plan.get("controller")) if e.get("check", check) == check]
            rs = [r for r in source.get("results") or [] if r.get("name") in wanted]
            good = [r for r in rs if r.get("ok")]
            ok = bool(rs) and len(good) == len(rs)
            label = "ok" if ok else "FAILED"
            if len(rs) > 1:
                label += " %d/%d" % (len(good), len(rs))
            details = [("%s: " % r["name"]) + _endpoint_detail(r) for r in rs if not r.get("ok")]
            if ok:
                details = [_endpoint_detail(r) for r in rs]
            out[check] = dict(result=label, ok=ok, detail="; ".join(details) or "no endpoint")
    cont = (incluster or {}).get("continuity")
    if cont:
        ok = cont.get("failed", 0) <= int(continuity_max_failed)
        detail = "%d requests to the Service during the rollout, %d failed" % (
            cont.get("requests", 0), cont.get("failed", 0))
        if cont.get("failed"):
            detail += " (e.g. %s)" % "; ".join(cont.get("samples") or [])
        out["continuity"] = dict(
            result=("ok %d/%d" % (cont.get("requests", 0) - cont.get("failed", 0), cont.get("requests", 0)))
            if ok else "FAILED %d/%d" % (cont.get("failed", 0), cont.get("requests", 0)),
            ok=ok, detail=detail)
    return out
