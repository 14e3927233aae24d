"""What the webapp chart renders, value by value: the chart's behaviour as a spec.

Every test renders with the pinned helm (`helm template`, offline) and reads the manifests.
"""
from __future__ import annotations

import sys

import pytest

from chartlib import APP_VERSION, CHART_META, CI_VALUES, ROOT, Manifests, ci_id

sys.path.insert(0, str(ROOT / "playbooks" / "collections"))
from ansible_collections.kubeha.webapp.plugins.module_utils import release_plan  # noqa: E402

SELECTOR_KEYS = {"app.kubernetes.io/name", "app.kubernetes.io/instance"}

# Volume types the Pod Security "restricted" profile admits.
RESTRICTED_VOLUME_TYPES = {
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret",
}


def assert_pod_security_restricted(pod_spec: dict) -> None:
    """The checks of the Pod Security Standards' "restricted" profile (and "baseline")."""
    for host_ns in ("hostNetwork", "hostPID", "hostIPC"):
        assert not pod_spec.get(host_ns), host_ns
    pod_sc = pod_spec.get("securityContext", {})
    for volume in pod_spec.get("volumes", []):
        kinds = set(volume) - {"name"}
        assert kinds <= RESTRICTED_VOLUME_TYPES, f"volume {volume['name']} uses {kinds}"
    for c in pod_spec["containers"] + pod_spec.get("initContainers", []):
        sc = c.get("securityContext", {})
        assert sc.get("privileged") is not True, c["name"]
        assert sc.get("allowPrivilegeEscalation") is False, c["name"]
        assert sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is True, c["name"]
        assert sc.get("runAsUser", pod_sc.get("runAsUser", 1)) != 0, c["name"]
        assert "ALL" in sc.get("capabilities", {}).get("drop", []), c["name"]
        assert set(sc.get("capabilities", {}).get("add", [])) <= {"NET_BIND_SERVICE"}, c["name"]
        seccomp = sc.get("seccompProfile", pod_sc.get("seccompProfile", {})).get("type")
        assert seccomp in ("RuntimeDefault", "Localhost"), c["name"]
        for port in c.get("ports", []):
            assert "hostPort" not in port


@pytest.fixture(scope="module")
def default(render) -> Manifests:
    return render()


@pytest.fixture(scope="module")
def full(render) -> Manifests:
    return render("full-values.yaml")


@pytest.fixture(scope="module")
def local(render) -> Manifests:
    return render("local-values.yaml")


# ---------------------------------------------------------------------------------------------
# Defaults: a user's `helm install` with no values


def test_defaults_render_a_deployment_a_service_and_the_test_hook_only(default):
    assert default.workload_kinds() == ["Deployment", "Service"]
    assert default.test_pod is not None


def test_defaults_run_the_public_podinfo_image_at_the_charts_app_version(default):
    assert default.container["image"] == f"ghcr.io/stefanprodan/podinfo:{APP_VERSION}"
    # pulled at each pod start: what the tag names now, with the pull secrets checked each time
    assert default.container["imagePullPolicy"] == "Always"
    assert default.test_pod["spec"]["containers"][0]["imagePullPolicy"] == "Always"
    assert default.container["ports"] == [{"name": "http", "containerPort": 9898, "protocol": "TCP"}]


def test_default_test_expectation_is_the_version_the_default_image_answers_with(default):
    env = {e["name"]: e["value"] for e in default.test_pod["spec"]["containers"][0]["env"]}
    # podinfo answers GET / (any non-browser client) with compact JSON holding its version.
    assert env["EXPECTED"] == f'"version":"{APP_VERSION}"'


def test_defaults_run_two_replicas_that_keep_full_capacity_during_a_rollout(default):
    spec = default.deployment["spec"]
    assert spec["replicas"] == 2
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
    assert spec["minReadySeconds"] == 5
    assert spec["progressDeadlineSeconds"] == 180
    assert spec["revisionHistoryLimit"] == 10


def test_rollout_settings_come_from_values(full):
    spec = full.deployment["spec"]
    assert spec["strategy"]["rollingUpdate"] == {"maxSurge": "25%", "maxUnavailable": 0}
    assert (spec["minReadySeconds"], spec["progressDeadlineSeconds"], spec["revisionHistoryLimit"]) == (10, 300, 5)


# ---------------------------------------------------------------------------------------------
# Names and labels


FULLNAME_CASES = [
    ("web", {}, "web-webapp"),
    ("shop-webapp", {}, "shop-webapp"),  # the release name already holds the chart name
    ("web", {"nameOverride": "front"}, "web-front"),
    ("front-shop", {"nameOverride": "front"}, "front-shop"),
    ("web", {"fullnameOverride": "storefront"}, "storefront"),
    ("a" * 53, {}, ("a" * 53 + "-webapp")[:63]),
    ("a" * 53, {"nameOverride": "x" * 8 + "-zz"}, "a" * 53 + "-" + "x" * 8),  # cut on a "-": trimmed
]


