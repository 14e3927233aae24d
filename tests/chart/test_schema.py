"""Bad values are refused before anything reaches a cluster, with the offending key named.

values.schema.json refuses unknown keys, wrong types, out-of-range numbers, bad enums and bad
patterns (helm checks it on install, upgrade, template and lint); the templates refuse what
relates two keys. Each case renders with `helm template` and reads helm's error.
"""
from __future__ import annotations

import json

import pytest

from chartlib import CHART, CI_VALUES, ci_id

SCHEMA_ERROR = "values don't meet the specifications of the schema"

SHA = "sha256:" + "ab" * 32


def case(id_, values, *named):
    return pytest.param(values, named, id=id_)


def route(**httproute):
    """Values of an enabled HTTPRoute attached to one Gateway, with these keys on top."""
    return {"httpRoute": {"enabled": True, "parentRefs": [{"name": "edge"}], **httproute}}


SCHEMA_CASES = [
    # Unknown keys, at every level users write.
    case("unknown-top-level-key", {"replicaCount": 3}, "at ''", "'replicaCount'"),
    case("flat-dotted-key", {"service.type": "NodePort"}, "at ''", "'service.type'"),
    case("flat-dotted-nested-key", {"image.tag": "1.0"}, "'image.tag'"),
    case("service-nodeport-lowercase", {"service": {"nodeport": 30080}}, "'/service'", "'nodeport'"),
    case("image-tags", {"image": {"tags": "1.0"}}, "'/image'", "'tags'"),
    case("probe-typo", {"probes": {"readiness": {"pathh": "/ready"}}}, "'/probes/readiness'", "'pathh'"),
    case("startup-probe-has-no-initial-delay", {"probes": {"startup": {"initialDelaySeconds": 5}}},
         "'/probes/startup'", "'initialDelaySeconds'"),
    case("liveness-success-threshold", {"probes": {"liveness": {"successThreshold": 2}}},
         "'/probes/liveness'", "'successThreshold'"),
    case("ingress-path-extra-key",
         {"ingress": {"hosts": [{"host": "a.example.com", "paths": [{"path": "/", "service": "x"}]}]}},
         "'/ingress/hosts/0/paths/0'", "'service'"),
    case("autoscaling-typo", {"autoscaling": {"targetCPU": 50}}, "'/autoscaling'", "'targetCPU'"),
    case("pdb-typo", {"podDisruptionBudget": {"minavailable": 1}}, "'/podDisruptionBudget'", "'minavailable'"),
    case("networkpolicy-egress-typo", {"networkPolicy": {"egress": {"allow": []}}},
         "'/networkPolicy/egress'", "'allow'"),
    case("serviceaccount-typo", {"serviceAccount": {"automountToken": True}}, "'/serviceAccount'", "'automountToken'"),
    case("tests-image-digest", {"tests": {"image": {"digest": SHA}}}, "'/tests/image'", "'digest'"),
    case("security-context-typo", {"securityContext": {"runAsUserr": 1000}}, "'/securityContext'", "'runAsUserr'"),
    case("seccomp-typo", {"podSecurityContext": {"seccompProfile": {"typ": "RuntimeDefault"}}},
         "'/podSecurityContext/seccompProfile'", "'typ'"),
    case("strategy-type", {"strategy": {"type": "Recreate"}}, "'/strategy'", "'type'"),
    case("writable-dir-typo", {"writableDirs": [{"name": "tmp", "path": "/tmp"}]}, "'/writableDirs/0'", "'path'"),
    case("resources-request-singular", {"resources": {"request": {"cpu": "1"}}}, "'/resources'", "'request'"),
    case("topology-spread-typo", {"topologySpread": {"key": "zone"}}, "'/topologySpread'", "'key'"),
    case("env-item-typo", {"env": [{"name": "A", "valu": "1"}]}, "'/env/0'", "'valu'"),
    # Wrong types.
    case("replicas-string", {"replicas": "two"}, "'/replicas'", "want integer"),
    case("replicas-float", {"replicas": 1.5}, "'/replicas'", "want integer"),
    case("container-port-string", {"containerPort": "8080"}, "'/containerPort'", "want integer"),
    case("image-tag-number", {"image": {"tag": 2}}, "'/image/tag'", "want string"),
    case("ingress-enabled-string", {"ingress": {"enabled": "yes"}}, "'/ingress/enabled'", "want boolean"),
    case("env-as-map", {"env": {"FOO": "bar"}}, "'/env'", "want array"),
    case("annotation-value-number", {"podAnnotations": {"team": 7}}, "'/podAnnotations/team'", "want string"),
    case("service-annotations-list", {"service": {"annotations": ["a=b"]}}, "'/service/annotations'", "want object"),
    case("toleration-string", {"tolerations": ["dedicated=web:NoSchedule"]}, "'/tolerations/0'", "want object"),
    case("node-selector-bool", {"nodeSelector": {"disk": True}}, "'/nodeSelector/disk'", "want string"),
    case("expected-body-number", {"tests": {"expectedBody": 1}}, "'/tests/expectedBody'", "want string"),
    case("env-item-without-name", {"env": [{"value": "1"}]}, "'/env/0'", "missing property 'name'"),
    # Out of range.
    case("service-port-zero", {"service": {"port": 0}}, "'/service/port'", "minimum"),
    case("service-port-too-big", {"service": {"port": 70000}}, "'/service/port'", "maximum"),
    case("container-port-too-big", {"containerPort": 65536}, "'/containerPort'", "maximum"),
    case("node-port-below-range", {"service": {"type": "NodePort", "nodePort": 8080}}, "'/service/nodePort'", "minimum"),
    case("node-port-above-range", {"service": {"type": "NodePort", "nodePort": 40000}}, "'/service/nodePort'", "maximum"),
    case("replicas-negative", {"replicas": -1}, "'/replicas'", "minimum"),
    case("cpu-target-above-100", {"autoscaling": {"targetCPUUtilizationPercentage": 150}},
         "'/autoscaling/targetCPUUtilizationPercentage'", "maximum"),
    case("autoscaling-min-zero", {"autoscaling": {"minReplicas": 0}}, "'/autoscaling/minReplicas'", "minimum"),
    case("prestop-negative", {"preStopSleepSeconds": -5}, "'/preStopSleepSeconds'", "minimum"),
    case("grace-zero", {"terminationGracePeriodSeconds": 0}, "'/terminationGracePeriodSeconds'", "minimum"),
    case("progress-deadline-tiny", {"progressDeadlineSeconds": 5}, "'/progressDeadlineSeconds'", "minimum"),
    case("test-attempts-zero", {"tests": {"attempts": 0}}, "'/tests/attempts'", "minimum"),
    # Bad enums.
    case("service-type-case", {"service": {"type": "Nodeport"}}, "'/service/type'", "'ClusterIP', 'NodePort', 'LoadBalancer'"),
    case("pull-policy-case", {"image": {"pullPolicy": "always"}}, "'/image/pullPolicy'", "'IfNotPresent'"),
    case("test-pull-policy", {"tests": {"image": {"pullPolicy": "Sometimes"}}}, "'/tests/image/pullPolicy'", "one of"),
    case("external-traffic-policy", {"service": {"type": "NodePort", "externalTrafficPolicy": "Global"}},
         "'/service/externalTrafficPolicy'", "one of"),
    case("ingress-path-type-case",
         {"ingress": {"hosts": [{"host": "a.example.com", "paths": [{"path": "/", "pathType": "prefix"}]}]}},
         "'/ingress/hosts/0/paths/0/pathType'", "one of"),
    case("when-unsatisfiable", {"topologySpread": {"whenUnsatisfiable": "Maybe"}},
         "'/topologySpread/whenUnsatisfiable'", "one of"),
    # Bad patterns.
    case("image-tag-with-colon", {"image": {"tag": "v1:latest"}}, "'/image/tag'", "pattern"),
    case("image-tag-leading-dash", {"image": {"tag": "-rc1"}}, "'/image/tag'", "pattern"),
    case("image-digest-short", {"image": {"digest": "sha256:abc"}}, "'/image/digest'", "pattern"),
    case("image-digest-algorithm", {"image": {"digest": "md5:" + "ab" * 16}}, "'/image/digest'", "pattern"),
    case("image-repository-uppercase", {"image": {"repository": "ghcr.io/Org/App"}}, "'/image/repository'", "pattern"),
    case("image-repository-with-tag", {"image": {"repository": "nginx:1.27"}}, "'/image/repository'", "pattern"),
    case("max-surge-over-100-percent", {"strategy": {"maxSurge": "150%"}}, "'/strategy/maxSurge'", "pattern"),
    case("memory-quantity", {"resources": {"requests": {"memory": "lots"}}}, "'/resources/requests/memory'", "pattern"),
    case("source-range-without-prefix", {"service": {"type": "LoadBalancer", "loadBalancerSourceRanges": ["10.0.0.0"]}},
         "'/service/loadBalancerSourceRanges/0'", "pattern"),
    case("namespace-name", {"networkPolicy": {"allowNamespaces": ["Kube_System"]}},
         "'/networkPolicy/allowNamespaces/0'", "pattern"),
    case("probe-path-relative", {"probes": {"readiness": {"path": "readyz"}}}, "'/probes/readiness/path'", "pattern"),
    case("ingress-host-with-scheme", {"ingress": {"hosts": [{"host": "https://a.example.com", "paths": [{"path": "/"}]}]}},
         "'/ingress/hosts/0/host'", "pattern"),
    case("name-override", {"nameOverride": "Web_App"}, "'/nameOverride'", "pattern"),
    case("label-value-too-long", {"podLabels": {"tier": "x" * 64}}, "'/podLabels/tier'", "maxLength"),
    case("annotation-key", {"podAnnotations": {"a/b/c": "x"}}, "'/podAnnotations'", "'a/b/c'"),
    # The HTTPRoute: Gateway API's own limits (its CRD's schema), and strict at every level.
    case("httproute-typo", {"httpRoute": {"hostname": ["a.example.com"]}}, "'/httpRoute'", "'hostname'"),
    case("httproute-parent-ref-typo", {"httpRoute": {"parentRefs": [{"name": "edge", "listener": "http"}]}},
         "'/httpRoute/parentRefs/0'", "'listener'"),
    case("httproute-parent-ref-without-name", {"httpRoute": {"parentRefs": [{"namespace": "gateway-system"}]}},
         "'/httpRoute/parentRefs/0'", "missing property 'name'"),
    case("httproute-parent-ref-namespace", {"httpRoute": {"parentRefs": [{"name": "edge", "namespace": "Gateway_System"}]}},
         "'/httpRoute/parentRefs/0/namespace'", "pattern"),
    case("httproute-parent-ref-port", {"httpRoute": {"parentRefs": [{"name": "edge", "port": 70000}]}},
         "'/httpRoute/parentRefs/0/port'", "maximum"),
    case("httproute-too-many-parent-refs",
         {"httpRoute": {"parentRefs": [{"name": "edge", "sectionName": f"l{i}"} for i in range(33)]}},
         "'/httpRoute/parentRefs'", "maxItems"),
    case("httproute-hostname-upper-case", {"httpRoute": {"hostnames": ["Shop.example.com"]}},
         "'/httpRoute/hostnames/0'", "pattern"),
    case("httproute-hostname-with-scheme", {"httpRoute": {"hostnames": ["https://shop.example.com"]}},
         "'/httpRoute/hostnames/0'", "pattern"),
    case("httproute-hostname-inner-wildcard", {"httpRoute": {"hostnames": ["shop.*.example.com"]}},
         "'/httpRoute/hostnames/0'", "pattern"),
    case("httproute-hostname-with-port", {"httpRoute": {"hostnames": ["shop.example.com:8080"]}},
         "'/httpRoute/hostnames/0'", "pattern"),
    case("httproute-hostname-ipv6", {"httpRoute": {"hostnames": ["2001:db8::1"]}}, "'/httpRoute/hostnames/0'", "pattern"),
    case("httproute-hostname-label-too-long", {"httpRoute": {"hostnames": ["x" * 64 + ".example.com"]}},
         "'/httpRoute/hostnames/0'", "pattern"),
    case("httproute-too-many-hostnames", {"httpRoute": {"hostnames": [f"h{i}.example.com" for i in range(17)]}},
         "'/httpRoute/hostnames'", "maxItems"),
    case("httproute-no-rules", {"httpRoute": {"rules": []}}, "'/httpRoute/rules'", "minItems"),
    case("httproute-too-many-rules", {"httpRoute": {"rules": [{}] * 17}}, "'/httpRoute/rules'", "maxItems"),
    case("httproute-rule-typo", {"httpRoute": {"rules": [{"backends": []}]}}, "'/httpRoute/rules/0'", "'backends'"),
    case("httproute-too-many-matches", {"httpRoute": {"rules": [{"matches": [{}] * 65}]}},
         "'/httpRoute/rules/0/matches'", "maxItems"),
    case("httproute-path-type", {"httpRoute": {"rules": [{"matches": [{"path": {"type": "Prefix", "value": "/"}}]}]}},
         "'/httpRoute/rules/0/matches/0/path/type'", "'Exact', 'PathPrefix', 'RegularExpression'"),
    case("httproute-path-relative", {"httpRoute": {"rules": [{"matches": [{"path": {"type": "Exact", "value": "api"}}]}]}},
         "'/httpRoute/rules/0/matches/0/path/value'", "'api' does not match pattern"),
    case("httproute-path-relative-default-type", {"httpRoute": {"rules": [{"matches": [{"path": {"value": "api"}}]}]}},
         "'/httpRoute/rules/0/matches/0/path/value'", "'api' does not match pattern"),
    case("httproute-path-with-space", {"httpRoute": {"rules": [{"matches": [{"path": {"value": "/a b"}}]}]}},
         "'/httpRoute/rules/0/matches/0/path/value'", "pattern"),
    case("httproute-path-with-fragment", {"httpRoute": {"rules": [{"matches": [{"path": {"value": "/a#b"}}]}]}},
         "'/httpRoute/rules/0/matches/0/path/value'", "pattern"),
    case("httproute-method-lower-case", {"httpRoute": {"rules": [{"matches": [{"method": "get"}]}]}},
         "'/httpRoute/rules/0/matches/0/method'", "'GET'"),
    case("httproute-header-match-type", {"httpRoute": {"rules": [{"matches": [{"headers": [
         {"name": "X-Env", "value": "dev", "type": "Prefix"}]}]}]}},
         "'/httpRoute/rules/0/matches/0/headers/0/type'", "'Exact', 'RegularExpression'"),
    case("httproute-header-match-name",
         {"httpRoute": {"rules": [{"matches": [{"headers": [{"name": "X Env", "value": "dev"}]}]}]}},
         "'/httpRoute/rules/0/matches/0/headers/0/name'", "pattern"),
    case("httproute-header-match-without-value", {"httpRoute": {"rules": [{"matches": [{"headers": [{"name": "X-Env"}]}]}]}},
         "'/httpRoute/rules/0/matches/0/headers/0'", "missing property 'value'"),
    case("httproute-query-param-empty-value",
         {"httpRoute": {"rules": [{"matches": [{"queryParams": [{"name": "q", "value": ""}]}]}]}},
         "'/httpRoute/rules/0/matches/0/queryParams/0/value'", "minLength"),
    case("httproute-filter-type-unknown", {"httpRoute": {"rules": [{"filters": [{"type": "RequestMirror"}]}]}},
         "'/httpRoute/rules/0/filters/0/type'",
         "'RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestRedirect', 'URLRewrite'"),
    case("httproute-filter-without-type", {"httpRoute": {"rules": [{"filters": [{"urlRewrite": {}}]}]}},
         "'/httpRoute/rules/0/filters/0'", "missing property 'type'"),
    case("httproute-redirect-without-config", {"httpRoute": {"rules": [{"filters": [{"type": "RequestRedirect"}]}]}},
         "'/httpRoute/rules/0/filters/0'", "missing property 'requestRedirect'"),
    case("httproute-header-filter-without-config", {"httpRoute": {"rules": [{"filters": [{"type": "ResponseHeaderModifier"}]}]}},
         "'/httpRoute/rules/0/filters/0'", "missing property 'responseHeaderModifier'"),
    case("httproute-filter-with-another-config", {"httpRoute": {"rules": [{"filters": [
         {"type": "URLRewrite", "urlRewrite": {"hostname": "a.example.com"}, "requestRedirect": {"scheme": "https"}}]}]}},
         "'/httpRoute/rules/0/filters/0/requestRedirect'", "false schema"),
    case("httproute-filter-config-typo", {"httpRoute": {"rules": [{"filters": [
         {"type": "RequestRedirect", "requestRedirect": {"code": 301}}]}]}},
         "'/httpRoute/rules/0/filters/0/requestRedirect'", "'code'"),
    case("httproute-redirect-status", {"httpRoute": {"rules": [{"filters": [
         {"type": "RequestRedirect", "requestRedirect": {"statusCode": 404}}]}]}},
         "'/httpRoute/rules/0/filters/0/requestRedirect/statusCode'", "301, 302, 303, 307, 308"),
    case("httproute-redirect-scheme", {"httpRoute": {"rules": [{"filters": [
         {"type": "RequestRedirect", "requestRedirect": {"scheme": "ftp"}}]}]}},
         "'/httpRoute/rules/0/filters/0/requestRedirect/scheme'", "'http', 'https'"),
    case("httproute-redirect-hostname-wildcard", {"httpRoute": {"rules": [{"filters": [
         {"type": "RequestRedirect", "requestRedirect": {"hostname": "*.example.com"}}]}]}},
         "'/httpRoute/rules/0/filters/0/requestRedirect/hostname'", "pattern"),
    case("httproute-redirect-path-without-replacement", {"httpRoute": {"rules": [{"filters": [
         {"type": "RequestRedirect", "requestRedirect": {"path": {"type": "ReplaceFullPath"}}}]}]}},
         "'/httpRoute/rules/0/filters/0/requestRedirect/path'", "missing property 'replaceFullPath'"),
    case("httproute-rewrite-path-other-replacement", {"httpRoute": {"rules": [{"filters": [
         {"type": "URLRewrite", "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/",
                                                        "replaceFullPath": "/x"}}}]}]}},
         "'/httpRoute/rules/0/filters/0/urlRewrite/path/replaceFullPath'", "false schema"),
    case("httproute-rewrite-path-type", {"httpRoute": {"rules": [{"filters": [
         {"type": "URLRewrite", "urlRewrite": {"path": {"type": "ReplacePrefix", "replacePrefixMatch": "/"}}}]}]}},
         "'/httpRoute/rules/0/filters/0/urlRewrite/path/type'", "'ReplaceFullPath', 'ReplacePrefixMatch'"),
    case("httproute-header-modifier-name", {"httpRoute": {"rules": [{"filters": [
         {"type": "RequestHeaderModifier", "requestHeaderModifier": {"set": [{"name": "X:A", "value": "1"}]}}]}]}},
         "'/httpRoute/rules/0/filters/0/requestHeaderModifier/set/0/name'", "pattern"),
    case("httproute-header-modifier-remove-twice", {"httpRoute": {"rules": [{"filters": [
         {"type": "RequestHeaderModifier", "requestHeaderModifier": {"remove": ["X-A", "X-A"]}}]}]}},
         "'/httpRoute/rules/0/filters/0/requestHeaderModifier/remove'", "items at 0 and 1 are equal"),
    case("httproute-timeout-unit", {"httpRoute": {"rules": [{"timeouts": {"request": "10sec"}}]}},
         "'/httpRoute/rules/0/timeouts/request'", "pattern"),
    case("httproute-timeout-fraction", {"httpRoute": {"rules": [{"timeouts": {"backendRequest": "1.5s"}}]}},
         "'/httpRoute/rules/0/timeouts/backendRequest'", "pattern"),
    case("httproute-timeout-number", {"httpRoute": {"rules": [{"timeouts": {"request": 10}}]}},
         "'/httpRoute/rules/0/timeouts/request'", "want string"),
    case("httproute-timeout-typo", {"httpRoute": {"rules": [{"timeouts": {"idle": "10s"}}]}},
         "'/httpRoute/rules/0/timeouts'", "'idle'"),
    case("httproute-backend-without-port", {"httpRoute": {"rules": [{"backendRefs": [{"name": "web"}]}]}},
         "'/httpRoute/rules/0/backendRefs/0'", "missing property 'port'"),
    case("httproute-backend-other-namespace", {"httpRoute": {"rules": [{"backendRefs": [
         {"name": "web", "port": 80, "namespace": "other"}]}]}},
         "'/httpRoute/rules/0/backendRefs/0'", "'namespace'"),
    case("httproute-weight-negative", {"httpRoute": {"rules": [{"backendRefs": [{"name": "web", "port": 80, "weight": -1}]}]}},
         "'/httpRoute/rules/0/backendRefs/0/weight'", "minimum"),
    case("httproute-weight-too-big",
         {"httpRoute": {"rules": [{"backendRefs": [{"name": "web", "port": 80, "weight": 1000001}]}]}},
         "'/httpRoute/rules/0/backendRefs/0/weight'", "maximum"),
    case("httproute-too-many-backends",
         {"httpRoute": {"rules": [{"backendRefs": [{"name": f"b{i}", "port": 80} for i in range(17)]}]}},
         "'/httpRoute/rules/0/backendRefs'", "maxItems"),
    case("httproute-labels-override-selector", {"httpRoute": {"labels": {"app.kubernetes.io/name": "other"}}},
         "'/httpRoute/labels/app.kubernetes.io~1name'"),
    case("allow-gateway-namespace", {"networkPolicy": {"allowGateway": {"namespace": "Gateway_System"}}},
         "'/networkPolicy/allowGateway/namespace'", "pattern"),
    case("allow-gateway-typo", {"networkPolicy": {"allowGateway": {"namespaces": ["gateway-system"]}}},
         "'/networkPolicy/allowGateway'", "'namespaces'"),
    case("allow-gateway-pod-label-number", {"networkPolicy": {"allowGateway": {"namespace": "gw", "podLabels": {"app": 1}}}},
         "'/networkPolicy/allowGateway/podLabels/app'", "want string"),
    # Selector labels are the chart's alone.
    case("pod-labels-override-selector", {"podLabels": {"app.kubernetes.io/name": "other"}},
         "'/podLabels/app.kubernetes.io~1name'"),
    case("common-labels-override-selector", {"commonLabels": {"app.kubernetes.io/instance": "other"}},
         "'/commonLabels/app.kubernetes.io~1instance'"),
]


