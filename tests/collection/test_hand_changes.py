"""Hand changes made with kubectl behind helm's back, then the playbooks, on helm 4.

A release deployed by the collection with helm 4 is applied server-side: `kubectl scale` and
`kubectl set image` then leave a field manager of their own on the fields they changed. deploy.yml
in check mode names each changed field with its live and release value and changes nothing;
deploy.yml brings the release's values back with no field-manager conflict reaching the user;
scale.yml and upgrade.yml after such a change give what they are asked for. The module walks one
release through these steps, in order.
"""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.cluster

REPLICAS_LINE = "Deployment webapp spec.replicas: live 3, release 2"


def _live(app) -> tuple[int, str]:
    dep = app.deployment()
    return dep["spec"]["replicas"], dep["spec"]["template"]["spec"]["containers"][0]["image"]


def _managers(app) -> set[str]:
    dep = app.kubectl_json("get", "deployment", app.name, "-n", app.namespace, "--show-managed-fields")
    return {m["manager"] for m in dep["metadata"].get("managedFields") or []}


def _by_hand(app, *args: str) -> None:
    app.cluster.kubectl("-n", app.namespace, *args)


@pytest.fixture(scope="module")
def changed_by_hand(app):
    """The release as deploy.yml installs it (2 replicas of v1), then scaled to 3 and set to v2
    by hand."""
    app.play("deploy")
    assert _live(app) == (2, app.cluster.image("v1"))
    _by_hand(app, "scale", f"deployment/{app.name}", "--replicas=3")
    _by_hand(app, "set", "image", f"deployment/{app.name}", f"webapp={app.cluster.image('v2')}")
    assert {"kubectl-scale", "kubectl-set"} & _managers(app) or "kubectl" in _managers(app)
    return app


def test_check_mode_names_each_hand_changed_field_with_both_values_and_changes_nothing(changed_by_hand):
    app = changed_by_hand
    revision = app.revision()
    run = app.play("deploy", "--check", "--diff")
    flat = run.flat()
    image_line = ("Deployment webapp spec.template.spec.containers[webapp].image: "
                  f"live {app.cluster.image('v2')}, release {app.cluster.image('v1')}")
    assert REPLICAS_LINE in flat and image_line in flat, run.tail()
    assert '-    "spec.replicas": 3,' in run.output and '+    "spec.replicas": 2,' in run.output, run.tail()
    assert "would change" in flat
    assert app.revision() == revision
    assert _live(app) == (3, app.cluster.image("v2"))


def test_deploy_brings_the_release_values_back_without_a_conflict(changed_by_hand):
    app = changed_by_hand
    revision = app.revision()
    run = app.play("deploy")
    assert "conflict" not in run.output.lower(), run.tail()
    assert "hand changes were brought back" in run.flat(), run.tail()
    app.wait_settled()
    assert _live(app) == (2, app.cluster.image("v1"))
    assert app.pod_images() == {app.cluster.image("v1")}
    newest = app.history()[-1]
    assert newest["revision"] == revision + 1 and newest["status"] == "deployed"
    assert "hand changes" in newest["description"], newest


def test_deploy_with_nothing_changed_by_hand_changes_nothing(changed_by_hand):
    app = changed_by_hand
    revision = app.revision()
    run = app.play("deploy")
    assert "install: no change" in run.flat(), run.tail()
    assert "brought back" not in run.flat()
    assert app.revision() == revision


def test_scale_after_a_hand_scale_gives_the_replicas_asked_for(changed_by_hand):
    app = changed_by_hand
    _by_hand(app, "scale", f"deployment/{app.name}", "--replicas=5")
    # The release already says 2: scale.yml to 2 still means "run 2".
    run = app.play("scale", scale_replicas=2)
    assert "conflict" not in run.output.lower(), run.tail()
    assert _live(app)[0] == 2
    _by_hand(app, "scale", f"deployment/{app.name}", "--replicas=1")
    app.play("scale", scale_replicas=3)
    assert _live(app)[0] == 3 and app.values()["replicas"] == 3


def test_upgrade_after_a_hand_scale_runs_the_release_replicas_of_the_new_image(changed_by_hand):
    app = changed_by_hand
    # kubectl now owns spec.replicas at 1; helm applies 3 there (a conflict, forced).
    _by_hand(app, "scale", f"deployment/{app.name}", "--replicas=1")
    run = app.play("upgrade", upgrade_image_tag="v2")
    assert "conflict" not in run.output.lower(), run.tail()
    app.wait_settled()
    assert _live(app) == (3, app.cluster.image("v2"))
    assert app.pod_images() == {app.cluster.image("v2")}


def test_a_service_and_a_route_edited_by_hand_are_named_in_check_mode_and_brought_back(changed_by_hand):
    app = changed_by_hand
    # Hand edits that break traffic: the Service sends it to a port nothing listens on, the route
    # to a Service port that does not exist.
    _by_hand(app, "patch", "service", app.name, "--type=json",
             "-p", '[{"op": "replace", "path": "/spec/ports/0/targetPort", "value": 9999}]')
    _by_hand(app, "patch", "httproute", app.name, "--type=json",
             "-p", '[{"op": "replace", "path": "/spec/rules/0/backendRefs/0/port", "value": 8081}]')

    def ports():
        service = app.kubectl_json("get", "service", app.name, "-n", app.namespace)
        route = app.kubectl_json("get", "httproute", app.name, "-n", app.namespace)
        return service["spec"]["ports"][0]["targetPort"], route["spec"]["rules"][0]["backendRefs"][0]["port"]

    lines = (f"Service {app.name} spec.ports[http].targetPort: live 9999, release http",
             f"HTTPRoute {app.name} spec.rules[0].backendRefs[0].port: live 8081, release 80")
    run = app.play("deploy", "--check")
    assert all(line in run.flat() for line in lines), run.tail()
    assert ports() == (9999, 8081)
    run = app.play("deploy")
    assert all(line in run.flat() for line in lines), run.tail()
    assert "hand changes were brought back" in run.flat(), run.tail()
    assert ports() == ("http", 80)
    assert "gateway ok" in run.flat() and "nodeport ok" in run.flat(), run.tail()
    assert "version=v2" in app.get_body()
