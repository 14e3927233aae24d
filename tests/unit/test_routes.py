"""What a release's HTTPRoute says about itself, and what verify does with it: routes recorded from
the local clusters' Gateway (Traefik's Gateway provider): accepted, refused by the listeners
(namespace not admitted), and just created (not judged yet)."""
from __future__ import annotations

import copy

from ansible_collections.kubeha.webapp.plugins.filter import summary, verify
from ansible_collections.kubeha.webapp.plugins.module_utils import routes


def test_an_accepted_route_is_settled_and_refused_by_nobody(api_object):
    view = routes.route_view(api_object("httproute_accepted"))
    assert view["name"] == "webapp"
    assert view["parent_refs"] == [["kubeha-ingress", "public", "", 0]]
    assert routes.route_settled(view)
    assert routes.route_refusals(view) == []
    assert routes.gateway_cell([view]) == "kubeha-ingress/public accepted"


def test_a_route_the_listeners_do_not_admit_is_refused_naming_the_reason(api_object):
    view = routes.route_view(api_object("httproute_not_allowed"))
    assert routes.route_settled(view), "a refusal is a judgement: nothing to wait for"
    (line,) = routes.route_refusals(view)
    assert "HTTPRoute webapp: Gateway kubeha-ingress/public" in line
    assert "Accepted=False NotAllowedByListeners" in line
    assert routes.gateway_cell([view]) == "kubeha-ingress/public NotAllowedByListeners"


def test_a_judgement_of_an_older_generation_does_not_count(api_object):
    obj = api_object("httproute_accepted")
    obj["metadata"]["generation"] += 1  # changed since the Gateway last judged it
    view = routes.route_view(obj)
    assert not routes.route_settled(view)
    (line,) = routes.route_refusals(view)
    assert "has not judged the route" in line
    assert routes.gateway_cell([view]) == "kubeha-ingress/public pending"


def test_a_route_without_status_is_pending(api_object):
    obj = api_object("httproute_accepted")
    obj.pop("status")
    assert not routes.route_settled(routes.route_view(obj))


def test_resolved_refs_false_is_a_refusal_even_when_accepted(api_object):
    obj = api_object("httproute_accepted")
    for cond in obj["status"]["parents"][0]["conditions"]:
        if cond["type"] == "ResolvedRefs":
            cond.update(status="False", reason="BackendNotFound", message="service webapp not found")
    (line,) = routes.route_refusals(routes.route_view(obj))
    assert "ResolvedRefs=False BackendNotFound: service webapp not found" in line


def test_a_parent_ref_names_its_listener_and_defaults_to_the_routes_namespace():
    key = routes.parent_key({"name": "public", "sectionName": "https"}, "shop")
    assert key == ("shop", "public", "https", 0)
    assert routes.parent_label(key) == "Gateway shop/public listener https"


def with_route(view, gateway=None):
    view = copy.deepcopy(view)
    if gateway is not None:
        view["gateways"] = {"kubeha-ingress/public": gateway}
    return {"live": {"service": {"name": "webapp", "type": "ClusterIP", "ports": [{"port": 80}]},
                     "ingresses": [], "httproutes": [view], "pods": []}}


BASE = {"checks": [], "path": "/", "namespace": "webapp", "gateway_http_port": 80, "gateway_https_port": 0}


def test_verify_checks_the_route_on_the_gateway_address_with_each_hostname(api_object):
    view = routes.route_view(api_object("httproute_accepted"))
    plan = verify.verify_plan(with_route(view), {**BASE, "gateway_address": "10.217.0.201",
                                                 "gateway_https_port": 443})
    assert "gateway" in plan["run"] and plan["errors"] == {}
    host = view["hostnames"][0]
    gw = [e for e in plan["controller"] if e["check"] == "gateway"]
    assert [(e["url"], e["host"]) for e in gw] == [
        ("http://10.217.0.201/", host), ("https://%s/" % host, "")]
    assert plan["resolve"] == ["%s:443:10.217.0.201" % host]


def test_verify_takes_the_gateways_address_when_it_may_read_the_gateway(api_object):
    view = routes.route_view(api_object("httproute_accepted"))
    readable = {"addresses": ["10.217.0.201"], "listeners": []}
    plan = verify.verify_plan(with_route(view, readable), {**BASE, "gateway_address": ""})
    assert [e["url"] for e in plan["controller"]] == ["http://10.217.0.201/"]
    plan = verify.verify_plan(with_route(view, None), {**BASE, "gateway_address": ""})
    assert "set verify_gateway_address" in plan["errors"]["gateway"]
    assert plan["controller"] == []