@pytest.mark.parametrize("release, values, expected", FULLNAME_CASES)
def test_deployment_and_service_are_named_by_the_fullname_convention(render, release, values, expected):
    out = render(values=values, release=release)
    assert out.deployment["metadata"]["name"] == expected
    assert out.service["metadata"]["name"] == expected
    assert len(expected) <= 63


@pytest.mark.parametrize("release, values, expected", FULLNAME_CASES)
def test_the_collection_names_the_deployment_as_the_chart_does(release, values, expected):
    # The rollout watch follows the Deployment by this name before helm has rendered it.
    assert release_plan.chart_fullname(release, values) == expected


def test_selectors_are_the_name_and_instance_labels_only(full):
    expected = {"app.kubernetes.io/name": "webapp", "app.kubernetes.io/instance": "web"}
    assert full.deployment["spec"]["selector"] == {"matchLabels": expected}
    assert full.service["spec"]["selector"] == expected
    assert full.one("PodDisruptionBudget")["spec"]["selector"] == {"matchLabels": expected}
    assert full.one("NetworkPolicy")["spec"]["podSelector"] == {"matchLabels": expected}


@pytest.mark.parametrize("matrix", CI_VALUES, ids=ci_id)
def test_selectors_never_change_whatever_the_values(render, default, matrix):
    # An upgrade from the defaults to any matrix (or back) keeps the immutable selector.
    out = render(matrix)
    assert out.deployment["spec"]["selector"] == default.deployment["spec"]["selector"]
    assert out.service["spec"]["selector"] == default.service["spec"]["selector"]


def test_pods_carry_the_selector_labels_even_when_pod_labels_are_added(full):
    labels = full.deployment["spec"]["template"]["metadata"]["labels"]
    assert labels["app.kubernetes.io/name"] == "webapp"
    assert labels["app.kubernetes.io/instance"] == "web"
    assert labels["tier"] == "web"  # podLabels
    assert labels["team"] == "storefront"  # commonLabels
    # Version or chart labels on pods would change the pod template on every chart bump.
    assert "helm.sh/chart" not in labels


@pytest.mark.parametrize("matrix", ["default-values.yaml", "full-values.yaml"])
def test_every_resource_carries_the_standard_labels(render, matrix):
    out = render(matrix)
    for doc in out.docs:
        labels = doc["metadata"]["labels"]
        assert labels["helm.sh/chart"] == f"webapp-{CHART_META['version']}"
        assert labels["app.kubernetes.io/managed-by"] == "Helm"
        assert labels["app.kubernetes.io/instance"] == "web"
        assert labels["app.kubernetes.io/name"].startswith("webapp")


def test_the_version_label_follows_the_image_tag(render, default):
    assert default.deployment["metadata"]["labels"]["app.kubernetes.io/version"] == APP_VERSION
    out = render(sets=("image.tag=7.0.0-rc.1",))
    assert out.deployment["metadata"]["labels"]["app.kubernetes.io/version"] == "7.0.0-rc.1"


def test_common_labels_go_on_every_resource_and_never_on_selectors(full):
    for doc in full.docs:
        if doc is full.test_pod:
            continue
        assert doc["metadata"]["labels"]["team"] == "storefront", doc["kind"]
    assert "team" not in full.deployment["spec"]["selector"]["matchLabels"]
    assert "team" not in full.service["spec"]["selector"]


def test_everything_is_rendered_into_the_release_namespace(full):
    assert {d["metadata"]["namespace"] for d in full.docs} == {"shop"}


# ---------------------------------------------------------------------------------------------
# Image


def test_image_tag_overrides_the_app_version(render):
    assert render(sets=("image.tag=6.0.0",)).container["image"] == "ghcr.io/stefanprodan/podinfo:6.0.0"