@pytest.mark.parametrize("values, named", SCHEMA_CASES)
def test_the_schema_refuses_bad_values_naming_the_key(render, values, named):
    err = render.error(values=values)
    assert SCHEMA_ERROR in err
    for text in named:
        assert text in err, f"{text!r} not in helm's error:\n{err}"


TEMPLATE_CASES = [
    case("grace-not-above-prestop", {"preStopSleepSeconds": 30, "terminationGracePeriodSeconds": 30},
         "terminationGracePeriodSeconds (30) must be greater than preStopSleepSeconds (30)"),
    case("node-port-on-cluster-ip", {"service": {"nodePort": 30080}},
         "service.nodePort (30080) is set but service.type is ClusterIP"),
    case("traffic-policy-on-cluster-ip", {"service": {"externalTrafficPolicy": "Local"}},
         "service.externalTrafficPolicy is set but service.type is ClusterIP"),
    case("source-ranges-on-node-port",
         {"service": {"type": "NodePort", "loadBalancerSourceRanges": ["10.0.0.0/8"]}},
         "service.loadBalancerSourceRanges / service.loadBalancerClass are set but service.type is NodePort"),
    case("lb-class-on-cluster-ip", {"service": {"loadBalancerClass": "example.com/lb"}},
         "service.loadBalancerSourceRanges / service.loadBalancerClass are set but service.type is ClusterIP"),
    case("rollout-cannot-progress", {"strategy": {"maxSurge": 0, "maxUnavailable": 0}},
         "strategy.maxSurge and strategy.maxUnavailable cannot both be 0"),
    case("rollout-cannot-progress-percent", {"strategy": {"maxSurge": "0%", "maxUnavailable": 0}},
         "strategy.maxSurge and strategy.maxUnavailable cannot both be 0"),
    case("autoscaling-max-below-min", {"autoscaling": {"enabled": True, "minReplicas": 5, "maxReplicas": 3}},
         "autoscaling.maxReplicas (3) must be at least autoscaling.minReplicas (5)"),
    case("autoscaling-cpu-without-request", {"resources": {"requests": {"cpu": None}}, "autoscaling": {"enabled": True}},
         "autoscaling.targetCPUUtilizationPercentage needs resources.requests.cpu"),
    case("autoscaling-memory-without-request",
         {"resources": {"requests": {"memory": None}},
          "autoscaling": {"enabled": True, "targetMemoryUtilizationPercentage": 80}},
         "autoscaling.targetMemoryUtilizationPercentage needs resources.requests.memory"),
    case("autoscaling-without-target",
         {"autoscaling": {"enabled": True, "targetCPUUtilizationPercentage": None}},
         "autoscaling.targetCPUUtilizationPercentage and autoscaling.targetMemoryUtilizationPercentage are both null"),
    case("pdb-both-bounds", {"podDisruptionBudget": {"enabled": True, "minAvailable": 1, "maxUnavailable": 1}},
         "podDisruptionBudget.minAvailable and podDisruptionBudget.maxUnavailable are both set"),
    case("pdb-min-available-all-pods", {"podDisruptionBudget": {"enabled": True, "minAvailable": 2}},
         "podDisruptionBudget.minAvailable (2) would block every node drain"),
    case("pdb-min-available-percent-rounds-to-all",
         {"replicas": 2, "podDisruptionBudget": {"enabled": True, "minAvailable": "60%"}},
         "podDisruptionBudget.minAvailable (60% of 2 pods, rounded up: 2) would block every node drain"),
    case("pdb-min-available-above-autoscaler-min",
         {"autoscaling": {"enabled": True, "minReplicas": 3}, "podDisruptionBudget": {"enabled": True, "minAvailable": 3}},
         "podDisruptionBudget.minAvailable (3) would block every node drain: it must be below the pod count (3)"),
    case("pdb-max-unavailable-zero", {"podDisruptionBudget": {"enabled": True, "maxUnavailable": 0}},
         "podDisruptionBudget.maxUnavailable is 0"),
    case("pdb-max-unavailable-zero-percent", {"podDisruptionBudget": {"enabled": True, "maxUnavailable": "0%"}},
         "podDisruptionBudget.maxUnavailable is 0"),
    case("allow-gateway-pod-labels-without-namespace",
         {"networkPolicy": {"enabled": True, "allowGateway": {"podLabels": {"app": "envoy"}}}},
         "networkPolicy.allowGateway.podLabels is set but networkPolicy.allowGateway.namespace is empty"),
    # The HTTPRoute: what its CRD checks with CEL rules, refused before anything is applied.
    case("httproute-without-parent", {"httpRoute": {"enabled": True}},
         "httpRoute.enabled is on but httpRoute.parentRefs is empty"),
    case("httproute-hostname-ip", route(hostnames=["shop.example.com", "10.1.2.3"]),
         'httpRoute.hostnames[1] "10.1.2.3" is an IP address'),
    case("httproute-parent-twice-without-section", route(parentRefs=[{"name": "edge"}, {"name": "edge"}]),
         'httpRoute.parentRefs[1] repeats httpRoute.parentRefs[0]: Gateway shop/edge, sectionName ""'),
    case("httproute-parent-twice-one-section",
         route(parentRefs=[{"name": "edge", "namespace": "shop"}, {"name": "edge", "sectionName": "http"}]),
         "httpRoute.parentRefs[0] and httpRoute.parentRefs[1] both name the Gateway shop/edge: then each needs a sectionName"),
    case("httproute-parent-twice-same-section",
         route(parentRefs=[{"name": "edge", "namespace": "gw", "sectionName": "http"},
                           {"name": "other"}, {"name": "edge", "namespace": "gw", "sectionName": "http"}]),
         'httpRoute.parentRefs[2] repeats httpRoute.parentRefs[0]: Gateway gw/edge, sectionName "http"'),
    *(case(f"httproute-path-{name}",
           route(rules=[{"matches": [{"path": {"value": "/ok"}}, {"path": {"type": "Exact", "value": value}}]}]),
           f'httpRoute.rules[0].matches[1].path.value "{value}" must not {verb} "{bad}" (type Exact)')
      for name, value, verb, bad in [
          ("double-slash", "/a//b", "contain", "//"), ("dot-segment", "/a/./b", "contain", "/./"),
          ("dot-dot-segment", "/a/../b", "contain", "/../"), ("encoded-slash", "/a%2fb", "contain", "%2f"),
          ("encoded-slash-upper", "/a%2Fb", "contain", "%2F"), ("ending-dot-dot", "/a/..", "end with", "/.."),
          ("ending-dot", "/a/.", "end with", "/.")]),
    case("httproute-header-match-twice", route(rules=[{"matches": [{"headers": [
         {"name": "X-Env", "value": "dev"}, {"name": "x-env", "value": "qa"}]}]}]),
         'httpRoute.rules[0].matches[0].headers[1].name "x-env" is used twice'),
    case("httproute-query-param-twice", route(rules=[{}, {"matches": [{}, {"queryParams": [
         {"name": "q", "value": "1"}, {"name": "q", "value": "2"}]}]}]),
         'httpRoute.rules[1].matches[1].queryParams[1].name "q" is used twice'),
    case("httproute-filter-twice", route(rules=[{"filters": [
         {"type": "RequestHeaderModifier", "requestHeaderModifier": {"remove": ["X-A"]}},
         {"type": "RequestHeaderModifier", "requestHeaderModifier": {"remove": ["X-B"]}}]}]),
         "httpRoute.rules[0].filters[1]: a second RequestHeaderModifier filter; each filter type can be used once per rule"),
    case("httproute-header-modifier-twice", route(rules=[{"filters": [
         {"type": "ResponseHeaderModifier", "responseHeaderModifier": {"set": [
             {"name": "Cache-Control", "value": "no-store"}, {"name": "cache-control", "value": "no-cache"}]}}]}]),
         'httpRoute.rules[0].filters[0].responseHeaderModifier.set[1].name "cache-control" is used twice'),
    case("httproute-redirect-and-rewrite", route(rules=[{"filters": [
         {"type": "RequestRedirect", "requestRedirect": {"scheme": "https"}},
         {"type": "URLRewrite", "urlRewrite": {"hostname": "a.example.com"}}]}]),
         "httpRoute.rules[0].filters: RequestRedirect and URLRewrite cannot be used together"),
    case("httproute-redirect-with-backend", route(rules=[{
         "filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https"}}],
         "backendRefs": [{"name": "web", "port": 80}]}]),
         "httpRoute.rules[0].backendRefs is set but the rule has a RequestRedirect filter"),
    case("httproute-prefix-redirect-two-matches", route(rules=[{
         "matches": [{"path": {"value": "/a"}}, {"path": {"value": "/b"}}],
         "filters": [{"type": "RequestRedirect", "requestRedirect": {
             "path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/c"}}}]}]),
         "httpRoute.rules[0].filters[0] replaces the prefix match (path.type ReplacePrefixMatch): "
         "httpRoute.rules[0].matches must then be exactly one match, of path type PathPrefix"),
    case("httproute-prefix-rewrite-exact-match", route(rules=[{
         "matches": [{"path": {"type": "Exact", "value": "/a"}}],
         "filters": [{"type": "URLRewrite", "urlRewrite": {
             "path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/c"}}}]}]),
         "httpRoute.rules[0].filters[0] replaces the prefix match (path.type ReplacePrefixMatch)"),
    case("httproute-backend-timeout-longer", route(rules=[{"timeouts": {"request": "1m", "backendRequest": "61s"}}]),
         "httpRoute.rules[0].timeouts.backendRequest (61s) cannot be longer than httpRoute.rules[0].timeouts.request (1m)"),
    case("httproute-backend-timeout-longer-ms", route(rules=[{}, {"timeouts": {"request": "1s", "backendRequest": "1s1ms"}}]),
         "httpRoute.rules[1].timeouts.backendRequest (1s1ms) cannot be longer than httpRoute.rules[1].timeouts.request (1s)"),
    case("httproute-too-many-matches-in-all",
         route(rules=[{"matches": [{"path": {"value": f"/{r}/{m}"}} for m in range(42)]} for r in range(3)] + [{}] * 3),
         "httpRoute.rules hold 129 matches in all: a route takes at most 128"),
    case("writable-dir-twice", {"writableDirs": [{"name": "tmp", "mountPath": "/tmp"}, {"name": "tmp", "mountPath": "/var/tmp"}]},
         'writableDirs[1].name "tmp" is used twice'),
]


