"""The canary's preview route (`canary.preview.hostnames`): the main route's rules, to the canary only.

The promises, as a spec: with the canary on, a route and preview host names, one more HTTPRoute,
`<fullname>-canary-preview`, with the canary's labels, the main route's parentRefs, the preview
host names and the main route's rules, every backend the canary's Service alone (no weight);
nothing else changes, the main route least of all (byte for byte); without any of the three
nothing is rendered and nothing changes; a preview host name without a route, that is an IP
address or that the main route also answers is refused with the key named.
"""
from __future__ import annotations

import copy
import re

import pytest

from chartlib import CI_VALUES, ci_id
from test_canary import CANARY_TAG, ROUTE, by_name, canary, merged

PREVIEW_HOSTS = ["preview.shop.example.com", "*.preview.example.com"]
PREVIEW = "web-webapp-canary-preview"
CANARY_BACKEND = [{"name": "web-webapp-canary", "port": 80}]

# A main route with every part a rule can hold: matches of each kind, filters, timeouts, a redirect.
RICH_ROUTE = {
    "enabled": True,
    "parentRefs": [{"name": "edge", "namespace": "gateway-system", "sectionName": "https", "port": 443},
                   {"name": "inner"}],
    "hostnames": ["shop.example.com"],
    "annotations": {"example.com/owner": "shop"},
    "rules": [
        {"matches": [{"path": {"type": "Exact", "value": "/api"},
                      "headers": [{"name": "X-Env", "value": "^(qa|dev)$", "type": "RegularExpression"}],
                      "queryParams": [{"name": "v", "value": "2"}], "method": "POST"},
                     {"path": {"type": "PathPrefix", "value": "/static"}}],
         "filters": [{"type": "RequestHeaderModifier", "requestHeaderModifier": {"set": [{"name": "X-Track", "value": "web"}]}}],
         "timeouts": {"request": "10s", "backendRequest": "5s"}},
        {"matches": [{"path": {"value": "/old"}}],
         "filters": [{"type": "RequestRedirect", "requestRedirect": {
             "path": {"type": "ReplaceFullPath", "replaceFullPath": "/new"}, "statusCode": 301}}]},
        {},
    ],
}


def preview(*hostnames: str) -> dict:
    return {"canary": {"preview": {"hostnames": list(hostnames)}}}


def routes(out) -> dict:
    return by_name(out, "HTTPRoute")


def sources(out) -> list[str]:
    """The rendered text, one piece per document, from its `# Source:` line (helm ends the last
    document before the hooks without the blank line it puts after the others: not compared)."""
    return [t.rstrip("\n") for t in re.split(r"(?m)^---\n", out.text)]


def without_backends(rules: list[dict]) -> list[dict]:
    return [{k: v for k, v in rule.items() if k != "backendRefs"} for rule in rules]


@pytest.fixture(scope="module")
def rich(render):
    return render(values=merged({"httpRoute": RICH_ROUTE, "networkPolicy": {"enabled": True}},
                                canary(weight=10), preview(*PREVIEW_HOSTS)))


@pytest.fixture(scope="module")
def rich_off(render):
    """The same, without preview host names."""
    return render(values=merged({"httpRoute": RICH_ROUTE, "networkPolicy": {"enabled": True}}, canary(weight=10)))


# ---------------------------------------------------------------------------------------------
# The preview route


def test_the_preview_route_is_one_more_object(rich, rich_off):
    assert sorted(routes(rich)) == ["web-webapp", PREVIEW]
    assert len(rich.docs) == len(rich_off.docs) + 1


def test_the_preview_route_carries_the_canarys_labels_and_no_annotation(rich):
    route = routes(rich)[PREVIEW]
    assert route["metadata"]["namespace"] == "shop"
    assert route["metadata"]["labels"] == by_name(rich, "Service")["web-webapp-canary"]["metadata"]["labels"]
    assert route["metadata"]["labels"]["kubeha.io/canary-of"] == "web"
    assert route["metadata"]["labels"]["app.kubernetes.io/version"] == CANARY_TAG
    assert "annotations" not in route["metadata"]