def test_image_digest_wins_over_the_tag(full):
    assert full.container["image"] == (
        "registry.example.com:5000/shop/frontend@sha256:"
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
    assert full.container["imagePullPolicy"] == "Always"
    assert full.pod_spec["imagePullSecrets"] == [{"name": "registry-credentials"}]


def test_local_cluster_values_run_the_local_images_without_pulling(local):
    assert local.container["image"] == "kubeha/web:v1"
    assert local.container["imagePullPolicy"] == "Never"
    assert local.container["ports"][0]["containerPort"] == 8080
    test = local.test_pod["spec"]["containers"][0]
    assert test["image"] == "kubeha/client:v1"
    assert test["imagePullPolicy"] == "Never"
    assert {"name": "EXPECTED", "value": "version=v1"} in test["env"]


# ---------------------------------------------------------------------------------------------
# Probes, graceful shutdown


def test_probes_hit_the_apps_health_endpoints_on_the_named_port(default):
    c = default.container
    assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert c["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    # The startup probe gives the app a minute before liveness may restart it.
    assert c["startupProbe"]["periodSeconds"] * c["startupProbe"]["failureThreshold"] >= 60


def test_probe_paths_and_timings_come_from_values(full):
    c = full.container
    assert c["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert c["readinessProbe"]["periodSeconds"] == 3
    assert c["livenessProbe"]["httpGet"]["path"] == "/alive"
    assert c["livenessProbe"]["periodSeconds"] == 20
    assert c["startupProbe"]["httpGet"]["path"] == "/started"
    assert c["startupProbe"]["failureThreshold"] == 60


def test_disabled_probes_are_not_rendered(render):
    c = render("minimal-values.yaml").container
    assert not {"readinessProbe", "livenessProbe", "startupProbe"} & set(c)


def test_a_pre_stop_pause_lets_endpoints_update_before_sigterm(default):
    # The sleep action needs no sleep binary in the image.
    assert default.container["lifecycle"] == {"preStop": {"sleep": {"seconds": 10}}}
    assert default.pod_spec["terminationGracePeriodSeconds"] > 10


def test_pre_stop_pause_and_grace_period_come_from_values(full):
    assert full.container["lifecycle"]["preStop"]["sleep"]["seconds"] == 15
    assert full.pod_spec["terminationGracePeriodSeconds"] == 60


def test_a_zero_pre_stop_pause_renders_no_hook(render):
    out = render("minimal-values.yaml")
    assert "lifecycle" not in out.container
    assert out.pod_spec["terminationGracePeriodSeconds"] == 5


# ---------------------------------------------------------------------------------------------
# Change cause and config checksums


def test_no_change_cause_annotation_by_default(default):
    assert "kubernetes.io/change-cause" not in default.deployment["metadata"].get("annotations", {})


def test_change_cause_is_set_on_the_deployment_not_on_the_pod_template(render, default):
    out = render(values={"changeCause": "deploy 6.14.1 for ticket OPS-42"})
    assert out.deployment["metadata"]["annotations"]["kubernetes.io/change-cause"] == "deploy 6.14.1 for ticket OPS-42"
    # A new change cause alone must not roll the pods.
    assert out.deployment["spec"]["template"] == default.deployment["spec"]["template"]


def test_deployment_annotations_and_change_cause_live_together(full):
    annotations = full.deployment["metadata"]["annotations"]
    assert annotations == {"owner": "storefront@example.com",
                           "kubernetes.io/change-cause": "release 2.4.1: faster checkout"}


def test_config_is_rendered_into_configmaps_the_container_loads(full):
    maps = {m["metadata"]["name"]: m["data"] for m in full.all("ConfigMap")}
    assert maps == {
        "shop-frontend-env": {"LOG_FORMAT": "json", "CACHE_TTL": "30"},
        "shop-frontend-files": {"app.yaml": "greeting: hello\n"},
    }
    assert full.container["envFrom"][0] == {"configMapRef": {"name": "shop-frontend-env"}}
    assert {"name": "config-files", "mountPath": "/etc/webapp", "readOnly": True} in full.container["volumeMounts"]
    assert {"name": "config-files", "configMap": {"name": "shop-frontend-files"}} in full.pod_spec["volumes"]


def test_a_config_change_rolls_the_pods_through_a_checksum_annotation(render):
    def checksum(value):
        out = render(values={"config": {"env": {"GREETING": value}}})
        return out.deployment["spec"]["template"]["metadata"]["annotations"]["checksum/config"]

    assert checksum("hello") == checksum("hello")
    assert checksum("hello") != checksum("goodbye")


def test_the_config_checksum_depends_on_the_config_only(render):
    def checksum(**values):
        out = render(values={"config": {"env": {"GREETING": "hello"}}, **values})
        return out.deployment["spec"]["template"]["metadata"]["annotations"]["checksum/config"]

    # A new image or label must not look like a config change.
    assert checksum() == checksum(image={"tag": "7.0.0"}) == checksum(commonLabels={"team": "x"})


def test_no_config_means_no_configmap_and_no_checksum(default):
    assert default.all("ConfigMap") == []
    assert "annotations" not in default.deployment["spec"]["template"]["metadata"]


# ---------------------------------------------------------------------------------------------
# Pod settings passed through


def test_env_env_from_volumes_and_scheduling_settings_pass_through(full):
    c, spec = full.container, full.pod_spec
    assert c["args"] == ["--port=8080", "--log-level=info"]
    assert c["env"] == [
        {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "FEATURE_X", "value": "on"},
    ]
    assert {"secretRef": {"name": "frontend-secrets"}} in c["envFrom"]
    assert {"name": "cache", "mountPath": "/var/cache/app"} in c["volumeMounts"]
    assert {"name": "cache", "emptyDir": {}} in spec["volumes"]
    assert spec["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert spec["tolerations"][0]["key"] == "dedicated"
    assert "nodeAffinity" in spec["affinity"]
    assert spec["priorityClassName"] == "web-critical"
    assert full.deployment["spec"]["template"]["metadata"]["annotations"]["prometheus.io/scrape"] == "true"
    assert c["resources"] == {"requests": {"cpu": "200m", "memory": "128Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}}


def test_default_resources_request_cpu_and_memory_and_cap_both(default):
    # The CPU cap is far above the request: bursts are not throttled, a runaway pod cannot take a node.
    assert default.container["resources"] == {"requests": {"cpu": "50m", "memory": "64Mi"},
                                              "limits": {"cpu": "1", "memory": "256Mi"}}
    assert default.test_pod["spec"]["containers"][0]["resources"]["limits"] == {"cpu": "100m", "memory": "32Mi"}


def test_null_resources_render_none(render):
    assert "resources" not in render("minimal-values.yaml").container


# ---------------------------------------------------------------------------------------------
# Security


@pytest.mark.parametrize("matrix", CI_VALUES, ids=ci_id)
def test_pods_pass_the_pod_security_restricted_profile(render, matrix):
    out = render(matrix)
    assert_pod_security_restricted(out.pod_spec)
    if out.test_pod:
        assert_pod_security_restricted(out.test_pod["spec"])


def test_the_restricted_check_catches_a_weakened_pod(render):
    # The check above is only worth something if it refuses a pod that is not restricted.
    out = render(values={"securityContext": {"allowPrivilegeEscalation": True, "capabilities": {"drop": ["ALL"]}}})
    with pytest.raises(AssertionError, match="webapp"):
        assert_pod_security_restricted(out.pod_spec)


def test_the_root_filesystem_is_read_only_with_writable_empty_dirs(default):
    assert default.container["securityContext"]["readOnlyRootFilesystem"] is True
    assert default.container["volumeMounts"] == [
        {"name": "tmp", "mountPath": "/tmp"}, {"name": "data", "mountPath": "/data"}]
    assert default.pod_spec["volumes"] == [
        {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}, {"name": "data", "emptyDir": {"sizeLimit": "64Mi"}}]


def test_pods_run_as_a_numeric_non_root_uid_above_the_hosts_users(default, local):
    # A numeric uid lets the kubelet verify runAsNonRoot for images whose USER is a name (podinfo's
    # is `app`); 65532 is no host user's. kubeha/web runs as 65532 too.
    sc = default.pod_spec["securityContext"]
    assert sc["runAsNonRoot"] is True
    assert (sc["runAsUser"], sc["runAsGroup"], sc["fsGroup"]) == (65532, 65532, 65532)
    sc = local.pod_spec["securityContext"]
    assert (sc["runAsUser"], sc["runAsGroup"], sc["fsGroup"]) == (65532, 65532, 65532)
    assert sc["seccompProfile"] == {"type": "RuntimeDefault"}  # merged with the defaults


def test_no_service_account_token_is_mounted_unless_asked(default, full):
    assert default.pod_spec["automountServiceAccountToken"] is False
    assert default.pod_spec["serviceAccountName"] == "default"
    assert default.get("ServiceAccount") is None
    sa = full.one("ServiceAccount")
    assert sa["metadata"]["name"] == "shop-frontend"
    assert sa["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/frontend"}
    assert full.pod_spec["serviceAccountName"] == "shop-frontend"
    assert full.pod_spec["automountServiceAccountToken"] is True


def test_a_created_service_account_does_not_automount_by_default(render):
    out = render(values={"serviceAccount": {"create": True}})
    assert out.one("ServiceAccount")["automountServiceAccountToken"] is False
    assert out.pod_spec["automountServiceAccountToken"] is False
    assert out.pod_spec["serviceAccountName"] == "web-webapp"


# ---------------------------------------------------------------------------------------------
# Spreading over nodes


def test_pods_are_spread_over_nodes_by_default(default):
    (tsc,) = default.pod_spec["topologySpreadConstraints"]
    assert tsc["topologyKey"] == "kubernetes.io/hostname"
    assert tsc["maxSkew"] == 1
    assert tsc["whenUnsatisfiable"] == "ScheduleAnyway"  # a one-node cluster still runs every pod
    assert tsc["labelSelector"] == {"matchLabels": {"app.kubernetes.io/name": "webapp", "app.kubernetes.io/instance": "web"}}
    assert tsc["matchLabelKeys"] == ["pod-template-hash"]


def test_the_replica_count_never_changes_the_pod_template(render):
    # A scale (1 -> 10 -> 2) must not roll the pods: only spec.replicas differs.
    one, ten = render("single-replica-values.yaml"), render("single-replica-values.yaml", values={"replicas": 10})
    assert one.pod_spec == ten.pod_spec
    assert one.pod_spec["topologySpreadConstraints"][0]["topologyKey"] == "kubernetes.io/hostname"


def test_an_autoscaled_deployment_is_spread_even_from_one_replica(render):
    out = render(values={"replicas": 1, "autoscaling": {"enabled": True, "minReplicas": 1, "maxReplicas": 4}})
    assert out.pod_spec["topologySpreadConstraints"][0]["topologyKey"] == "kubernetes.io/hostname"


def test_spread_settings_and_explicit_constraints(render, full):
    assert full.pod_spec["topologySpreadConstraints"][0]["topologyKey"] == "topology.kubernetes.io/zone"
    assert full.pod_spec["topologySpreadConstraints"][0]["whenUnsatisfiable"] == "DoNotSchedule"
    explicit = [{"maxSkew": 2, "topologyKey": "example.com/rack", "whenUnsatisfiable": "DoNotSchedule",
                 "labelSelector": {"matchLabels": {"app.kubernetes.io/instance": "web"}}}]
    assert render(values={"topologySpreadConstraints": explicit}).pod_spec["topologySpreadConstraints"] == explicit
    assert "topologySpreadConstraints" not in render(values={"topologySpread": {"enabled": False}}).pod_spec


# ---------------------------------------------------------------------------------------------
# Service


def test_the_default_service_is_cluster_ip_on_port_80_to_the_named_container_port(default):
    spec = default.service["spec"]
    assert spec["type"] == "ClusterIP"
    assert spec["ports"] == [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]


@pytest.mark.parametrize("matrix", CI_VALUES, ids=ci_id)
def test_the_service_never_renders_a_cluster_ip(render, matrix):
    # An empty or pinned clusterIP carried into an update is an immutable-field error.
    assert "clusterIP" not in render(matrix).service["spec"]


def test_a_cluster_ip_service_renders_no_node_port_or_external_fields(default):
    spec = default.service["spec"]
    assert "nodePort" not in spec["ports"][0]
    assert not {"externalTrafficPolicy", "loadBalancerClass", "loadBalancerSourceRanges"} & set(spec)


def test_node_port_service_with_a_pinned_port(render):
    spec = render("nodeport-values.yaml").service["spec"]
    assert spec["type"] == "NodePort"
    assert spec["ports"] == [{"name": "http", "port": 8080, "targetPort": "http", "protocol": "TCP", "nodePort": 30080}]
    assert spec["externalTrafficPolicy"] == "Local"


def test_node_port_service_without_a_pin_lets_kubernetes_pick(render):
    spec = render(sets=("service.type=NodePort",)).service["spec"]
    assert spec["type"] == "NodePort"
    assert "nodePort" not in spec["ports"][0]
    assert "externalTrafficPolicy" not in spec


def test_load_balancer_service_with_source_ranges_class_and_annotations(render):
    svc = render("loadbalancer-values.yaml").service
    spec = svc["spec"]
    assert spec["type"] == "LoadBalancer"
    assert spec["loadBalancerSourceRanges"] == ["203.0.113.0/24", "2001:db8::/32"]
    assert spec["loadBalancerClass"] == "example.com/lb"
    assert spec["externalTrafficPolicy"] == "Cluster"
    assert spec["ports"] == [{"name": "web", "port": 443, "targetPort": "http", "protocol": "TCP", "nodePort": 31443}]
    assert svc["metadata"]["annotations"] == {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing"}


# ---------------------------------------------------------------------------------------------
# Ingress


def test_no_ingress_by_default(default):
    assert default.get("Ingress") is None


def test_ingress_routes_hosts_and_paths_to_the_service_port_with_tls(full):
    ing = full.one("Ingress")
    assert ing["spec"]["ingressClassName"] == "nginx"
    assert ing["metadata"]["annotations"] == {"nginx.ingress.kubernetes.io/proxy-body-size": "8m"}
    assert ing["spec"]["tls"] == [{"secretName": "shop-example-com-tls", "hosts": ["shop.example.com"]}]
    (rule,) = ing["spec"]["rules"]
    assert rule["host"] == "shop.example.com"
    backend = {"service": {"name": "shop-frontend", "port": {"name": "http"}}}
    assert rule["http"]["paths"] == [
        {"path": "/", "pathType": "Prefix", "backend": backend},
        {"path": "/api", "pathType": "Prefix", "backend": backend},
    ]


def test_ingress_without_class_or_tls_uses_the_cluster_default(render):
    ing = render(values={"ingress": {"enabled": True}}).one("Ingress")
    assert "ingressClassName" not in ing["spec"]
    assert "tls" not in ing["spec"]
    assert ing["spec"]["rules"][0]["host"] == "webapp.example.com"


# ---------------------------------------------------------------------------------------------
# HTTPRoute (Gateway API)


def route_values(**httproute) -> dict:
    return {"httpRoute": {"enabled": True, "parentRefs": [{"name": "edge"}], **httproute}}


@pytest.fixture(scope="module")
def gateway(render) -> Manifests:
    return render("gateway-values.yaml")


def test_no_http_route_by_default(default):
    assert default.get("HTTPRoute") is None


def test_a_route_sends_every_path_of_its_gateway_to_the_service(render):
    route = render(values=route_values()).one("HTTPRoute")
    assert route["apiVersion"] == "gateway.networking.k8s.io/v1"
    assert (route["metadata"]["name"], route["metadata"]["namespace"]) == ("web-webapp", "shop")
    assert "annotations" not in route["metadata"]
    assert route["spec"] == {
        "parentRefs": [{"name": "edge"}],
        "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                   "backendRefs": [{"name": "web-webapp", "port": 80}]}],
    }


def test_the_routes_own_backend_is_the_service_by_its_name_and_port(render):
    out = render("nodeport-values.yaml", values={"fullnameOverride": "front", **route_values()})
    assert out.one("HTTPRoute")["spec"]["rules"][0]["backendRefs"] == [{"name": "front", "port": 8080}]
    assert (out.service["metadata"]["name"], out.service["spec"]["ports"][0]["port"]) == ("front", 8080)


def test_route_parents_hosts_labels_and_annotations_come_from_values(gateway):
    route = gateway.one("HTTPRoute")
    assert route["metadata"]["annotations"] == {"example.com/owner": "storefront"}
    assert route["metadata"]["labels"]["exposure"] == "public"
    assert route["spec"]["parentRefs"] == [
        {"name": "edge", "namespace": "gateway-system", "sectionName": "http"},
        {"name": "edge", "namespace": "gateway-system", "sectionName": "https", "port": 443},
    ]
    assert route["spec"]["hostnames"] == ["shop.example.com", "*.shop.example.com"]


def test_route_labels_win_over_common_labels_and_never_over_the_charts_own(render):
    labels = render(values={"commonLabels": {"team": "shop", "tier": "web"}, **route_values(labels={
        "team": "edge", "app.kubernetes.io/part-of": "other", "helm.sh/chart": "other"})}).one("HTTPRoute")["metadata"]["labels"]
    assert (labels["team"], labels["tier"]) == ("edge", "web")
    assert labels["app.kubernetes.io/part-of"] == "webapp"
    assert labels["helm.sh/chart"] == f"webapp-{CHART_META['version']}"
    assert (labels["app.kubernetes.io/name"], labels["app.kubernetes.io/instance"]) == ("webapp", "web")


def test_route_rules_pass_matches_filters_timeouts_and_backends_through(gateway):
    redirect, api, docs, rest = gateway.one("HTTPRoute")["spec"]["rules"]
    assert redirect == {
        "matches": [{"path": {"type": "Exact", "value": "/old-cart"}}],
        "filters": [{"type": "RequestRedirect", "requestRedirect": {
            "path": {"type": "ReplaceFullPath", "replaceFullPath": "/cart"}, "statusCode": 301}}],
    }  # a redirect answers by itself: no backendRefs
    assert api["matches"] == [
        {"path": {"type": "PathPrefix", "value": "/api"},
         "headers": [{"type": "Exact", "name": "X-Canary", "value": "true"}], "method": "GET"},
        {"path": {"type": "PathPrefix", "value": "/api"}, "queryParams": [{"type": "Exact", "name": "canary", "value": "1"}]},
    ]
    assert api["filters"] == [
        {"type": "RequestHeaderModifier", "requestHeaderModifier": {
            "set": [{"name": "X-Forwarded-Prefix", "value": "/api"}], "remove": ["X-Debug"]}},
        {"type": "ResponseHeaderModifier", "responseHeaderModifier": {"add": [{"name": "Cache-Control", "value": "no-store"}]}},
    ]
    assert api["timeouts"] == {"request": "10s", "backendRequest": "5s"}
    assert api["backendRefs"] == [{"name": "shop-frontend", "port": 80, "weight": 90},
                                  {"name": "shop-frontend-canary", "port": 80, "weight": 10}]
    assert docs["filters"] == [{"type": "URLRewrite", "urlRewrite": {
        "path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/manual"}}}]
    own = [{"name": "shop-frontend", "port": 80}]
    assert docs["backendRefs"] == own and rest["backendRefs"] == own
    assert rest["matches"][1] == {"path": {"type": "RegularExpression", "value": "^/v[0-9]+/.*"}}
    assert rest["timeouts"] == {"request": "30s"}


def test_route_matches_are_written_out_with_the_gateway_api_defaults(render):
    rules = render(values=route_values(rules=[
        {}, {"matches": [{"method": "POST"}, {"path": {"type": "Exact"}}]},
    ])).one("HTTPRoute")["spec"]["rules"]
    every_path = {"path": {"type": "PathPrefix", "value": "/"}}
    assert rules[0]["matches"] == [every_path]
    assert rules[1]["matches"] == [{**every_path, "method": "POST"}, {"path": {"type": "Exact", "value": "/"}}]


def test_big_weights_and_a_zero_weight_render_as_integers(render):
    refs = render(values=route_values(rules=[{"backendRefs": [
        {"name": "a", "port": 80, "weight": 1000000}, {"name": "b", "port": 80, "weight": 0}]}])
    ).one("HTTPRoute")["spec"]["rules"][0]["backendRefs"]
    assert refs == [{"name": "a", "port": 80, "weight": 1000000}, {"name": "b", "port": 80, "weight": 0}]


def test_selectors_and_pods_are_the_same_with_a_route(render, default):
    # The route is an object of its own: it changes neither a selector nor the pod template.
    out = render(values=route_values())
    assert out.deployment["spec"] == default.deployment["spec"]
    assert out.service["spec"] == default.service["spec"]


# ---------------------------------------------------------------------------------------------
# Autoscaling


def test_no_autoscaler_by_default(default):
    assert default.get("HorizontalPodAutoscaler") is None


def test_with_an_autoscaler_the_deployment_leaves_the_replica_count_to_it(full):
    assert "replicas" not in full.deployment["spec"]
    hpa = full.one("HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "shop-frontend"}
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (3, 12)
    targets = {m["resource"]["name"]: m["resource"]["target"] for m in hpa["spec"]["metrics"]}
    assert targets == {"cpu": {"type": "Utilization", "averageUtilization": 70},
                       "memory": {"type": "Utilization", "averageUtilization": 80}}


def test_the_default_autoscaler_targets_cpu_only(render):
    hpa = render(values={"autoscaling": {"enabled": True}}).one("HorizontalPodAutoscaler")
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"]
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 6)


# ---------------------------------------------------------------------------------------------
# PodDisruptionBudget


def test_no_disruption_budget_by_default(default):
    assert default.get("PodDisruptionBudget") is None


def test_an_enabled_budget_allows_one_pod_down_by_default(render):
    pdb = render(values={"podDisruptionBudget": {"enabled": True}}).one("PodDisruptionBudget")
    assert pdb["spec"]["maxUnavailable"] == 1
    assert "minAvailable" not in pdb["spec"]
    assert pdb["spec"]["unhealthyPodEvictionPolicy"] == "AlwaysAllow"


def test_a_budget_below_the_pod_count_is_rendered(full, render):
    assert full.one("PodDisruptionBudget")["spec"]["minAvailable"] == 2  # of at least 3 pods
    pdb = render(values={"podDisruptionBudget": {"enabled": True, "minAvailable": "50%"}}).one("PodDisruptionBudget")
    assert pdb["spec"]["minAvailable"] == "50%"  # of 2 pods: one may go


@pytest.mark.parametrize("values", [
    {"replicas": 1, "podDisruptionBudget": {"enabled": True}},
    {"replicas": 0, "podDisruptionBudget": {"enabled": True, "maxUnavailable": 1}},
    {"autoscaling": {"enabled": True, "minReplicas": 1}, "podDisruptionBudget": {"enabled": True}},
], ids=["one-replica", "zero-replicas", "autoscaler-down-to-one"])
def test_no_budget_when_a_single_pod_may_be_all_there_is(render, values):
    # A budget over a single pod blocks every node drain.
    assert render(values=values).get("PodDisruptionBudget") is None


# ---------------------------------------------------------------------------------------------
# NetworkPolicy


def test_no_network_policy_by_default(default):
    assert default.get("NetworkPolicy") is None


def test_a_network_policy_admits_the_chosen_sources_to_the_app_port_only(full):
    spec = full.one("NetworkPolicy")["spec"]
    (rule,) = spec["ingress"]
    assert rule["ports"] == [{"port": "http", "protocol": "TCP"}]
    assert rule["from"] == [
        {"podSelector": {"matchLabels": {"app.kubernetes.io/instance": "web", "app.kubernetes.io/component": "helm-test"}}},
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}},
        {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "checkout"}}},
        {"ipBlock": {"cidr": "10.0.0.0/8"}},
    ]


def test_a_restricted_egress_keeps_dns(full):
    spec = full.one("NetworkPolicy")["spec"]
    assert spec["policyTypes"] == ["Ingress", "Egress"]
    assert spec["egress"][0] == {"ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}
    assert spec["egress"][1]["ports"] == [{"port": 5432, "protocol": "TCP"}]


def test_a_network_policy_by_default_admits_the_namespace_and_leaves_egress_open(render):
    spec = render(values={"networkPolicy": {"enabled": True}}).one("NetworkPolicy")["spec"]
    assert spec["policyTypes"] == ["Ingress"]
    assert "egress" not in spec
    assert {"podSelector": {}} in spec["ingress"][0]["from"]


def test_a_network_policy_admits_the_gateways_data_plane_pods(render):
    sources = render(values={"networkPolicy": {"enabled": True, "allowSameNamespace": False, "allowGateway": {
        "namespace": "gateway-system", "podLabels": {"gateway.networking.k8s.io/gateway-name": "edge"}}}}
    ).one("NetworkPolicy")["spec"]["ingress"][0]["from"]
    # One source: pods of the Gateway's namespace that carry its labels (both must match).
    assert sources[1:] == [{
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "gateway-system"}},
        "podSelector": {"matchLabels": {"gateway.networking.k8s.io/gateway-name": "edge"}},
    }]


def test_a_gateway_namespace_alone_admits_every_pod_of_it(render):
    sources = render(values={"networkPolicy": {"enabled": True, "allowGateway": {"namespace": "gateway-system"}}}
                     ).one("NetworkPolicy")["spec"]["ingress"][0]["from"]
    assert sources[-1] == {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "gateway-system"}}}


