"""Every HTTPRoute the chart renders is one the pinned Gateway API CRD admits.

The CRDs are the standard channel of GATEWAY_API_VERSION (cluster/versions.env), as
`cluster/lib/build.sh gateway-api` writes them from the module's own files into
$KUBEHA_CACHE/bin/gateway-api-<version>/standard-install.yaml. The HTTPRoute CRD's
openAPIV3Schema for the served version v1 is applied with `jsonschema`, strict as the API server
is (a structural schema prunes unknown fields: here they are errors, so that the chart never
renders a field the API server would drop without a word). Its x-kubernetes-validations (CEL)
rules cannot run here: each one is either checked by a Python rendering of the same rule
(CEL_CHECKS) or cannot be reached from the chart's values (UNREACHABLE, with the reason), and a
CRD that brings a rule neither list knows fails the test. The limits the chart's values schema
copies from the CRD (enums, maxItems, patterns) are compared with the CRD's own.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from chartlib import CHART, CI_VALUES, ci_id, pinned_version
from test_manifests_valid import VARIANTS

CRD_NAME = "httproutes.gateway.networking.k8s.io"


def _gateway_api_version() -> str:
    """GATEWAY_API_VERSION of cluster/versions.env (the environment's only while it has none)."""
    version = pinned_version("GATEWAY_API_VERSION") or os.environ.get("GATEWAY_API_VERSION")
    if not version:
        pytest.fail("GATEWAY_API_VERSION is not pinned in cluster/versions.env (nor exported): "
                    "the chart's HTTPRoute is validated against that Gateway API release's CRDs")
    return version


def _crd_file(version: str) -> Path:
    cache = Path(os.environ.get("KUBEHA_CACHE")
                 or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kubeha")
    return cache / "bin" / f"gateway-api-{version}" / "standard-install.yaml"


def strict(node):
    """The CRD's schema with unknown fields refused wherever it lists the known ones."""
    if isinstance(node, list):
        return [strict(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: strict(v) for k, v in node.items() if k != "x-kubernetes-validations"}
    if "properties" in node and "additionalProperties" not in node and not node.get(
            "x-kubernetes-preserve-unknown-fields"):
        out["additionalProperties"] = False
    return out


@pytest.fixture(scope="module")
def crd() -> dict:
    version = _gateway_api_version()
    path = _crd_file(version)
    if not path.is_file():
        pytest.fail(f"{path} is missing: `cluster/lib/build.sh gateway-api` writes it "
                    f"(the standard-channel CRDs of sigs.k8s.io/gateway-api@{version})")
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
    (found,) = [d for d in docs if d.get("kind") == "CustomResourceDefinition" and d["metadata"]["name"] == CRD_NAME]
    annotations = found["metadata"]["annotations"]
    assert annotations["gateway.networking.k8s.io/bundle-version"] == version, annotations
    assert annotations["gateway.networking.k8s.io/channel"] == "standard", annotations
    return found


@pytest.fixture(scope="module")
def v1_schema(crd) -> dict:
    (v1,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1"]
    assert v1["served"] is True
    return v1["schema"]["openAPIV3Schema"]


@pytest.fixture(scope="module")
def validator(v1_schema):
    schema = strict(v1_schema)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def openapi_errors(validator, route: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path)) or '.'}: {e.message}" for e in validator.iter_errors(route)]


# ---------------------------------------------------------------------------------------------
# The CRD's CEL rules, rendered in Python for the parts of a route the chart can produce


def millis(duration: str) -> int:
    units = {"h": 3_600_000, "m": 60_000, "s": 1000, "ms": 1}
    return sum(int(n) * units[u] for n, u in re.findall(r"([0-9]+)(ms|h|m|s)", duration))


def _same_parent(p, q) -> bool:
    keys = ("group", "kind", "name")
    return all(p.get(k) == q.get(k) for k in keys) and (p.get("namespace") or "") == (q.get("namespace") or "")


def check_parent_refs(spec):
    refs = spec.get("parentRefs", [])
    for i, p in enumerate(refs):
        same = [q for q in refs if _same_parent(p, q)]
        if any(bool(p.get("sectionName")) != bool(q.get("sectionName")) for q in same):
            yield (f"parentRefs[{i}]: sectionName must be specified when parentRefs includes 2 or more references"
                   " to the same parent")
        if sum(1 for q in same if (p.get("sectionName") or "") == (q.get("sectionName") or "")) != 1:
            yield f"parentRefs[{i}]: sectionName must be unique when parentRefs includes 2 or more references to the same parent"


def check_total_matches(spec):
    total = sum(len(rule.get("matches", [{}])) for rule in spec.get("rules", []))
    if total > 128:
        yield f"rules: {total} matches in all, more than 128"


def _filter_key(filter_type: str) -> str:
    return {"URLRewrite": "urlRewrite", "CORS": "cors"}.get(filter_type, filter_type[0].lower() + filter_type[1:])


FILTER_KEYS = ("cors", "requestHeaderModifier", "responseHeaderModifier", "requestMirror", "requestRedirect",
               "urlRewrite", "extensionRef")


def check_rules(spec):
    for r, rule in enumerate(spec.get("rules", [])):
        filters = rule.get("filters", [])
        if rule.get("backendRefs") and any("requestRedirect" in f for f in filters):
            yield f"rules[{r}]: RequestRedirect filter must not be used together with backendRefs"
        for key in ("requestRedirect", "urlRewrite"):
            prefix = [f for f in filters if f.get(key, {}).get("path", {}).get("type") == "ReplacePrefixMatch"
                      and "replacePrefixMatch" in f[key]["path"]]
            matches = rule.get("matches", [{"path": {"type": "PathPrefix", "value": "/"}}])
            if len(prefix) == 1 and (len(matches) != 1 or matches[0].get("path", {}).get("type") != "PathPrefix"):
                yield f"rules[{r}]: {key} with path.replacePrefixMatch needs exactly one PathPrefix match"
        for b, ref in enumerate(rule.get("backendRefs", [])):
            if ref.get("group", "") == "" and ref.get("kind", "Service") == "Service" and "port" not in ref:
                yield f"rules[{r}].backendRefs[{b}]: Must have port for Service reference"
        types = [f.get("type") for f in filters]
        if "RequestRedirect" in types and "URLRewrite" in types:
            yield f"rules[{r}].filters: either RequestRedirect or URLRewrite, not both"
        for t in set(types):
            if types.count(t) > 1 and t != "ExtensionRef":
                yield f"rules[{r}].filters: {t} filter cannot be repeated"
        for f, flt in enumerate(filters):
            for key in FILTER_KEYS:
                own = _filter_key(flt.get("type", "")) == key
                if key in flt and not own:
                    yield f"rules[{r}].filters[{f}]: filter.{key} must be nil if the filter.type is not its own"
                if own and key not in flt:
                    yield f"rules[{r}].filters[{f}]: filter.{key} must be specified for its filter.type"
            for key in ("requestRedirect", "urlRewrite"):
                path = flt.get(key, {}).get("path")
                if path is None:
                    continue
                for field, kind in (("replaceFullPath", "ReplaceFullPath"), ("replacePrefixMatch", "ReplacePrefixMatch")):
                    if (path["type"] == kind) != (field in path):
                        yield f"rules[{r}].filters[{f}].{key}.path: {field} goes with type {kind}, and only with it"
        timeouts = rule.get("timeouts", {})
        if "request" in timeouts and "backendRequest" in timeouts and millis(timeouts["request"]) != 0 \
                and millis(timeouts["backendRequest"]) > millis(timeouts["request"]):
            yield f"rules[{r}].timeouts: backendRequest timeout cannot be longer than request timeout"
        for m, match in enumerate(rule.get("matches", [])):
            yield from (f"rules[{r}].matches[{m}].path: {p}" for p in _path_problems(match.get("path", {})))


PATH_CHARS = re.compile(r"^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$")


def _path_problems(path):
    kind, value = path.get("type", "PathPrefix"), path.get("value", "/")
    if kind not in ("Exact", "PathPrefix", "RegularExpression"):
        yield f"type {kind!r} is none of Exact, PathPrefix, RegularExpression"
    if kind not in ("Exact", "PathPrefix"):
        return
    if not value.startswith("/"):
        yield f"{value!r} must start with '/'"
    for bad in ("//", "/./", "/../", "%2f", "%2F", "#"):
        if bad in value:
            yield f"{value!r} must not contain {bad!r}"
    for bad in ("/..", "/."):
        if value.endswith(bad):
            yield f"{value!r} must not end with {bad!r}"
    if not PATH_CHARS.match(value):
        yield f"{value!r} holds a character a path cannot"


def check_list_keys(spec, schema, where=""):
    """x-kubernetes-list-type map (unique keys) and set (unique items): the API server's own check."""
    if isinstance(spec, dict):
        for key, value in spec.items():
            sub = schema.get("properties", {}).get(key, {})
            yield from check_list_keys(value, sub, f"{where}.{key}" if where else key)
    elif isinstance(spec, list):
        kind = schema.get("x-kubernetes-list-type")
        if kind == "map":
            keys = [tuple(item.get(k) for k in schema["x-kubernetes-list-map-keys"]) for item in spec]
            if len(set(keys)) != len(keys):
                yield f"{where}: duplicate keys {keys}"
        elif kind == "set" and len({repr(i) for i in spec}) != len(spec):
            yield f"{where}: duplicate items {spec}"
        for i, item in enumerate(spec):
            yield from check_list_keys(item, schema.get("items", {}), f"{where}[{i}]")


def cel_errors(v1_schema, route: dict) -> list[str]:
    spec = route.get("spec", {})
    found = [*check_parent_refs(spec), *check_total_matches(spec), *check_rules(spec)]
    found += list(check_list_keys(spec, v1_schema["properties"]["spec"], "spec"))
    return found


# Each CEL message of the CRD's v1 spec: checked above, or why the chart's values cannot break it.
CEL_CHECKS = {
    "sectionName must be specified when parentRefs includes 2 or more references to the same parent",
    "sectionName must be unique when parentRefs includes 2 or more references to the same parent",
    "While 16 rules and 64 matches per rule are allowed, the total number of matches across all rules in a route"
    " must be less than 128",
    "RequestRedirect filter must not be used together with backendRefs",
    "When using RequestRedirect filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified",
    "When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified",
    "Must have port for Service reference",
    "May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both",
    "CORS filter cannot be repeated",
    "RequestHeaderModifier filter cannot be repeated",
    "ResponseHeaderModifier filter cannot be repeated",
    "RequestRedirect filter cannot be repeated",
    "URLRewrite filter cannot be repeated",
    *(f"filter.{key} must be nil if the filter.type is not {t}" for key, t in (
        ("cors", "CORS"), ("requestHeaderModifier", "RequestHeaderModifier"),
        ("responseHeaderModifier", "ResponseHeaderModifier"), ("requestMirror", "RequestMirror"),
        ("requestRedirect", "RequestRedirect"), ("urlRewrite", "URLRewrite"), ("extensionRef", "ExtensionRef"))),
    *(f"filter.{key} must be specified for {t} filter.type" for key, t in (
        ("cors", "CORS"), ("requestHeaderModifier", "RequestHeaderModifier"),
        ("responseHeaderModifier", "ResponseHeaderModifier"), ("requestMirror", "RequestMirror"),
        ("requestRedirect", "RequestRedirect"), ("urlRewrite", "URLRewrite"), ("extensionRef", "ExtensionRef"))),
    "replaceFullPath must be specified when type is set to 'ReplaceFullPath'",
    "type must be 'ReplaceFullPath' when replaceFullPath is set",
    "replacePrefixMatch must be specified when type is set to 'ReplacePrefixMatch'",
    "type must be 'ReplacePrefixMatch' when replacePrefixMatch is set",
    "backendRequest timeout cannot be longer than request timeout",
    "value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']",
    *(f"must not contain '{bad}' when type one of ['Exact', 'PathPrefix']" for bad in ("//", "/./", "/../", "%2f", "%2F", "#")),
    *(f"must not end with '{bad}' when type one of ['Exact', 'PathPrefix']" for bad in ("/..", "/.")),
    "type must be one of ['Exact', 'PathPrefix', 'RegularExpression']",
    "must only contain valid characters (matching ^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$)"
    " for types ['Exact', 'PathPrefix']",
}
UNREACHABLE = {
    # The chart's filter types are the four plain ones (values schema: filters[].type enum).
    "AllowHeaders cannot contain '*' alongside other methods": "no CORS filter",
    "AllowMethods cannot contain '*' alongside other methods": "no CORS filter",
    "AllowOrigins cannot contain '*' alongside other origins": "no CORS filter",
    "Only one of percent or fraction may be specified in HTTPRequestMirrorFilter": "no RequestMirror filter",
    "numerator must be less than or equal to denominator": "no RequestMirror filter",
    # The chart's backendRefs are {name, port, weight}: no filters of their own.
    "Within backendRefs, when using RequestRedirect filter with path.replacePrefixMatch, exactly one PathPrefix"
    " match must be specified": "no backendRefs[].filters",
    "Within backendRefs, When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix"
    " match must be specified": "no backendRefs[].filters",
}


def _cel_messages(node, found):
    if isinstance(node, dict):
        for rule in node.get("x-kubernetes-validations", []):
            found.add(rule.get("message") or rule["rule"])
        for value in node.values():
            _cel_messages(value, found)
    elif isinstance(node, list):
        for value in node:
            _cel_messages(value, found)
    return found


def test_every_cel_rule_of_the_crd_is_checked_or_out_of_the_charts_reach(v1_schema):
    messages = _cel_messages(v1_schema["properties"]["spec"], set())
    assert messages - CEL_CHECKS - set(UNREACHABLE) == set(), "CEL rules this test does not know"
    assert (CEL_CHECKS | set(UNREACHABLE)) - messages == set(), "rules this test lists that the CRD no longer has"


# ---------------------------------------------------------------------------------------------
# The rendered routes


# Shapes at the edges of what the values allow, beyond the ci matrices and VARIANTS.
EDGE_ROUTES = {
    "wildcard-host-and-listener-port": {
        "hostnames": ["*.example.com", "example.com"], "parentRefs": [{"name": "edge", "port": 8080}]},
    "every-parent-ref": {"parentRefs": [{"name": "edge", "sectionName": f"l{i}"} for i in range(32)]},
    "every-hostname": {"hostnames": [f"h{i}.example.com" for i in range(16)]},
    "every-match": {"rules": [{"matches": [{"path": {"value": f"/{r}/{m}"}} for m in range(64)]} for r in range(2)]},
    "every-rule": {"rules": [{"matches": [{"path": {"type": "Exact", "value": f"/{r}"}}]} for r in range(16)]},
    "regex-path-header-and-query": {"rules": [{"matches": [{
        "path": {"type": "RegularExpression", "value": "^/v[0-9]+/.*$"},
        "headers": [{"name": "X-Env", "value": "^(dev|qa)$", "type": "RegularExpression"}, {"name": "X-Team", "value": "web"}],
        "queryParams": [{"name": "q", "value": "[a-z]+", "type": "RegularExpression"}, {"name": "Q", "value": "1"}],
        "method": "HEAD"}]}]},
    "path-with-escapes": {"rules": [{"matches": [{"path": {"type": "Exact", "value": "/a%20b/c.d_e~f:g@h"}}]}]},
    "redirect-every-field": {"rules": [{"filters": [{"type": "RequestRedirect", "requestRedirect": {
        "scheme": "https", "hostname": "www.example.com", "port": 8443, "statusCode": 308,
        "path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/new"}}}]}]},
    "rewrite-host-and-path": {"rules": [{"filters": [
        {"type": "URLRewrite", "urlRewrite": {
            "hostname": "backend.internal", "path": {"type": "ReplaceFullPath", "replaceFullPath": "/"}}},
        {"type": "RequestHeaderModifier", "requestHeaderModifier": {
            "add": [{"name": "X-A", "value": "1"}], "remove": ["X-B"]}}]}]},
    "longest-durations": {"rules": [{"timeouts": {"request": "99999h99999m99999s99999ms", "backendRequest": "1h30m"}}]},
    "equal-timeouts": {"rules": [{"timeouts": {"request": "90s", "backendRequest": "1m30s"}}]},
    "weights-at-the-bounds": {"rules": [{"backendRefs": [
        {"name": "a", "port": 80, "weight": 0}, {"name": "b", "port": 80, "weight": 1000000}]}]},
}


def _edge_values(extra: dict) -> dict:
    return {"httpRoute": {"enabled": True, "parentRefs": [{"name": "edge"}], **extra}}


def _renders():
    yield from ((f"ci-{ci_id(m)}", m, None) for m in CI_VALUES)
    yield from ((f"variant-{name}", None, values) for name, values in VARIANTS.items())
    yield from ((f"edge-{name}", None, _edge_values(extra)) for name, extra in EDGE_ROUTES.items())


RENDERS = list(_renders())


@pytest.fixture(scope="module")
def routes(render) -> dict[str, list[dict]]:
    return {name: render(*([matrix] if matrix else []), values=values).all("HTTPRoute")
            for name, matrix, values in RENDERS}


def test_the_ci_matrices_and_variants_render_routes(routes):
    # A check over no route would pass whatever the CRD says.
    with_route = [name for name, found in routes.items() if found]
    assert {"ci-full", "ci-gateway", "variant-httproute-minimal"} <= set(with_route)
    assert len(with_route) >= 3 + len(EDGE_ROUTES)
    # One route each, but the canary's preview route beside the main one.
    assert {name: len(found) for name, found in routes.items() if len(found) > 1} == {"variant-canary-preview": 2}


@pytest.mark.parametrize("name", [name for name, _, _ in RENDERS])
def test_rendered_routes_pass_the_crd_schema_and_its_cel_rules(routes, validator, v1_schema, name):
    for route in routes[name]:
        assert route["apiVersion"] == "gateway.networking.k8s.io/v1"
        assert openapi_errors(validator, route) == []
        assert cel_errors(v1_schema, route) == []


BROKEN = {
    "apiVersion": "gateway.networking.k8s.io/v1",
    "kind": "HTTPRoute",
    "metadata": {"name": "broken", "namespace": "shop"},
    "spec": {
        "parentRefs": [{"name": "edge", "sectionNam": "http"}],
        "hostnames": ["Shop.Example.com"],
        "rules": [{
            "matches": [{"path": {"type": "Prefix", "value": "/"}}],
            "filters": [{"type": "RequestRedirect", "requestRedirect": {"statusCode": 404}}],
            "backendRefs": [{"name": "web", "port": 80}],
        }],
    },
}


def test_the_crd_schema_refuses_a_broken_route(validator):
    errors = openapi_errors(validator, BROKEN)
    text = "\n".join(errors)
    assert "spec/parentRefs/0: Additional properties are not allowed ('sectionNam' was unexpected)" in text, text
    assert "spec/hostnames/0: 'Shop.Example.com' does not match" in text, text
    assert "spec/rules/0/matches/0/path/type: 'Prefix' is not one of" in text, text
    assert "spec/rules/0/filters/0/requestRedirect/statusCode: 404 is not one of" in text, text


def test_the_cel_rules_refuse_a_broken_route(v1_schema):
    errors = cel_errors(v1_schema, BROKEN)
    assert "rules[0]: RequestRedirect filter must not be used together with backendRefs" in errors, errors
    twice = {**BROKEN["spec"], "parentRefs": [{"name": "edge"}, {"name": "edge"}],
             "rules": [{"matches": [{"path": {"value": "/a//b"},
                                     "headers": [{"name": "A", "value": "1"}, {"name": "A", "value": "2"}]}],
                        "timeouts": {"request": "1s", "backendRequest": "2s"}}]}
    errors = cel_errors(v1_schema, {"spec": twice})
    for expected in ("parentRefs[1]: sectionName must be unique", "rules[0].timeouts: backendRequest timeout cannot be longer",
                     "rules[0].matches[0].path: '/a//b' must not contain '//'",
                     "spec.rules[0].matches[0].headers: duplicate keys"):
        assert any(e.startswith(expected) for e in errors), (expected, errors)


# ---------------------------------------------------------------------------------------------
# The chart's values schema copies the CRD's limits


def _at(schema: dict, pointer: str):
    node = schema
    for part in pointer.split("/"):
        node = node["items"] if part == "[]" else node["properties"][part]
    return node


def _values_at(values_schema: dict, pointer: str):
    node = values_schema
    for part in pointer.split("/"):
        while "$ref" in node:
            node = values_schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
        node = node["items"] if part == "[]" else node["properties"][part]
    while "$ref" in node:
        node = values_schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


# (values schema pointer under httpRoute, CRD pointer under spec, keyword)
SAME_LIMITS = [
    ("parentRefs", "parentRefs", "maxItems"),
    ("parentRefs/[]/port", "parentRefs/[]/port", "maximum"),
    ("hostnames", "hostnames", "maxItems"),
    ("rules", "rules", "maxItems"),
    ("rules", "rules", "minItems"),
    ("rules/[]/matches", "rules/[]/matches", "maxItems"),
    ("rules/[]/matches/[]/path/type", "rules/[]/matches/[]/path/type", "enum"),
    ("rules/[]/matches/[]/path/value", "rules/[]/matches/[]/path/value", "maxLength"),
    ("rules/[]/matches/[]/headers", "rules/[]/matches/[]/headers", "maxItems"),
    ("rules/[]/matches/[]/headers/[]/type", "rules/[]/matches/[]/headers/[]/type", "enum"),
    ("rules/[]/matches/[]/headers/[]/name", "rules/[]/matches/[]/headers/[]/name", "pattern"),
    ("rules/[]/matches/[]/headers/[]/value", "rules/[]/matches/[]/headers/[]/value", "maxLength"),
    ("rules/[]/matches/[]/queryParams", "rules/[]/matches/[]/queryParams", "maxItems"),
    ("rules/[]/matches/[]/queryParams/[]/value", "rules/[]/matches/[]/queryParams/[]/value", "maxLength"),
    ("rules/[]/matches/[]/method", "rules/[]/matches/[]/method", "enum"),
    ("rules/[]/filters", "rules/[]/filters", "maxItems"),
    ("rules/[]/filters/[]/requestHeaderModifier/set", "rules/[]/filters/[]/requestHeaderModifier/set", "maxItems"),
    ("rules/[]/filters/[]/requestRedirect/scheme", "rules/[]/filters/[]/requestRedirect/scheme", "enum"),
    ("rules/[]/filters/[]/requestRedirect/statusCode", "rules/[]/filters/[]/requestRedirect/statusCode", "enum"),
    ("rules/[]/filters/[]/requestRedirect/hostname", "rules/[]/filters/[]/requestRedirect/hostname", "pattern"),
    ("rules/[]/filters/[]/requestRedirect/path/type", "rules/[]/filters/[]/requestRedirect/path/type", "enum"),
    ("rules/[]/filters/[]/urlRewrite/path/replaceFullPath", "rules/[]/filters/[]/urlRewrite/path/replaceFullPath", "maxLength"),
    ("rules/[]/timeouts/request", "rules/[]/timeouts/request", "pattern"),
    ("rules/[]/timeouts/backendRequest", "rules/[]/timeouts/backendRequest", "pattern"),
    ("rules/[]/backendRefs", "rules/[]/backendRefs", "maxItems"),
    ("rules/[]/backendRefs/[]/weight", "rules/[]/backendRefs/[]/weight", "minimum"),
    ("rules/[]/backendRefs/[]/weight", "rules/[]/backendRefs/[]/weight", "maximum"),
]


@pytest.fixture(scope="module")
def values_schema():
    return json.loads((CHART / "values.schema.json").read_text())


@pytest.mark.parametrize("ours, theirs, keyword", SAME_LIMITS, ids=lambda x: x if isinstance(x, str) else None)
def test_the_values_schema_keeps_the_crds_limits(values_schema, v1_schema, ours, theirs, keyword):
    mine = _values_at({**values_schema["properties"]["httpRoute"], "$defs": values_schema["$defs"]}, ours)
    crd = _at(v1_schema["properties"]["spec"], theirs)
    assert mine[keyword] == crd[keyword]


def test_the_charts_filter_types_are_the_crds(values_schema, v1_schema):
    ours = _values_at({**values_schema["properties"]["httpRoute"], "$defs": values_schema["$defs"]},
                      "rules/[]/filters/[]/type")["enum"]
    assert set(ours) <= set(_at(v1_schema["properties"]["spec"], "rules/[]/filters/[]/type")["enum"])
    assert set(ours) == {"RequestHeaderModifier", "ResponseHeaderModifier", "RequestRedirect", "URLRewrite"}


def test_the_charts_hostnames_are_the_crds_and_never_ip_addresses(values_schema, v1_schema):
    ours = re.compile(values_schema["$defs"]["routeHostname"]["pattern"])
    theirs = re.compile(_at(v1_schema["properties"]["spec"], "hostnames/[]")["pattern"])
    for good in ("example.com", "*.example.com", "a-b.c1.example", "x"):
        assert ours.match(good) and theirs.match(good), good
    for bad in ("Example.com", "*.*.example.com", "a.*.example.com", "-a.example.com", "a_b.example.com", "https://a"):
        assert not ours.match(bad) and not theirs.match(bad), bad
    # The CRD's pattern lets an IPv4 address through; the chart's templates refuse it.
    assert theirs.match("10.0.0.1")
