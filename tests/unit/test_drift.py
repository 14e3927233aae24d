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


def service(port=80, target="http", node_port=None, type_="NodePort", name="http", extra_port=None):
    ports = [{"name": name, "port": port, "targetPort": target, "protocol": "TCP"}]
    if node_port is not None:
        ports[0]["nodePort"] = node_port
    if extra_port:
        ports.append(extra_port)
    return {"kind": "Service", "metadata": {"name": "web"},
            "spec": {"type": type_, "selector": {"app.kubernetes.io/name": "webapp"}, "ports": ports}}


def as_live(doc, **filled):
    """What the API server returns: the release's fields plus the ones it fills in."""
    live = copy.deepcopy(doc)
    live["spec"].update(clusterIP="10.96.0.10", sessionAffinity="None", **filled)
    for p in live["spec"]["ports"]:
        p.setdefault("nodePort", 31234)
    return live


def test_a_live_service_as_released_has_no_drift_whatever_the_api_server_filled_in():
    from ansible_collections.kubeha.webapp.plugins.module_utils.drift import service_drift
    assert service_drift(service(), as_live(service())) == []


def test_a_service_changed_by_hand_names_each_field_with_both_values():
    from ansible_collections.kubeha.webapp.plugins.module_utils.drift import service_drift
    release = service(node_port=30080)
    live = as_live(service(node_port=30081, target=9999, type_="LoadBalancer"))
    live["spec"]["selector"] = {"app": "other"}
    assert service_drift(release, live) == [
        {"object": "Service web", "field": "spec.selector", "live": {"app": "other"},
         "release": {"app.kubernetes.io/name": "webapp"}},
        {"object": "Service web", "field": "spec.type", "live": "LoadBalancer", "release": "NodePort"},
        {"object": "Service web", "field": "spec.ports[http].targetPort", "live": 9999, "release": "http"},
        {"object": "Service web", "field": "spec.ports[http].nodePort", "live": 30081, "release": 30080},
    ]
    assert drift_lines(service_drift(release, live)[1:2], "web") == [
        "Service web spec.type: live LoadBalancer, release NodePort"]


def test_a_port_removed_or_added_by_hand_is_drift():
    from ansible_collections.kubeha.webapp.plugins.module_utils.drift import service_drift
    release = service()
    added = as_live(service(extra_port={"name": "debug", "port": 9000, "targetPort": 9000, "protocol": "TCP"}))
    assert service_drift(release, added) == [
        {"object": "Service web", "field": "spec.ports[debug]", "live": 9000, "release": None}]
    renamed = as_live(service(name="web"))
    assert [d["field"] for d in service_drift(release, renamed)] == ["spec.ports[http]", "spec.ports[web]"]


def route_as_rendered():
    """The HTTPRoute as the chart renders it (the live one, recorded, carries the API's defaults)."""
    return {"kind": "HTTPRoute", "metadata": {"name": "webapp"},
            "spec": {"hostnames": ["webapp-webapp.kubeha.test"],
                     "parentRefs": [{"name": "public", "namespace": "kubeha-ingress"}],
                     "rules": [{"backendRefs": [{"name": "webapp", "port": 80}],
                                "matches": [{"path": {"type": "PathPrefix", "value": "/"}}]}]}}


def test_the_api_servers_defaults_in_a_live_route_are_not_drift(api_object):
    from ansible_collections.kubeha.webapp.plugins.module_utils.drift import spec_drift
    assert spec_drift(route_as_rendered(), api_object("httproute_accepted")) == []


def test_a_route_edited_by_hand_names_each_changed_field_and_each_list_of_another_length(api_object):
    from ansible_collections.kubeha.webapp.plugins.module_utils.drift import spec_drift
    live = api_object("httproute_accepted")
    live["spec"]["rules"][0]["backendRefs"][0]["port"] = 8080
    live["spec"]["hostnames"].append("extra.kubeha.test")
    assert spec_drift(route_as_rendered(), live) == [
        {"object": "HTTPRoute webapp", "field": "spec.hostnames",
         "live": ["webapp-webapp.kubeha.test", "extra.kubeha.test"], "release": ["webapp-webapp.kubeha.test"]},
        {"object": "HTTPRoute webapp", "field": "spec.rules[0].backendRefs[0].port", "live": 8080, "release": 80},
    ]


def test_a_pdb_whose_budget_was_changed_by_hand_is_drift_and_an_int_or_string_reads_the_same():
    from ansible_collections.kubeha.webapp.plugins.module_utils.drift import spec_drift
    release = {"kind": "PodDisruptionBudget", "metadata": {"name": "web"}, "spec": {"maxUnavailable": 1}}
    assert spec_drift(release, {"spec": {"maxUnavailable": "1", "selector": {}}}) == []
    assert spec_drift(release, {"spec": {"maxUnavailable": 0}}) == [
        {"object": "PodDisruptionBudget web", "field": "spec.maxUnavailable", "live": 0, "release": 1}]


def test_a_config_value_edited_by_hand_is_drift_of_the_configmaps_data():
    from ansible_collections.kubeha.webapp.plugins.module_utils.drift import spec_drift
    release = {"kind": "ConfigMap", "metadata": {"name": "web-env"}, "data": {"LOG_LEVEL": "info"}}
    assert spec_drift(release, {"data": {"LOG_LEVEL": "info"}}, "data") == []
    assert spec_drift(release, {"data": {"LOG_LEVEL": "debug"}}, "data") == [
        {"object": "ConfigMap web-env", "field": "data.LOG_LEVEL", "live": "debug", "release": "info"}]