@pytest.mark.parametrize("values, named", TEMPLATE_CASES)
def test_the_templates_refuse_values_that_contradict_each_other(render, values, named):
    err = render.error(values=values)
    assert "execution error" in err
    for text in named:
        assert text in err, f"{text!r} not in helm's error:\n{err}"


def test_set_on_the_command_line_is_checked_too(render):
    err = render.error(sets=("service.nodeport=30080",))
    assert "at '/service': additional properties 'nodeport' not allowed" in err


def test_there_are_at_least_forty_bad_values_cases():
    assert len(SCHEMA_CASES) + len(TEMPLATE_CASES) >= 40


# ---------------------------------------------------------------------------------------------
# Good values pass


@pytest.mark.parametrize("matrix", CI_VALUES, ids=ci_id)
def test_every_ci_matrix_passes_the_schema(render, matrix):
    assert render.run(matrix).returncode == 0


@pytest.mark.parametrize("values", [
    {"global": {"imageRegistry": "mirror.example.com", "anything": {"nested": [1, 2]}}},
    {"replicas": 0},
    {"service": {"type": "NodePort", "nodePort": 30000}},
    {"service": {"type": "LoadBalancer", "nodePort": 32767, "loadBalancerSourceRanges": ["2001:db8::/32"]}},
    {"image": {"tag": "1.27.3-alpine_2024"}},
    {"image": {"repository": "localhost:5000/team/app", "digest": SHA}},
    {"strategy": {"maxSurge": "100%", "maxUnavailable": "25%"}},
    {"resources": {"requests": {"cpu": 0.5, "memory": "1.5Gi", "ephemeral-storage": "1G"},
                   "limits": {"memory": "1.5Gi", "nvidia.com/gpu": 1}}},
    {"podDisruptionBudget": {"enabled": True, "maxUnavailable": "50%"}},
    {"autoscaling": {"enabled": True, "targetCPUUtilizationPercentage": None, "targetMemoryUtilizationPercentage": 75}},
    {"ingress": {"enabled": True, "hosts": [{"host": "*.example.com", "paths": [{"path": "/"}]}]}},
    {"config": {"env": {"FEATURE_ENABLED": True, "RATIO": 0.25}}},
    route(parentRefs=[{"name": "edge", "sectionName": "http"}, {"name": "edge", "sectionName": "https"},
                      {"name": "edge", "namespace": "gateway-system"}, {"name": "edge", "namespace": "other"}]),
    route(rules=[{"timeouts": {"request": "0s", "backendRequest": "1h"}}]),
    route(hostnames=["*.example.com", "1.example.com", "web1"]),
], ids=lambda v: ",".join(v))
def test_good_edge_values_pass(render, values):
    proc = render.run(values=values)
    assert proc.returncode == 0, proc.stderr


