"""The canary track (`canary.*`): a second Deployment beside the stable one, and the traffic split.

The promises, as a spec: the track off renders no canary object or label (when it was added, every
CI values file rendered byte for byte as before it); the track on never changes the stable objects (their selectors, their pods' labels: no roll of the
stable pods); each Service, budget and policy selects exactly the pods it should; the route's
weights follow `canary.weight`; bad combinations are refused with the key named.
"""
from __future__ import annotations

import copy

import pytest

from chartlib import CI_VALUES, ci_id

CANARY_TAG = "6.15.0"
SHA = "sha256:" + "cd" * 32
ROUTE = {"enabled": True, "parentRefs": [{"name": "edge", "namespace": "gateway-system"}]}
# What the main Service, the stable Deployment, its PDB and NetworkPolicy select on (unchanged).
STABLE_SELECTOR = {"app.kubernetes.io/name": "webapp", "app.kubernetes.io/instance": "web"}
CANARY_SELECTOR = {"app.kubernetes.io/name": "webapp", "kubeha.io/canary-of": "web"}


def canary(**values) -> dict:
    return {"canary": {"enabled": True, "image": {"tag": CANARY_TAG}, **values}}


def merged(*parts: dict) -> dict:
    out: dict = {}
    for part in parts:
        for key, value in part.items():
            if isinstance(value, dict) and isinstance(out.get(key), dict):
                out[key] = merged(out[key], value)
            else:
                out[key] = copy.deepcopy(value)
    return out


def selects(selector: dict, labels: dict) -> bool:
    """A matchLabels selector selects a label set when it is a subset of it."""
    return selector.items() <= labels.items()


def by_name(out, kind: str) -> dict:
    return {d["metadata"]["name"]: d for d in out.all(kind)}


def pod_labels(out) -> dict:
    """The pod template labels of each Deployment, by Deployment name."""
    return {name: d["spec"]["template"]["metadata"]["labels"] for name, d in by_name(out, "Deployment").items()}


def selected_pods(out, selector: dict) -> set[str]:
    """The Deployments whose pods a selector selects."""
    return {name for name, labels in pod_labels(out).items() if selects(selector, labels)}


def selectors(out) -> dict:
    """What each selecting object selects, as "Kind/name" -> the Deployments whose pods it selects."""
    found = {}
    for kind, path in (("Service", ("spec", "selector")), ("Deployment", ("spec", "selector", "matchLabels")),
                       ("PodDisruptionBudget", ("spec", "selector", "matchLabels")),
                       ("NetworkPolicy", ("spec", "podSelector", "matchLabels"))):
        for name, doc in by_name(out, kind).items():
            node = doc
            for key in path:
                node = node[key]
            found[f"{kind}/{name}"] = selected_pods(out, node)
    return found


# ---------------------------------------------------------------------------------------------
# Off: nothing changes


@pytest.mark.parametrize("values_file", CI_VALUES, ids=ci_id)
def test_canary_off_explicitly_is_the_default(render, values_file):
    off = {"canary": {"enabled": False, "image": {"tag": CANARY_TAG}, "replicas": 3}}
    assert render(values_file, values=off).text == render(values_file).text


@pytest.mark.parametrize("values_file", CI_VALUES, ids=ci_id)
def test_canary_off_renders_no_canary_object_or_label(render, values_file):
    out = render(values_file)
    assert "kubeha.io/canary-of" not in out.text
    assert not [d for d in out.docs if d["kind"] != "Pod" and d["metadata"]["name"].endswith("-canary")]


# ---------------------------------------------------------------------------------------------
# On, with a route: split by weight through two Services


@pytest.fixture(scope="module")
def routed(render):
    return render(values=merged({"httpRoute": ROUTE, "podDisruptionBudget": {"enabled": True},
                                 "networkPolicy": {"enabled": True}}, canary(weight=10, replicas=2)))


@pytest.fixture(scope="module")
def routed_off(render):
    return render(values={"httpRoute": ROUTE, "podDisruptionBudget": {"enabled": True},
                          "networkPolicy": {"enabled": True}})


def test_with_a_route_the_canary_adds_its_deployment_service_and_network_policy(routed, routed_off):
    assert sorted(by_name(routed, "Deployment")) == ["web-webapp", "web-webapp-canary"]
    assert sorted(by_name(routed, "Service")) == ["web-webapp", "web-webapp-canary"]
    assert sorted(by_name(routed, "NetworkPolicy")) == ["web-webapp", "web-webapp-canary"]
    assert len(routed.docs) == len(routed_off.docs) + 3