def test_the_preview_route_attaches_where_the_main_route_does_on_the_preview_hosts(rich):
    found = routes(rich)
    assert found[PREVIEW]["spec"]["parentRefs"] == found["web-webapp"]["spec"]["parentRefs"] == [
        {"name": "edge", "namespace": "gateway-system", "sectionName": "https", "port": 443}, {"name": "inner"}]
    assert found[PREVIEW]["spec"]["hostnames"] == PREVIEW_HOSTS
    assert found["web-webapp"]["spec"]["hostnames"] == ["shop.example.com"]


def test_the_preview_route_sends_every_rule_to_the_canary_alone(rich):
    rules = routes(rich)[PREVIEW]["spec"]["rules"]
    # The redirect rule answers by itself, as in the main route.
    assert [r.get("backendRefs") for r in rules] == [CANARY_BACKEND, None, CANARY_BACKEND]


def test_the_preview_route_copies_the_main_routes_matches_filters_and_timeouts(rich):
    found = routes(rich)
    main, prev = found["web-webapp"]["spec"]["rules"], found[PREVIEW]["spec"]["rules"]
    assert without_backends(prev) == without_backends(main)
    assert prev[0]["matches"][0] == {"path": {"type": "Exact", "value": "/api"},
                                     "headers": [{"type": "RegularExpression", "name": "X-Env", "value": "^(qa|dev)$"}],
                                     "queryParams": [{"type": "Exact", "name": "v", "value": "2"}], "method": "POST"}
    assert prev[0]["filters"] == RICH_ROUTE["rules"][0]["filters"]
    assert prev[0]["timeouts"] == {"request": "10s", "backendRequest": "5s"}
    assert prev[1]["filters"] == RICH_ROUTE["rules"][1]["filters"]


@pytest.mark.parametrize("weight", [0, 100])
def test_the_preview_route_ignores_the_weight(render, weight):
    out = render(values=merged({"httpRoute": ROUTE}, canary(weight=weight), preview("preview.example.com")))
    assert routes(out)[PREVIEW]["spec"]["rules"][0]["backendRefs"] == CANARY_BACKEND


def test_the_preview_backend_is_on_the_service_port(render):
    out = render(values=merged({"httpRoute": ROUTE, "service": {"port": 8080}}, canary(), preview("preview.example.com")))
    assert routes(out)[PREVIEW]["spec"]["rules"][0]["backendRefs"] == [{"name": "web-webapp-canary", "port": 8080}]


@pytest.mark.parametrize("release, override", [("web", "f" * 53), ("r" * 53, None)])
def test_the_preview_name_stays_a_dns_label(render, release, override):
    values = merged({"httpRoute": ROUTE}, canary(), preview("preview.example.com"))
    if override:
        values["fullnameOverride"] = override
    out = render(values=values, release=release)
    (name,) = [n for n in routes(out) if n.endswith("-preview")]
    assert len(name) <= 63 and name.endswith("-canary-preview"), name


# ---------------------------------------------------------------------------------------------
# The main route, and everything else, never moves


def test_the_main_route_text_is_byte_identical_with_the_preview_on(render):
    values = merged({"httpRoute": RICH_ROUTE}, canary(weight=10))
    only = ("--show-only", "templates/httproute.yaml")
    on = render(values=merged(values, preview(*PREVIEW_HOSTS)), extra=only)
    # Up to the final newlines: helm ends the last manifest before the hooks with one less, and
    # the main route is last without the preview route.
    assert on.text.rstrip("\n") == render(values=values, extra=only).text.rstrip("\n")
    assert on.one("HTTPRoute")["metadata"]["name"] == "web-webapp"


@pytest.mark.parametrize("values_file", [m for m in CI_VALUES if ci_id(m) in ("full", "default")], ids=ci_id)
def test_turning_the_preview_on_adds_the_preview_route_only(render, values_file):
    base = merged({"httpRoute": {**ROUTE, "hostnames": ["shop.example.com"]}}, canary(weight=20))
    off = render(values_file, values=base)
    on = render(values_file, values=merged(base, preview("preview.example.com")))
    preview_source = "# Source: webapp/templates/tracks/canary-preview-httproute.yaml"
    assert [t for t in sources(on) if not t.startswith(preview_source)] == sources(off)
    assert len(on.docs) == len(off.docs) + 1


