"""The revisions of a canary upgrade (plugins/module_utils/canary_release.py): what each phase
applies, what helm history says of it, and when a canary upgrade may not start."""
from __future__ import annotations

import pytest

from ansible_collections.kubeha.webapp.plugins.module_utils import canary_release, release_plan

ROUTE = {"enabled": True, "parentRefs": [{"name": "public", "namespace": "kubeha-ingress"}]}
URLS = ["http://10.0.0.5:8082/metrics", "http://10.0.0.6:8082/metrics"]
SETTINGS = {"upgrade_image_tag": "v2", "upgrade_image_repository": "", "upgrade_image_digest": "",
            "upgrade_strategy": "canary", "upgrade_canary_steps": [10, 50, 100], "upgrade_canary_pause_seconds": 30,
            "upgrade_canary_max_error_rate": 0.01, "upgrade_canary_max_p99_ms": 500,
            "upgrade_canary_min_requests": 50, "upgrade_canary_replicas": 0, "upgrade_canary_metrics_urls": URLS}


def live(values=None, revision=4, description="Upgrade complete"):
    values = values if values is not None else {
        "image": {"repository": "reg/kubeha/web", "tag": "v1", "digest": ""}, "replicas": 3, "httpRoute": ROUTE}
    img = values["image"]
    return {"exists": True, "release": {"revision": revision, "status": "deployed", "values": values,
                                        "description": description,
                                        "image": dict(img, ref="%s:%s" % (img["repository"], img["tag"]))}}


def plan_of(release, settings=SETTINGS):
    return release_plan.upgrade_plan(release, settings)


def phases(release=None, settings=SETTINGS):
    release = release or live()
    return canary_release.phases(release, plan_of(release, settings), settings, "webapp")


def test_every_step_keeps_the_stable_track_as_it_runs_and_gives_the_canary_the_new_image_and_the_steps_weight():
    steps = phases()["steps"]
    assert [s["weight"] for s in steps] == [10, 50, 100]
    for step in steps:
        values = step["values"]
        assert values["image"] == {"repository": "reg/kubeha/web", "tag": "v1", "digest": ""}
        assert values["replicas"] == 3
        assert values["canary"] == {"enabled": True, "image": {"repository": "reg/kubeha/web", "tag": "v2", "digest": ""},
                                    "replicas": 3, "weight": step["weight"]}


def test_the_canary_starts_with_no_traffic_so_no_request_reaches_a_pod_before_it_is_ready():
    start = phases()["start"]
    assert start["values"]["canary"]["weight"] == 0
    assert start["values"]["image"]["tag"] == "v1"
    assert "no traffic" in start["description"]


def test_promote_rolls_the_stable_track_to_the_new_image_while_the_canary_takes_every_request():
    p = phases()
    assert p["promote"]["values"]["image"]["tag"] == "v2"
    assert p["promote"]["values"]["canary"]["weight"] == 100
    assert p["settle"]["values"]["image"]["tag"] == "v2" and p["settle"]["values"]["canary"]["weight"] == 0


def test_the_last_revision_is_what_a_rolling_upgrade_leaves():
    release = live()
    rolling = plan_of(release, dict(SETTINGS, upgrade_strategy="rolling"))["values"]
    assert phases(release)["final"]["values"] == rolling
    assert "canary" not in rolling


def test_an_abort_takes_the_traffic_off_the_canary_first_then_removes_it_and_never_touches_the_stable_track():
    first, second = phases()["abort"]
    assert first["values"]["canary"]["weight"] == 0 and first["values"]["canary"]["enabled"] is True
    assert first["values"]["image"]["tag"] == "v1"
    assert "canary" not in second["values"] and second["values"]["image"]["tag"] == "v1"
    assert "takes no traffic" in first["description"] and "removed" in second["description"]


def test_the_canary_gets_the_pod_count_asked_for():
    p = phases(settings=dict(SETTINGS, upgrade_canary_replicas=1))
    assert {s["values"]["canary"]["replicas"] for s in p["steps"]} == {1}


def test_history_descriptions_name_the_step_the_weight_and_the_image_and_fit_helm():
    p = phases()
    assert p["steps"][0]["description"] == "kubeha.webapp canary 1/3: 10% of the traffic to reg/kubeha/web:v2"
    assert p["final"]["description"] == "kubeha.webapp upgrade reg/kubeha/web:v1 -> reg/kubeha/web:v2 by canary: canary removed"
    long = live({"image": {"repository": "r/" + "x" * 300, "tag": "v1", "digest": ""}, "httpRoute": ROUTE})
    assert all(len(s["description"]) <= 256 for s in phases(long)["steps"])


def test_the_analysis_targets_the_chart_s_object_names():
    assert phases()["names"] == {"stable": "webapp", "canary": "webapp-canary", "route": "webapp",
                                 "preview": "webapp-canary-preview"}
    other = live()
    assert canary_release.phases(other, plan_of(other), SETTINGS, "shop")["names"] == {
        "stable": "shop-webapp", "canary": "shop-webapp-canary", "route": "shop-webapp",
        "preview": "shop-webapp-canary-preview"}


