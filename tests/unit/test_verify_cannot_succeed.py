"""verify_plan: a check that cannot pass however long it retries fails at once, with the reason,
and no request is planned for it (the Deployment scaled to zero; its pod template naming another
image than the release's). verify_results: a failed replicas wait carries the watch's explanation.
"""
from __future__ import annotations

from ansible_collections.kubeha.webapp.plugins.module_utils.verify_plan import (
    SERVING_CHECKS,
    cannot_succeed,
    image_mismatch,
    verify_plan,
    verify_results,
)

SETTINGS = {"namespace": "shop", "path": "/", "checks": [], "node_addresses": ["10.9.0.1"],
            "lb_address": "10.9.0.9", "ingress_address": "10.9.0.8", "self_heal": True,
            "expected_body": "version={tag}", "gateway_address": "10.9.0.7", "gateway_http_port": 80,
            "gateway_https_port": 443}


def release(replicas=2, images=("kubeha/web:v1",), ref="kubeha/web:v1"):
    """A release_info result as the verify role reads it: every access path, one Deployment."""
    return {
        "release": {"image": {"ref": ref, "tag": ref.rsplit(":", 1)[-1]}},
        "live": {
            "deployment": {"name": "webapp", "replicas": replicas, "ready": replicas, "updated": replicas,
                           "available": replicas, "current": replicas, "images": list(images),
                           "generation": 2, "observed_generation": 2},
            "service": {"name": "webapp", "type": "LoadBalancer", "ports": [{"port": 80, "node_port": 30080}],
                        "load_balancer": ["10.9.0.9"]},
            "ingresses": [{"name": "webapp", "rules": [{"host": "shop.example.com"}], "addresses": []}],
            "httproutes": [{"name": "webapp", "hostnames": ["shop.example.com"], "parents": [
                {"accepted": True, "resolved_refs": True, "gateway": "infra/shared"}]}],
            "pods": [],
        },
    }


def test_a_healthy_release_has_nothing_that_cannot_succeed():
    assert cannot_succeed(release(), SETTINGS) == {}
    plan = verify_plan(release(), SETTINGS)
    assert plan["errors"] == {} and plan["incluster"] and plan["controller"] and plan["selfheal_url"]


def test_scaled_to_zero_every_access_path_fails_at_once_without_a_request():
    plan = verify_plan(release(replicas=0, images=("kubeha/web:v1",)), SETTINGS)
    assert set(plan["run"]) - {"replicas"} == set(SERVING_CHECKS)
    for check in SERVING_CHECKS:
        assert plan["errors"][check] == "the Deployment is scaled to zero: no pod serves the Service, not requested"
    assert plan["incluster"] == [] and plan["controller"] == [] and plan["resolve"] == []
    assert plan["selfheal_url"] == ""
    assert "replicas" not in plan["errors"], "0/0 replicas ready is what was asked for"
    results = verify_results(plan)
    assert [c for c, r in results.items() if not r["ok"]] == SERVING_CHECKS


def test_an_image_changed_by_hand_fails_the_replicas_and_the_versioned_endpoints_at_once():
    rel = release(images=("kubeha/web:v2",))
    assert image_mismatch(rel) == \
        "the Deployment's pod template runs kubeha/web:v2, the release says kubeha/web:v1 (changed by hand?)"
    plan = verify_plan(rel, SETTINGS)
    assert plan["errors"]["replicas"] == image_mismatch(rel)
    assert plan["errors"]["clusterip"].endswith("the expected body 'version={tag}' cannot be answered, not requested")
    assert plan["incluster"] == [] and plan["controller"] == []
    results = verify_results(plan, replicas={"skipped": True})
    assert results["replicas"] == dict(result="FAILED", ok=False, detail=image_mismatch(rel))


def test_an_image_changed_by_hand_leaves_the_endpoints_alone_when_the_body_names_no_version():
    plan = verify_plan(release(images=("kubeha/web:v2",)), {**SETTINGS, "expected_body": "kubeha-web"})
    assert list(plan["errors"]) == ["replicas"]
    assert plan["incluster"] and plan["controller"]


def test_the_same_image_written_another_way_is_no_mismatch():
    assert image_mismatch(release(images=("docker.io/kubeha/web:v1",))) is None
    assert image_mismatch(release(images=("sidecar:1", "kubeha/web:v1"))) is None


def test_a_more_precise_reason_found_first_stays():
    rel = release(replicas=0)
    rel["live"]["service"] = {}
    plan = verify_plan(rel, SETTINGS)
    assert plan["errors"]["clusterip"] == "the release has no Service"


def test_only_the_checks_asked_for_fail():
    plan = verify_plan(release(replicas=0), {**SETTINGS, "checks": ["replicas", "clusterip"]})
    assert sorted(plan["errors"]) == ["clusterip"]


def test_a_failed_replicas_wait_carries_the_short_explanation_and_the_full_lines():
    plan = {"run": ["replicas"], "errors": {}, "incluster": [], "controller": []}
    watch = {"status": "failed", "message": "pod webapp-1, container web: CrashLoopBackOff",
             "explanation_short": "webapp-1: waiting CrashLoopBackOff; it logged: boom",
             "explanation": ["pod webapp-1 (Running): ...", "    boom"], "replicas": {}, "images": []}
    out = verify_results(plan, replicas=watch)["replicas"]
    assert out["detail"] == ("pod webapp-1, container web: CrashLoopBackOff "
                             "[webapp-1: waiting CrashLoopBackOff; it logged: boom]")
    assert out["explanation"] == watch["explanation"] and not out["ok"]