def test_global_is_allowed_for_parent_charts(render):
    # A strict schema must still accept what a parent chart passes to every subchart.
    assert render.run(values={"global": {"storageClass": "fast"}}).returncode == 0


# ---------------------------------------------------------------------------------------------
# The schema itself is strict


# Objects whose content is a Kubernetes type the API server validates in full; the chart only
# checks their outer shape.
OPEN_OBJECTS = {
    "#/properties/global",
    "#/$defs/object",
    "#/properties/extraVolumes/items",
}


def _objects(node, pointer="#"):
    if isinstance(node, dict):
        if node.get("type") == "object" or (isinstance(node.get("type"), list) and "object" in node["type"]):
            yield pointer, node
        for key, sub in node.items():
            if key in ("properties", "patternProperties", "$defs"):
                for name, child in sub.items():
                    yield from _objects(child, f"{pointer}/{key}/{name}")
            elif key in ("items", "additionalProperties") and isinstance(sub, dict):
                yield from _objects(sub, f"{pointer}/{key}")
            elif key in ("allOf", "anyOf", "oneOf"):
                for i, child in enumerate(sub):
                    yield from _objects(child, f"{pointer}/{key}/{i}")


def test_every_object_in_the_schema_refuses_unknown_keys():
    schema = json.loads((CHART / "values.schema.json").read_text())
    assert schema["additionalProperties"] is False
    open_objects = {ptr for ptr, node in _objects(schema) if node.get("additionalProperties", True) is not False}
    assert open_objects == OPEN_OBJECTS