def test_settings_given_as_text_on_the_command_line_count_as_numbers():
    p = phases(settings=dict(SETTINGS, upgrade_canary_steps="20,100", upgrade_canary_pause_seconds="5",
                             upgrade_canary_max_error_rate="0.05"))
    assert [s["weight"] for s in p["steps"]] == [20, 100]
    assert p["pause_seconds"] == 5 and p["thresholds"]["max_error_rate"] == 0.05


def errors(values=None, **settings):
    release = live(values)
    s = dict(SETTINGS, **settings)
    return canary_release.errors(release, plan_of(release, s), s)


def test_a_valid_canary_upgrade_has_no_error():
    assert errors() == []


def test_a_release_without_a_route_is_refused_naming_the_value():
    found = errors({"image": {"repository": "r/web", "tag": "v1", "digest": ""}})
    assert len(found) == 1 and "httpRoute.enabled" in found[0] and "upgrade_strategy=rolling" in found[0]


def test_no_metrics_endpoint_is_refused_naming_the_setting():
    assert any(e.startswith("upgrade_canary_metrics_urls must list") for e in errors(upgrade_canary_metrics_urls=[]))


@pytest.mark.parametrize("setting,value,named", [
    ("upgrade_canary_steps", [10, 50, 90], "upgrade_canary_steps[2]=90"),
    ("upgrade_canary_pause_seconds", "soon", "upgrade_canary_pause_seconds=soon"),
    ("upgrade_canary_replicas", -1, "upgrade_canary_replicas=-1"),
    ("upgrade_strategy", "blue-green", "upgrade_strategy=blue-green"),
    ("upgrade_preview_hostnames", ["Preview.Shop"], "upgrade_preview_hostnames[0]=Preview.Shop"),
    ("upgrade_preview_hostnames", ["*.shop.example"], "upgrade_preview_hostnames[0]=*.shop.example"),
])
def test_a_wrong_setting_is_refused_naming_it(setting, value, named):
    assert any(named in e for e in errors(**{setting: value}))


def test_a_rolling_upgrade_needs_no_canary_setting():
    assert errors({"image": {"repository": "r/web", "tag": "v1", "digest": ""}}, upgrade_strategy="rolling",
                  upgrade_canary_metrics_urls=[]) == []


def test_the_image_the_release_runs_goes_out_as_a_rolling_upgrade_would():
    release = live()
    assert plan_of(release, dict(SETTINGS, upgrade_image_tag="v1"))["strategy"] == "rolling"
    assert plan_of(release)["strategy"] == "canary"


def test_a_release_with_a_canary_in_its_values_has_a_canary_in_progress():
    running = phases()["steps"][0]["values"]
    found = canary_release.in_progress(live(running, revision=7, description="kubeha.webapp canary 1/3"))
    assert found == {"weight": 10, "image": "reg/kubeha/web:v2", "revision": 7, "description": "kubeha.webapp canary 1/3"}
    assert canary_release.in_progress(live()) is None
    assert canary_release.in_progress({"exists": False}) is None


def test_an_upgrade_of_a_release_with_a_canary_in_progress_starts_from_the_stable_track():
    running = live(phases()["steps"][1]["values"])
    rolling = plan_of(running, dict(SETTINGS, upgrade_strategy="rolling", upgrade_image_tag="v3"))
    assert "canary" not in rolling["values"] and rolling["from_ref"] == "reg/kubeha/web:v1"
    first, second = canary_release.abort(running, "the interrupted canary")
    assert first["values"]["canary"]["weight"] == 0 and first["values"]["canary"]["image"]["tag"] == "v2"
    assert "canary" not in second["values"]


def route(*rules):
    return {"spec": {"rules": [{"backendRefs": list(refs)} if refs else {"filters": []} for refs in rules]}}


def test_the_route_patch_sends_every_request_of_a_split_rule_to_the_stable_backend():
    live_route = route([{"name": "webapp", "weight": 90}, {"name": "webapp-canary", "weight": 10}], None,
                       [{"name": "webapp", "weight": 90}, {"name": "webapp-canary", "weight": 10}])
    ops = canary_release.route_patch(live_route, "webapp-canary")
    assert ops[:4] == [
        {"op": "test", "path": "/spec/rules/0/backendRefs/0/name", "value": "webapp"},
        {"op": "add", "path": "/spec/rules/0/backendRefs/0/weight", "value": 100},
        {"op": "test", "path": "/spec/rules/0/backendRefs/1/name", "value": "webapp-canary"},
        {"op": "add", "path": "/spec/rules/0/backendRefs/1/weight", "value": 0}]
    # the redirect rule (no backend) is left alone; the third rule is patched the same way
    assert {op["path"].split("/")[3] for op in ops} == {"0", "2"}


