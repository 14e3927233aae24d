"""Hand changes found by comparing the live Deployment with the release's manifest
(plugins/module_utils/drift.py)."""
from __future__ import annotations

import copy

from ansible_collections.kubeha.webapp.plugins.module_utils.drift import deployment_drift, drift_lines


def deployment(replicas=3, image="kubeha/web:v1", init_image=None):
    spec = {"containers": [{"name": "web", "image": image}]}
    if init_image:
        spec["initContainers"] = [{"name": "seed", "image": init_image}]
    doc = {"kind": "Deployment", "metadata": {"name": "web"}, "spec": {"template": {"spec": spec}}}
    if replicas is not None:
        doc["spec"]["replicas"] = replicas
    return doc


def test_a_live_deployment_as_released_has_no_drift():
    assert deployment_drift(deployment(), deployment()) == []


def test_a_hand_scale_is_reported_with_both_values():
    assert deployment_drift(deployment(replicas=3), deployment(replicas=5)) == [
        {"field": "spec.replicas", "live": 5, "release": 3}]


def test_replicas_an_autoscaler_owns_are_not_drift():
    # With autoscaling on, the chart renders no replicas: whatever the HPA set is not a hand change.
    assert deployment_drift(deployment(replicas=None), deployment(replicas=7)) == []


def test_a_hand_set_image_is_reported_per_container():
    assert deployment_drift(deployment(image="kubeha/web:v1"), deployment(image="kubeha/web:v9")) == [
        {"field": "spec.template.spec.containers[web].image", "live": "kubeha/web:v9", "release": "kubeha/web:v1"}]


def test_init_containers_count_and_come_before_containers():
    released = deployment(init_image="busybox:1.37")
    live = deployment(replicas=2, image="kubeha/web:v2", init_image="busybox:1.36")
    assert [d["field"] for d in deployment_drift(released, live)] == [
        "spec.replicas", "spec.template.spec.initContainers[seed].image",
        "spec.template.spec.containers[web].image"]


def test_a_container_removed_by_hand_shows_as_missing():
    live = copy.deepcopy(deployment())
    live["spec"]["template"]["spec"]["containers"] = [{"name": "other", "image": "x"}]
    assert deployment_drift(deployment(), live) == [
        {"field": "spec.template.spec.containers[web].image", "live": None, "release": "kubeha/web:v1"}]


def test_nothing_to_compare_without_either_object():
    assert deployment_drift(None, deployment()) == [] and deployment_drift(deployment(), None) == []


def test_lines_name_the_deployment_the_field_and_both_values():
    assert drift_lines([{"field": "spec.replicas", "live": 5, "release": 3}], "web") == [
        "Deployment web spec.replicas: live 5, release 3"]