# ---------------------------------------------------------------------------------------------
# Absent: nothing is rendered, nothing changes


@pytest.mark.parametrize("values_file", CI_VALUES, ids=ci_id)
def test_preview_hosts_with_the_canary_off_change_nothing(render, values_file):
    assert render(values_file, values=preview("preview.example.com")).text == render(values_file).text


@pytest.mark.parametrize("values_file", CI_VALUES, ids=ci_id)
def test_empty_preview_hosts_are_the_default(render, values_file):
    assert render(values_file, values=preview()).text == render(values_file).text


ABSENT = {
    "canary-off": merged({"httpRoute": ROUTE}, preview("preview.example.com")),
    "hostnames-empty": merged({"httpRoute": ROUTE}, canary(weight=10), preview()),
    "route-off-canary-off": preview("preview.example.com"),
    "route-off-hostnames-empty": merged(canary(), preview()),
}


@pytest.mark.parametrize("values", ABSENT.values(), ids=ABSENT.keys())
def test_no_preview_route_without_canary_route_and_hostnames(render, values):
    out = render(values=values)
    assert PREVIEW not in routes(out)
    assert "canary-preview-httproute.yaml" not in out.text


# ---------------------------------------------------------------------------------------------
# Refusals


REFUSALS = {
    "without-route": (merged(canary(), preview("preview.example.com")),
                      "canary.preview.hostnames is set but httpRoute.enabled is off"),
    "ip-address": (merged({"httpRoute": ROUTE}, canary(), preview("preview.example.com", "10.0.0.1")),
                   'canary.preview.hostnames[1] "10.0.0.1" is an IP address'),
    "also-a-main-host": (merged({"httpRoute": {**ROUTE, "hostnames": ["shop.example.com", "preview.example.com"]}},
                                canary(), preview("preview.example.com")),
                         'canary.preview.hostnames[0] "preview.example.com" is also in httpRoute.hostnames'),
    "same-wildcard-as-a-main-host": (merged({"httpRoute": {**ROUTE, "hostnames": ["*.example.com"]}},
                                            canary(), preview("a.example.org", "*.example.com")),
                                     'canary.preview.hostnames[1] "*.example.com" is also in httpRoute.hostnames'),
}


@pytest.mark.parametrize("values, message", REFUSALS.values(), ids=REFUSALS.keys())
def test_bad_preview_hosts_are_refused_with_the_key_named(render, values, message):
    assert message in render.error(values=values)


SCHEMA_REFUSALS = {
    "upper-case": (["Preview.example.com"], "'/canary/preview/hostnames/0'"),
    "url": (["https://preview.example.com"], "'/canary/preview/hostnames/0'"),
    "label-too-long": (["a" * 64 + ".example.com"], "'/canary/preview/hostnames/0'"),
    "underscore": (["ok.example.com", "a_b.example.com"], "'/canary/preview/hostnames/1'"),
    "too-many": ([f"h{i}.example.com" for i in range(17)], "'/canary/preview/hostnames'"),
    "not-a-list": ("preview.example.com", "'/canary/preview/hostnames'"),
}


@pytest.mark.parametrize("hostnames, named", SCHEMA_REFUSALS.values(), ids=SCHEMA_REFUSALS.keys())
def test_the_schema_refuses_bad_preview_hosts(render, hostnames, named):
    values = merged({"httpRoute": ROUTE}, canary())
    values["canary"]["preview"] = {"hostnames": copy.deepcopy(hostnames)}
    error = render.error(values=values)
    assert "values don't meet the specifications of the schema" in error
    assert named in error


def test_the_schema_refuses_an_unknown_preview_key(render):
    error = render.error(values=merged({"httpRoute": ROUTE}, canary(), {"canary": {"preview": {"hosts": ["a.example.com"]}}}))
    assert "values don't meet the specifications of the schema" in error
    assert "'hosts'" in error


def test_sixteen_preview_hosts_render(render):
    hosts = [f"h{i}.example.com" for i in range(16)]
    out = render(values=merged({"httpRoute": ROUTE}, canary(), preview(*hosts)))
    assert routes(out)[PREVIEW]["spec"]["hostnames"] == hosts