def test_no_gateway_namespace_admits_no_gateway(render):
    on = {"networkPolicy": {"enabled": True}}
    assert render(values=on).one("NetworkPolicy") == render(
        values={"networkPolicy": {"enabled": True, "allowGateway": {"namespace": ""}}}).one("NetworkPolicy")
    assert all("namespaceSelector" not in s for s in render(values=on).one("NetworkPolicy")["spec"]["ingress"][0]["from"])


def test_the_test_pod_is_admitted_by_the_policy_and_not_selected_by_the_service(full, default):
    test_labels = full.test_pod["metadata"]["labels"]
    admitted = full.one("NetworkPolicy")["spec"]["ingress"][0]["from"][0]["podSelector"]["matchLabels"]
    assert admitted.items() <= test_labels.items()
    # The Service, PDB and spread must not count the test pod as an app pod.
    assert not default.service["spec"]["selector"].items() <= default.test_pod["metadata"]["labels"].items()


# ---------------------------------------------------------------------------------------------
# The helm test hook


def test_the_test_hook_requests_the_service_and_checks_the_body(default):
    pod = default.test_pod
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    assert pod["spec"]["restartPolicy"] == "Never"
    (c,) = pod["spec"]["containers"]
    assert c["image"] == "busybox:1.37"
    env = {e["name"]: e["value"] for e in c["env"]}
    assert env["URL"] == "http://web-webapp.shop.svc:80/"
    assert env["ATTEMPTS"] == "10"
    assert env["TIMEOUT"] == "5"
    assert c["command"][:2] == ["sh", "-c"]
    assert 'timeout "$TIMEOUT" wget -q -O - "$URL"' in c["command"][2]


