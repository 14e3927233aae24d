"""upgrade.yml with upgrade_strategy=canary, run by the least-privilege deploy identity, under real
traffic through the cluster's shared Gateway.

The canary starts beside the stable track with no traffic, takes each step's share of the route's
requests and is judged on Traefik's own figures; a good version is promoted, one that answers
errors or answers slowly is aborted with every request back on the stable track first, one that
never gets ready is aborted before any request reaches it. A run killed mid-step leaves a canary
in progress: verify.yml says so and the next upgrade aborts it first; rollback.yml takes every
request off it before anything else.

Blue/green runs the same second track at full size: verified on its preview hostname first (one
that answers errors there is removed before any user request reaches it), then every request in
one switch, held while the previous version stays up; a failing figure switches back.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest

from playlib import ROOT, VENV_BIN, GatewayLoad, ansible_env

pytestmark = pytest.mark.cluster

# Small pauses, and enough traffic for each step's figures: GatewayLoad's 60 requests a second
# give the canary 6 a second at 10%, so a 3-second pause judges about 18 of them.
CANARY = {"upgrade_strategy": "canary", "upgrade_canary_steps": [10, 50, 100], "upgrade_canary_pause_seconds": 3,
          "upgrade_canary_min_requests": 10, "kubeha_identity": "deployer"}
BLUE_GREEN = {"upgrade_strategy": "blue_green", "upgrade_blue_green_hold_seconds": 4,
              "upgrade_canary_min_requests": 10, "kubeha_identity": "deployer"}


@pytest.fixture(scope="module")
def gateway():
    facts = json.loads(subprocess.run([str(ROOT / "cluster" / "kubeha-cluster"), "facts"], check=True,
                                      capture_output=True, text=True).stdout)
    return facts["gateway_ip"]


@pytest.fixture(scope="module")
def release(app):
    """The web app (v1) deployed by the deploy identity bootstrap.yml writes."""
    app.play("bootstrap")
    app.play("deploy", kubeha_identity="deployer")
    return app


def load(app, gateway):
    return GatewayLoad(gateway, f"{app.release}-{app.namespace}.kubeha.test")


def descriptions(app, since):
    return [h["description"] for h in app.history() if h["revision"] > since]


def canary_pods(app):
    data = app.kubectl_json("get", "pods", "-n", app.namespace, "-l", f"kubeha.io/canary-of={app.release}")
    return [p for p in data["items"] if not p["metadata"].get("deletionTimestamp")]


def assert_stable_only(app, tag):
    """Every request on one track again: no canary in the values or the route, the stable pods on `tag`."""
    assert "canary" not in app.values()
    route = app.kubectl_json("get", "httproute", app.name, "-n", app.namespace)
    assert [[b["name"] for b in r["backendRefs"]] for r in route["spec"]["rules"]] == [[app.name]]
    assert app.pod_images() == {app.cluster.image(tag)}


def test_a_good_version_is_promoted_step_by_step_without_a_failed_request(release, gateway):
    app, before = release, release.revision()
    with load(app, gateway) as traffic:
        run = app.play("upgrade", upgrade_image_tag="v2", **CANARY)
    assert traffic.failed() == []
    assert traffic.versions().keys() == {"version=v1", "version=v2"}
    steps = descriptions(app, before)
    image = app.cluster.image("v2")
    assert steps[0] == (f"kubeha.webapp canary 0/3: {image} starts beside the stable track, no traffic yet, "
                        f"preview on {preview_host(app)}")
    for n, weight in ((1, 10), (2, 50), (3, 100)):
        assert steps[n].startswith(f"kubeha.webapp canary {n}/3: {weight}% of the traffic to {image}; analysis pass:")
    assert steps[4:] == [f"kubeha.webapp canary promote: the stable track takes {image} while the canary serves",
                         f"kubeha.webapp canary promote: every request on the stable track, now {image}",
                         f"kubeha.webapp upgrade {app.cluster.image('v1')} -> {image} by canary: canary removed"]
    assert "kubeha-local: canary 1/3 at 10%: analysis pass: canary error rate 0.00%" in run.flat()
    assert_stable_only(app, "v2")
    assert canary_pods(app) == []


def test_the_same_version_again_changes_nothing(release):
    before = release.revision()
    run = release.play("upgrade", upgrade_image_tag="v2", **CANARY)
    assert release.revision() == before and run.changed == 0


def test_a_version_that_answers_errors_is_aborted_with_every_request_back_on_the_stable_track(release, gateway):
    app, before = release, release.revision()
    with load(app, gateway) as traffic:
        # Its health answers pass the preview's checks; only user requests (/) fail: the analysis judges those.
        run = app.play("upgrade", expect_ok=False, upgrade_image_tag="bad", verify_path="/healthz",
                       verify_expected_body="", **CANARY)
    flat = run.flat()
    assert f"canary of {app.cluster.image('bad')} failed its analysis at 10% of the traffic" in flat
    assert "every request is back on the stable track" in flat and "kubeha-web bad" in flat  # the canary's log
    # Only the canary answered errors, and only while it had its 10%: none after the abort.
    failed = traffic.failed()
    assert failed and {a[1] for a in failed} == {500}
    assert len(failed) < 0.05 * len(traffic.answers)
    assert traffic.answers[-1][0] - failed[-1][0] > 2
    assert traffic.versions().keys() == {"version=v2"}
    steps = descriptions(app, before)
    assert steps[-2].startswith(f"kubeha.webapp canary abort: the canary of {app.cluster.image('bad')} takes no traffic:")
    assert "max_error_rate" in steps[-2] and steps[-1].endswith("removed")
    assert_stable_only(app, "v2")


def test_a_slow_version_is_aborted_on_its_latency_and_no_request_fails(release, gateway):
    app = release
    with load(app, gateway) as traffic:
        run = app.play("upgrade", expect_ok=False, upgrade_image_tag="slow", upgrade_canary_max_p99_ms=400, **CANARY)
    assert "canary p99 latency" in run.flat() and "above max_p99_ms 400 ms" in run.flat()
    assert traffic.failed() == []
    assert_stable_only(app, "v2")


def test_a_version_that_never_gets_ready_is_aborted_before_any_request_reaches_it(release, gateway):
    app, before = release, release.revision()
    with load(app, gateway) as traffic:
        run = app.play("upgrade", expect_ok=False, upgrade_image_tag="broken", **CANARY)
    assert "aborted" in run.flat() and app.release + "-canary" in run.flat()
    assert traffic.failed() == []
    steps = descriptions(app, before)
    assert not any("% of the traffic" in s for s in steps), steps  # no step ever started
    assert_stable_only(app, "v2")


def killed_mid_step(app):
    """upgrade.yml (canary of v1, long pauses) killed once its first step has the traffic."""
    argv = [str(VENV_BIN / "ansible-playbook"), str(ROOT / "playbooks" / "upgrade.yml"), "-e",
            json.dumps({**app.vars, **CANARY, "upgrade_image_tag": "v1", "upgrade_canary_pause_seconds": 120,
                        "webapp_lock_duration": 6})]
    since = app.revision()
    play = subprocess.Popen(argv, cwd=ROOT, env=ansible_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while not any(d.startswith("kubeha.webapp canary 1/3") for d in descriptions(app, since)):
            assert time.monotonic() < deadline and play.poll() is None, "the canary never reached its first step"
            time.sleep(1)
    finally:
        os.killpg(play.pid, signal.SIGKILL)
        play.wait()
    time.sleep(7)  # the killed run's lock expires (webapp_lock_duration)


def test_a_canary_left_by_a_killed_run_is_named_by_verify_and_aborted_by_the_next_upgrade_first(release, gateway):
    app = release
    killed_mid_step(app)
    assert app.values()["canary"]["weight"] == 10
    verify = app.play("verify", kubeha_identity="deployer")
    assert f"a canary is in progress: 10% of the traffic to {app.cluster.image('v1')}" in verify.flat()
    with load(app, gateway) as traffic:
        run = app.play("upgrade", upgrade_image_tag="v1", kubeha_identity="deployer")
    assert traffic.failed() == []
    assert "take the traffic off the canary in progress: the canary of" in run.flat()
    assert "a canary is in progress" not in run.flat()
    assert_stable_only(app, "v1")


def leave_a_canary_in_progress(app, tag):
    """A canary at 50%, as a killed run leaves one (the test above kills one for real)."""
    app.cluster.helm("upgrade", app.release, str(ROOT / "charts" / "webapp"), "-n", app.namespace, "--reuse-values",
                     "--set", f"canary.enabled=true,canary.image.tag={tag},canary.weight=50,canary.replicas=1",
                     "--wait", "--timeout", "120s")


def test_rollback_takes_every_request_off_a_canary_in_progress_before_it_rolls_back(release, gateway):
    app = release
    stable = app.revision()
    leave_a_canary_in_progress(app, "v2")
    with load(app, gateway) as traffic:
        rollback = app.play("rollback", kubeha_identity="deployer")
    assert traffic.failed() == []
    first, *rest = descriptions(app, stable + 1)
    assert first.startswith(f"kubeha.webapp canary abort: the canary in progress of {app.cluster.image('v2')} takes no traffic")
    # then back to the stable track's own revision: a canary step is never a rollback target, so
    # rolling back a canary in progress undoes it
    assert rest == [f"Rollback to {stable}"]
    assert "a canary is in progress" not in rollback.flat()
    assert_stable_only(app, "v1")


def test_deploy_takes_every_request_off_a_canary_in_progress_before_its_revision_removes_it(release, gateway):
    app = release
    leave_a_canary_in_progress(app, "v2")
    with load(app, gateway) as traffic:
        run = app.play("deploy", kubeha_identity="deployer")
    assert traffic.failed() == []
    assert "take the traffic off the canary in progress: the canary of" in run.flat()
    assert_stable_only(app, "v1")


def preview_host(app):
    return f"preview-{app.release}-{app.namespace}.kubeha.test"


def test_blue_green_verifies_the_new_version_on_its_preview_then_switches_every_request_at_once(release, gateway):
    app, before = release, release.revision()
    with load(app, gateway) as traffic:
        run = app.play("upgrade", upgrade_image_tag="v2", **BLUE_GREEN)
    assert traffic.failed() == []
    assert traffic.versions().keys() == {"version=v1", "version=v2"}
    flat, image = run.flat(), app.cluster.image("v2")
    assert f"kubeha-local: preview {app.name}-canary-preview: gateway http {preview_host(app)}, gateway https" in flat
    steps = descriptions(app, before)
    assert steps[1].startswith(f"kubeha.webapp blue/green switch: every request to {image}, {app.cluster.image('v1')} "
                               "kept 4s to switch back to; analysis pass:")
    assert steps[:1] + steps[2:] == [
        f"kubeha.webapp blue/green 0/1: {image} starts beside the stable track, no traffic yet, preview on {preview_host(app)}",
        f"kubeha.webapp blue/green promote: the stable track takes {image} while the new track serves",
        f"kubeha.webapp blue/green promote: every request on the stable track, now {image}",
        f"kubeha.webapp upgrade {app.cluster.image('v1')} -> {image} by blue/green: new track removed"]
    assert "kubeha-local: blue/green 1/1 at 100%: analysis pass" in flat
    assert_stable_only(app, "v2")
    assert app.kubectl_json("get", "httproute", "-n", app.namespace)["items"] == [
        app.kubectl_json("get", "httproute", app.name, "-n", app.namespace)]  # the preview route is gone


def test_blue_green_removes_a_version_that_fails_on_its_preview_before_any_user_request_reaches_it(release, gateway):
    app, before = release, release.revision()
    with load(app, gateway) as traffic:
        run = app.play("upgrade", expect_ok=False, upgrade_image_tag="bad", verify_retries=2, **BLUE_GREEN)
    assert f"verification of {app.cluster.image('bad')} on its preview route {app.name}-canary-preview failed" in run.flat()
    assert traffic.failed() == [] and traffic.versions().keys() == {"version=v2"}
    assert not any("switch" in d for d in descriptions(app, before))
    assert_stable_only(app, "v2")


def test_blue_green_switches_back_from_a_slow_version_and_no_request_fails(release, gateway):
    app = release
    with load(app, gateway) as traffic:
        run = app.play("upgrade", expect_ok=False, upgrade_image_tag="slow", upgrade_canary_max_p99_ms=400,
                       **dict(BLUE_GREEN, upgrade_blue_green_hold_seconds=30))
    assert "blue/green of" in run.flat() and "above max_p99_ms 400 ms" in run.flat()
    assert traffic.failed() == []
    # Users were switched to the slow version, then back to the previous one, which stayed up.
    slow = [a[0] for a in traffic.answers if a[2] == "version=slow"]
    assert slow and all(a[2] == "version=v2" for a in traffic.answers if a[0] > slow[-1])
    assert_stable_only(app, "v2")