def test_a_refused_route_fails_the_gateway_check_without_a_request(api_object):
    view = routes.route_view(api_object("httproute_not_allowed"))
    plan = verify.verify_plan(with_route(view), {**BASE, "gateway_address": "10.217.0.201"})
    assert "NotAllowedByListeners" in plan["errors"]["gateway"]
    assert plan["controller"] == []
    results = verify.verify_results(plan)
    assert results["gateway"]["result"] == "FAILED"
    assert "NotAllowedByListeners" in results["gateway"]["detail"]


def test_the_judged_routes_route_status_read_replace_the_release_reads(api_object):
    stale = routes.route_view(api_object("httproute_accepted"))
    stale["generation"] += 1
    judged = routes.route_view(api_object("httproute_not_allowed"))
    plan = verify.verify_plan(with_route(stale), {**BASE, "gateway_address": "a", "routes": [judged]})
    assert "NotAllowedByListeners" in plan["errors"]["gateway"]


def test_a_route_route_status_could_not_read_fails_the_check_with_its_reason(api_object):
    view = routes.route_view(api_object("httproute_accepted"))
    why = 'reading HTTPRoutes in namespace webapp: forbidden: cannot get resource "httproutes"'
    plan = verify.verify_plan(with_route(view), {**BASE, "gateway_address": "a", "routes": [],
                                                 "route_refusals": [why]})
    assert plan["errors"]["gateway"] == why and plan["controller"] == []


def test_a_wildcard_hostname_is_requested_as_a_name_under_it(api_object):
    obj = api_object("httproute_accepted")
    obj["spec"]["hostnames"] = ["*.apps.example.com"]
    plan = verify.verify_plan(with_route(routes.route_view(obj)), {**BASE, "gateway_address": "gw"})
    assert plan["controller"][0]["host"] == "kubeha-verify.apps.example.com"


def test_without_a_route_the_gateway_check_is_not_run_unless_asked():
    live = {"live": {"service": {"name": "w", "type": "ClusterIP", "ports": [{"port": 80}]}, "httproutes": []}}
    assert "gateway" not in verify.verify_plan(live, BASE)["run"]
    plan = verify.verify_plan(live, {**BASE, "checks": ["gateway"]})
    assert "httpRoute.enabled is off" in plan["errors"]["gateway"]


def test_the_summary_has_a_gateway_column(api_object):
    view = routes.route_view(api_object("httproute_accepted"))
    hostvars = {"c1": {"webapp_state": {"namespace": "webapp", "release": "webapp"},
                       "webapp_final": {"exists": True, "release": {"revision": 1, "status": "deployed"},
                                        "live": {"httproutes": [view]}}},
                "c2": {"webapp_state": {"namespace": "webapp", "release": "webapp"},
                       "webapp_final": {"exists": True, "release": {"revision": 1, "status": "deployed"},
                                        "live": {"httproutes": []}}}}
    rows = summary.summary_rows(["c1", "c2"], hostvars)
    assert [r["gateway"] for r in rows] == ["kubeha-ingress/public accepted", "-"]


def test_a_preview_route_is_requested_on_the_gateway_of_the_release_route_with_its_own_hostnames(api_object):
    main = routes.route_view(api_object("httproute_accepted"))
    preview = dict(copy.deepcopy(main), name="webapp-canary-preview", hostnames=["preview-shop.example"])
    preview.pop("gateways", None)
    readable = {"addresses": ["10.217.0.201"], "listeners": []}
    plan = verify.preview_plan(with_route(main, readable), {**BASE, "gateway_address": "", "routes": [preview]})
    assert plan["run"] == ["gateway"] and plan["errors"] == {}
    assert [(e["url"], e["host"]) for e in plan["controller"]] == [("http://10.217.0.201/", "preview-shop.example")]


def test_a_preview_route_the_gateway_refused_fails_without_a_request(api_object):
    main = routes.route_view(api_object("httproute_accepted"))
    refused = dict(routes.route_view(api_object("httproute_not_allowed")), name="webapp-canary-preview")
    plan = verify.preview_plan(with_route(main), {**BASE, "gateway_address": "gw", "routes": [refused]})
    assert "NotAllowedByListeners" in plan["errors"]["gateway"] and plan["controller"] == []