def test_the_test_hook_follows_the_service_port_and_test_path(full, render):
    env = {e["name"]: e["value"] for e in full.test_pod["spec"]["containers"][0]["env"]}
    assert env == {"URL": "http://shop-frontend.shop.svc:80/version", "EXPECTED": "2.4.1", "ATTEMPTS": "20", "TIMEOUT": "5"}
    nodeport = render("nodeport-values.yaml").test_pod["spec"]["containers"][0]["env"]
    assert nodeport[0]["value"] == "http://web-webapp.shop.svc:8080/"


def test_the_test_hook_can_be_turned_off(render):
    assert render("minimal-values.yaml").test_pod is None


# ---------------------------------------------------------------------------------------------
# NOTES: the exact command to reach the app


def test_notes_for_cluster_ip_port_forward_then_curl(notes):
    text = notes()
    assert "kubectl -n shop port-forward service/web-webapp 8080:80 &" in text
    assert 'curl "http://127.0.0.1:8080/"' in text
    assert "helm test web -n shop --logs" in text


def test_notes_for_a_pinned_node_port_curl_the_node_address(notes):
    text = notes("nodeport-values.yaml")
    assert "NODE_IP=$(kubectl get nodes" in text
    assert 'curl "http://${NODE_IP}:30080/"' in text
    assert "port-forward" not in text