def test_with_a_route_every_selector_selects_one_track_only(routed):
    assert selectors(routed) == {
        "Deployment/web-webapp": {"web-webapp"},
        "Deployment/web-webapp-canary": {"web-webapp-canary"},
        "Service/web-webapp": {"web-webapp"},
        "Service/web-webapp-canary": {"web-webapp-canary"},
        "PodDisruptionBudget/web-webapp": {"web-webapp"},
        "NetworkPolicy/web-webapp": {"web-webapp"},
        "NetworkPolicy/web-webapp-canary": {"web-webapp-canary"},
    }


def test_with_a_route_canary_pods_lack_the_instance_label_and_carry_canary_of(routed):
    labels = pod_labels(routed)["web-webapp-canary"]
    assert "app.kubernetes.io/instance" not in labels
    assert labels == CANARY_SELECTOR
    assert by_name(routed, "Deployment")["web-webapp-canary"]["spec"]["selector"]["matchLabels"] == CANARY_SELECTOR


def test_the_route_splits_each_rule_between_the_two_services_by_weight(routed):
    rules = routed.one("HTTPRoute")["spec"]["rules"]
    assert [r["backendRefs"] for r in rules] == [[
        {"name": "web-webapp", "port": 80, "weight": 90},
        {"name": "web-webapp-canary", "port": 80, "weight": 10},
    ]]


@pytest.mark.parametrize("weight", [0, 50, 100])
def test_the_weights_always_add_up_to_100(render, weight):
    out = render(values=merged({"httpRoute": ROUTE}, canary(weight=weight)))
    refs = out.one("HTTPRoute")["spec"]["rules"][0]["backendRefs"]
    assert [r["weight"] for r in refs] == [100 - weight, weight]