def test_a_route_that_sends_nothing_to_the_canary_needs_no_patch():
    assert canary_release.route_patch(route([{"name": "webapp"}]), "webapp-canary") == []
    assert canary_release.route_patch({}, "webapp-canary") == []


# Preview and blue/green

HOSTED = dict(ROUTE, hostnames=["shop.example", "*.shop.example"])


def hosted(**image):
    return live({"image": dict({"repository": "reg/kubeha/web", "tag": "v1", "digest": ""}, **image),
                 "replicas": 3, "httpRoute": HOSTED})


BLUE_GREEN = dict(SETTINGS, upgrade_strategy="blue_green", upgrade_blue_green_hold_seconds=20)


def test_the_new_track_answers_on_preview_hostnames_derived_from_the_route_before_any_user_request():
    p = phases(hosted())
    assert p["preview"] == ["preview-shop.example"]  # a wildcard names no host to derive from
    assert p["start"]["values"]["canary"]["preview"] == {"hostnames": ["preview-shop.example"]}
    assert p["start"]["values"]["canary"]["weight"] == 0
    assert p["start"]["description"].endswith("no traffic yet, preview on preview-shop.example")
    # the abort's first revision already drops the preview with the traffic
    assert "preview" not in p["abort"][0]["values"]["canary"]


def test_preview_hostnames_given_win_over_derived_ones():
    p = phases(hosted(), dict(SETTINGS, upgrade_preview_hostnames="next.shop.example, try.shop.example"))
    assert p["preview"] == ["next.shop.example", "try.shop.example"]


def test_a_preview_hostname_the_route_serves_is_refused():
    release = hosted()
    s = dict(SETTINGS, upgrade_preview_hostnames=["shop.example"])
    found = canary_release.errors(release, plan_of(release, s), s)
    assert found == ["upgrade_preview_hostnames[0]=shop.example is a hostname of the release's route: "
                     "the preview needs its own"]


def test_blue_green_switches_every_request_in_one_step_held_as_long_as_the_previous_version_stays_up():
    p = phases(hosted(), BLUE_GREEN)
    assert [s["weight"] for s in p["steps"]] == [100]
    assert p["pause_seconds"] == 20 and p["strategy"] == "blue_green"
    assert p["replicas"] == 3  # green at blue's size: it takes every request at once
    assert p["steps"][0]["values"]["image"]["tag"] == "v1"  # blue untouched until the hold has passed
    assert p["steps"][0]["description"] == ("kubeha.webapp blue/green switch: every request to reg/kubeha/web:v2, "
                                            "reg/kubeha/web:v1 kept 20s to switch back to")
    assert p["start"]["description"].startswith("kubeha.webapp blue/green 0/1: reg/kubeha/web:v2 starts beside")
    assert p["final"]["values"] == plan_of(hosted(), BLUE_GREEN)["values"]
    assert p["abort"][0]["description"] == "kubeha.webapp blue/green abort: the new track of reg/kubeha/web:v2 takes no traffic"


def test_blue_green_ignores_the_canary_steps_and_needs_a_hold_and_a_preview():
    release = hosted()
    assert canary_release.errors(release, plan_of(release, BLUE_GREEN), dict(BLUE_GREEN, upgrade_canary_steps=[5])) == []
    s = dict(BLUE_GREEN, upgrade_blue_green_hold_seconds=0)
    assert any(e.startswith("upgrade_blue_green_hold_seconds=0 must be") for e in canary_release.errors(
        release, plan_of(release, s), s))
    bare = live()  # its route names no hostname
    found = canary_release.errors(bare, plan_of(bare, BLUE_GREEN), BLUE_GREEN)
    assert len(found) == 1 and "set upgrade_preview_hostnames" in found[0]
    given = dict(BLUE_GREEN, upgrade_preview_hostnames=["preview.shop.example"])
    assert canary_release.errors(bare, plan_of(bare, given), given) == []


def test_the_preview_route_is_named_as_the_chart_names_it_within_63_characters():
    release = live()
    names = canary_release.phases(release, plan_of(release), SETTINGS, "r" * 60)["names"]
    assert names["preview"] == "r" * 48 + "-canary-preview"  # webapp.canaryPreviewName


def test_the_summary_says_how_the_upgrade_went():
    assert phases()["done"] == "changed by canary: 10% -> 50% -> 100% passed, then promoted"
    assert phases(hosted(), BLUE_GREEN)["done"] == "changed by blue/green: switched, held 20 s with every request, then promoted"


def test_a_blue_green_hold_that_is_no_number_is_named_as_itself():
    release, s = hosted(), dict(BLUE_GREEN, upgrade_blue_green_hold_seconds="soon")
    found = canary_release.errors(release, plan_of(release, s), s)
    assert [e.split("=")[0] for e in found] == ["upgrade_blue_green_hold_seconds"]