def test_notes_for_an_unpinned_node_port_look_the_port_up(notes):
    text = notes(sets=("service.type=NodePort",))
    assert "NODE_PORT=$(kubectl -n shop get service web-webapp -o jsonpath='{.spec.ports[0].nodePort}')" in text
    assert 'curl "http://${NODE_IP}:${NODE_PORT}/"' in text


def test_notes_for_a_load_balancer_curl_its_address(notes):
    text = notes("loadbalancer-values.yaml")
    assert "LB_ADDR=$(kubectl -n shop get service web-webapp" in text
    assert 'curl "http://${LB_ADDR}:443/"' in text


def test_notes_for_an_ingress_curl_each_host_and_path(notes):
    text = notes("full-values.yaml")
    assert 'curl "https://shop.example.com/"' in text
    assert 'curl "https://shop.example.com/api"' in text
    plain = notes(values={"ingress": {"enabled": True}})
    assert 'curl "http://webapp.example.com/"' in plain
    any_host = notes(values={"ingress": {"enabled": True, "hosts": [{"paths": [{"path": "/app"}]}]}})
    assert 'curl "http://<ingress address>/app"' in any_host


def test_notes_for_a_route_read_the_gateway_address_and_curl_each_host_and_path(notes):
    text = notes("gateway-values.yaml")
    assert "Through the Gateway gateway-system/edge (HTTPRoute shop-frontend):" in text
    assert ("GATEWAY_ADDRESS=$(kubectl get gateway edge -n gateway-system"
            " -o jsonpath='{.status.addresses[0].value}')") in text
    for host in ("shop.example.com", "www.shop.example.com"):  # the wildcard host, with a name filled in
        for args, url in (("", "/old-cart"), (" -H 'X-Canary: true'", "/api"), ("", "/api?canary=1"), ("", "/")):
            assert f"curl -H 'Host: {host}'{args} \"http://$GATEWAY_ADDRESS{url}\"" in text
    assert text.count('# and the paths matching the regular expression "^/v[0-9]+/.*"') == 1
    # The Service's own access path is still printed.
    assert "kubectl -n shop port-forward service/shop-frontend 8080:80 &" in text


def test_notes_for_a_route_without_hosts_on_a_listener_port(notes):
    text = notes(values={"httpRoute": {"enabled": True, "parentRefs": [{"name": "edge", "port": 8080}], "rules": [
        {"matches": [{"path": {"type": "Exact", "value": "/login"}, "method": "POST"}, {"method": "HEAD"}]}]}})
    assert "kubectl get gateway edge -n shop -o jsonpath='{.status.addresses[0].value}'" in text
    assert 'curl -X POST "http://$GATEWAY_ADDRESS:8080/login"' in text
    assert 'curl -I "http://$GATEWAY_ADDRESS:8080/"' in text
    assert "Host:" not in text


def test_notes_say_nothing_of_a_gateway_without_a_route(notes):
    assert "GATEWAY_ADDRESS" not in notes("full-values.yaml", values={"httpRoute": {"enabled": False}})


def test_notes_warn_when_an_enabled_budget_was_left_out(notes):
    assert "no\nPodDisruptionBudget was created" in notes("single-replica-values.yaml")
    assert "PodDisruptionBudget was created" not in notes()