def test_a_redirect_rule_keeps_no_backend(render):
    redirect = {"filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}]}
    out = render(values=merged({"httpRoute": {**ROUTE, "rules": [redirect, {}]}}, canary(weight=20)))
    rules = out.one("HTTPRoute")["spec"]["rules"]
    assert "backendRefs" not in rules[0]
    assert [r["weight"] for r in rules[1]["backendRefs"]] == [80, 20]


def test_the_canary_service_is_a_cluster_ip_on_the_same_port(routed):
    svc = by_name(routed, "Service")["web-webapp-canary"]
    assert svc["spec"]["type"] == "ClusterIP"
    assert svc["spec"]["selector"] == CANARY_SELECTOR
    assert svc["spec"]["ports"] == [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]


def test_the_canary_network_policy_admits_what_the_stable_one_admits(routed):
    policies = by_name(routed, "NetworkPolicy")
    stable, canary_np = policies["web-webapp"]["spec"], policies["web-webapp-canary"]["spec"]
    assert canary_np["podSelector"] == {"matchLabels": CANARY_SELECTOR}
    assert {k: v for k, v in canary_np.items() if k != "podSelector"} == {
        k: v for k, v in stable.items() if k != "podSelector"}


# ---------------------------------------------------------------------------------------------
# On, without a route: split by pod count through the one Service


@pytest.fixture(scope="module")
def unrouted(render):
    return render(values=merged({"podDisruptionBudget": {"enabled": True}, "networkPolicy": {"enabled": True}},
                                canary(replicas=1)))


def test_without_a_route_the_canary_adds_its_deployment_only(unrouted):
    assert sorted(by_name(unrouted, "Deployment")) == ["web-webapp", "web-webapp-canary"]
    assert sorted(by_name(unrouted, "Service")) == ["web-webapp"]
    assert sorted(by_name(unrouted, "NetworkPolicy")) == ["web-webapp"]
    assert unrouted.get("HTTPRoute") is None


def test_without_a_route_the_one_service_selects_both_tracks(unrouted):
    assert selectors(unrouted) == {
        "Service/web-webapp": {"web-webapp", "web-webapp-canary"},
        # The stable selector matches canary pods too; controllerRef keeps the Deployments apart.
        "Deployment/web-webapp": {"web-webapp", "web-webapp-canary"},
        "Deployment/web-webapp-canary": {"web-webapp-canary"},
        # The budget covers every pod that serves the Service; the policy admits to them alike.
        "PodDisruptionBudget/web-webapp": {"web-webapp", "web-webapp-canary"},
        "NetworkPolicy/web-webapp": {"web-webapp", "web-webapp-canary"},
    }


def test_without_a_route_the_split_is_the_pod_count(unrouted):
    deployments = by_name(unrouted, "Deployment")
    assert (deployments["web-webapp"]["spec"]["replicas"], deployments["web-webapp-canary"]["spec"]["replicas"]) == (2, 1)
    assert pod_labels(unrouted)["web-webapp-canary"] == {**STABLE_SELECTOR, **CANARY_SELECTOR}


def test_the_canary_selector_is_the_same_with_or_without_a_route(routed, unrouted):
    """A Deployment's selector is immutable: switching the route must not have to change it."""
    def selector(out):
        return by_name(out, "Deployment")["web-webapp-canary"]["spec"]["selector"]

    assert selector(routed) == selector(unrouted) == {"matchLabels": CANARY_SELECTOR}


# ---------------------------------------------------------------------------------------------
# The stable track never moves


STABLE_CASES = {
    "defaults": ({}, canary()),
    "route": ({"httpRoute": ROUTE}, canary(weight=30)),
    "full": ("full-values.yaml", canary(image={"tag": "", "digest": SHA})),
    "gateway-without-backend-refs": ({"httpRoute": ROUTE, "networkPolicy": {"enabled": True,
                                      "allowGateway": {"namespace": "gateway-system"}}}, canary(weight=5)),
}


@pytest.mark.parametrize("base, track", STABLE_CASES.values(), ids=STABLE_CASES.keys())
def test_turning_the_canary_on_changes_no_stable_object_but_the_route(render, base, track):
    if isinstance(base, str):
        off, on = render(base), render(base, values=track)
    else:
        off, on = render(values=base), render(values=merged(base, track))
    on_docs = {(d["kind"], d["metadata"]["name"]): d for d in on.docs}
    for doc in off.docs:
        key = (doc["kind"], doc["metadata"]["name"])
        if doc["kind"] != "HTTPRoute":
            assert on_docs[key] == doc, key


def test_the_stable_deployment_text_is_byte_identical_with_the_canary_on(render):
    def stable_text(out):
        return next(t for t in out.text.split("\n---\n") if "templates/deployment.yaml" in t)

    assert stable_text(render(values=merged({"httpRoute": ROUTE}, canary(weight=50)))) == stable_text(render(values={"httpRoute": ROUTE}))


def test_a_weight_step_changes_the_route_only(render):
    at = {w: render(values=merged({"httpRoute": ROUTE}, canary(weight=w))) for w in (10, 50)}
    changed = [d["kind"] for d, e in zip(at[10].docs, at[50].docs) if d != e]
    assert changed == ["HTTPRoute"]


def test_the_stable_deployment_and_service_come_first(routed):
    """release_info follows the first Deployment and Service of the release's manifest."""
    assert routed.all("Deployment")[0]["metadata"]["name"] == "web-webapp"
    assert routed.all("Service")[0]["metadata"]["name"] == "web-webapp"


# ---------------------------------------------------------------------------------------------
# The canary pod is the stable pod with another image


def test_the_canary_runs_the_stable_pod_spec_with_its_own_image(render):
    """Security context, probes, volumes, scheduling: all the stable pod's (Pod Security restricted)."""
    out = render("full-values.yaml", values=canary())
    deployments = by_name(out, "Deployment")
    stable = copy.deepcopy(deployments["shop-frontend"]["spec"]["template"]["spec"])
    canary_spec = copy.deepcopy(deployments["shop-frontend-canary"]["spec"]["template"]["spec"])
    assert canary_spec["containers"][0].pop("image") == f"registry.example.com:5000/shop/frontend:{CANARY_TAG}"
    stable["containers"][0].pop("image")
    # The default spread counts the pods of the Deployment's own selector (with its pod-template-hash).
    assert canary_spec["topologySpreadConstraints"][0].pop("labelSelector") == {"matchLabels": CANARY_SELECTOR}
    stable["topologySpreadConstraints"][0].pop("labelSelector")
    assert canary_spec == stable


def test_the_default_spread_of_canary_pods_counts_canary_pods(unrouted):
    spread = by_name(unrouted, "Deployment")["web-webapp-canary"]["spec"]["template"]["spec"]["topologySpreadConstraints"]
    assert spread[0]["labelSelector"] == {"matchLabels": CANARY_SELECTOR}
    assert spread[0]["matchLabelKeys"] == ["pod-template-hash"]


def test_the_canary_shares_the_rollout_settings_and_annotations(render):
    out = render("full-values.yaml", values=merged(canary(replicas=3), {"changeCause": "try 6.15"}))
    deployments = by_name(out, "Deployment")
    stable, canary_dep = deployments["shop-frontend"], deployments["shop-frontend-canary"]
    for key in ("strategy", "minReadySeconds", "progressDeadlineSeconds", "revisionHistoryLimit"):
        assert canary_dep["spec"][key] == stable["spec"][key], key
    assert canary_dep["metadata"]["annotations"] == stable["metadata"]["annotations"]
    assert canary_dep["spec"]["replicas"] == 3


@pytest.mark.parametrize("image, expected", [
    ({"tag": CANARY_TAG}, f"ghcr.io/stefanprodan/podinfo:{CANARY_TAG}"),
    ({"repository": "ghcr.io/org/app", "tag": "2.0.0"}, "ghcr.io/org/app:2.0.0"),
    ({"tag": CANARY_TAG, "digest": SHA}, f"ghcr.io/stefanprodan/podinfo@{SHA}"),
])
def test_the_canary_image_defaults_to_the_stable_repository_and_a_digest_wins(render, image, expected):
    out = render(values={"canary": {"enabled": True, "image": image}})
    container = by_name(out, "Deployment")["web-webapp-canary"]["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == expected


def test_the_canary_objects_carry_its_version_and_the_release(routed):
    for kind in ("Deployment", "Service", "NetworkPolicy"):
        labels = by_name(routed, kind)["web-webapp-canary"]["metadata"]["labels"]
        assert labels["app.kubernetes.io/version"] == CANARY_TAG, kind
        assert labels["app.kubernetes.io/instance"] == "web", kind
        assert labels["kubeha.io/canary-of"] == "web", kind


def test_pod_labels_reach_canary_pods_but_never_the_selector(render):
    out = render(values=merged({"podLabels": {"team": "shop"}, "httpRoute": ROUTE}, canary()))
    assert pod_labels(out)["web-webapp-canary"] == {**CANARY_SELECTOR, "team": "shop"}


def test_the_canary_with_autoscaling_behind_a_route_has_a_fixed_pod_count(render):
    out = render(values=merged({"httpRoute": ROUTE, "autoscaling": {"enabled": True}}, canary(replicas=2)))
    assert by_name(out, "Deployment")["web-webapp-canary"]["spec"]["replicas"] == 2
    assert out.one("HorizontalPodAutoscaler")["spec"]["scaleTargetRef"]["name"] == "web-webapp"


# ---------------------------------------------------------------------------------------------
# Refusals


REFUSALS = {
    "no-image": ({"canary": {"enabled": True}}, "canary.image.tag and canary.image.digest are both empty"),
    "weight-without-route": (canary(weight=10), "canary.weight (10) needs httpRoute.enabled"),
    "autoscaling-without-route": (merged({"autoscaling": {"enabled": True}}, canary()),
                                  "canary.enabled with autoscaling.enabled needs httpRoute.enabled"),
    "rule-with-own-backends": (merged({"httpRoute": {**ROUTE, "rules": [{}, {"backendRefs": [{"name": "x", "port": 80}]}]}},
                                      canary(weight=10)),
                               "httpRoute.rules[1].backendRefs is set while canary.enabled is on"),
    "canary-label-in-pod-labels": (merged({"podLabels": {"kubeha.io/canary-of": "web"}}, canary()),
                                   "podLabels.kubeha.io/canary-of is the chart's own label"),
    "canary-label-in-common-labels": (merged({"commonLabels": {"kubeha.io/canary-of": "x"}}, canary()),
                                      "commonLabels.kubeha.io/canary-of is the chart's own label"),
    "tag-not-a-label-value": (canary(image={"tag": "_rc1"}), "canary.image.tag (_rc1) becomes the canary's app.kubernetes.io/version"),
}


@pytest.mark.parametrize("values, message", REFUSALS.values(), ids=REFUSALS.keys())
def test_bad_canary_combinations_are_refused_with_the_key_named(render, values, message):
    assert message in render.error(values=values)


SCHEMA_REFUSALS = {
    "weight-above-100": (canary(weight=101), "'/canary/weight'"),
    "weight-negative": (canary(weight=-1), "'/canary/weight'"),
    "no-replicas": (canary(replicas=0), "'/canary/replicas'"),
    "unknown-key": (canary(steps=[10, 100]), "'steps'"),
    "image-typo": (canary(image={"tags": "1"}), "'/canary/image'"),
    "bad-digest": (canary(image={"digest": "sha256:xyz"}), "'/canary/image/digest'"),
}


@pytest.mark.parametrize("values, named", SCHEMA_REFUSALS.values(), ids=SCHEMA_REFUSALS.keys())
def test_the_schema_refuses_bad_canary_values(render, values, named):
    error = render.error(values=values)
    assert "values don't meet the specifications of the schema" in error
    assert named in error


def test_the_canary_label_is_allowed_in_pod_labels_while_the_canary_is_off(render):
    """Refused only with the track on: turning it off changes nothing for anyone."""
    out = render(values={"podLabels": {"kubeha.io/canary-of": "web"}})
    assert out.deployment["spec"]["template"]["metadata"]["labels"]["kubeha.io/canary-of"] == "web"
