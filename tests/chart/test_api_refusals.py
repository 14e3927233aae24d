"""What the API server or the kubelet would refuse is refused at render time, naming the key.

Each rule is one of Kubernetes' own (k8s.io/kubernetes pkg/apis/core, apps and networking
validation, or the kubelet's checks at container start) that values can break and the values
schema cannot express: relations between keys, references, collisions, formats it leaves open.
Without the refusal helm applies what it can and the release fails half-way, with the API
server's message about a field of a rendered object, not about the value behind it. Each case is
the values, the key the error must name, and why; then good values right at each boundary pass.
"""
from __future__ import annotations

import subprocess

import pytest
import yaml

from chartlib import CHART, KUBE_VERSION

GOOD_CIDR = "10.0.0.0/8"


def case(id_, values, key, why, release="web"):
    return pytest.param(values, key, why, release, id=id_)


def egress(*rules):
    """An enabled NetworkPolicy restricting egress, with these extra rules."""
    return {"networkPolicy": {"enabled": True, "egress": {"restrict": True, "extraRules": list(rules)}}}


def ingress(*hosts, tls=()):
    return {"ingress": {"enabled": True, "hosts": list(hosts), "tls": list(tls)}}


def path(p, path_type="Prefix"):
    return {"host": "shop.example.com", "paths": [{"path": p, "pathType": path_type}]}


def spread(*constraints):
    return {"topologySpreadConstraints": list(constraints)}


def constraint(**extra):
    return {"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "DoNotSchedule", **extra}


MOUNT = {"name": "cache", "mountPath": "/cache"}
CACHE = {"name": "cache", "emptyDir": {}}

REFUSED = [
    # Resources: standard names, request <= limit; extended resources are whole and not overcommitted.
    case("memory-request-above-limit", {"resources": {"requests": {"memory": "512Mi"}, "limits": {"memory": "256Mi"}}},
         "resources.requests.memory (512Mi) is above resources.limits.memory (256Mi)", "must not exceed its limit"),
    case("cpu-request-above-limit", {"resources": {"requests": {"cpu": "1.5"}, "limits": {"cpu": "1000m"}}},
         "resources.requests.cpu (1.5) is above resources.limits.cpu (1000m)", "must not exceed its limit"),
    case("ephemeral-storage-request-above-limit",
         {"resources": {"requests": {"ephemeral-storage": "2G"}, "limits": {"ephemeral-storage": "1Gi"}}},
         "resources.requests.ephemeral-storage (2G) is above resources.limits.ephemeral-storage (1Gi)", "must not exceed"),
    case("unqualified-resource-name", {"resources": {"limits": {"gpu": 1}}},
         'resources.limits.gpu: "gpu" is not a container resource', "need a domain prefix"),
    case("extended-request-without-limit", {"resources": {"requests": {"example.com/dongle": 1}}},
         "resources.requests.example.com/dongle is set without resources.limits.example.com/dongle", "cannot be overcommitted"),
    case("extended-request-below-limit",
         {"resources": {"requests": {"example.com/dongle": 1}, "limits": {"example.com/dongle": 2}}},
         "resources.requests.example.com/dongle (1) must equal resources.limits.example.com/dongle (2)", "cannot be overcommitted"),
    case("extended-fraction", {"resources": {"limits": {"nvidia.com/gpu": "500m"}}},
         "resources.limits.nvidia.com/gpu (500m) must be a whole number", "counted in units"),
    # The Deployment.
    case("min-ready-not-below-deadline", {"minReadySeconds": 180, "progressDeadlineSeconds": 180},
         "progressDeadlineSeconds (180) must be greater than minReadySeconds (180)", "before the rollout is declared failed"),
    # Names the chart derives from values.
    case("fullname-starts-with-digit", {"fullnameOverride": "9shop"},
         'fullnameOverride gives the resource name "9shop"', "must be a DNS-1035 label"),
    case("release-name-with-dot", {}, 'the release name gives the resource name "web.v2-webapp"', "no dots", release="web.v2"),
    case("tag-breaks-version-label", {"image": {"tag": "1.0_"}},
         'image.tag (1.0_) becomes the app.kubernetes.io/version label "1.0_"', "start and end with a letter or digit"),
    case("tag-truncated-to-a-dot", {"image": {"tag": "v" * 62 + ".1"}},
         "image.tag (" + "v" * 62 + ".1) becomes the app.kubernetes.io/version label", "a label value must start and end"),
    case("image-name-too-long", {"image": {"repository": "registry.example.com/" + "a" * 240}},
         "image.repository is 261 characters long", "InvalidImageName"),
    case("test-image-name-too-long", {"tests": {"image": {"repository": "a" * 256}}},
         "tests.image.repository is 256 characters long", "InvalidImageName"),
    case("pod-annotations-too-big", {"podAnnotations": {"big": "x" * 262_142}},
         "podAnnotations hold 262145 bytes", "at most 256 KiB"),
    case("service-annotations-too-big", {"service": {"annotations": {"a": "x" * 200_000, "b": "y" * 70_000}}},
         "service.annotations hold 270002 bytes", "at most 256 KiB"),
    # What the chart renders itself, next to the user's keys.
    case("checksum-annotation-collision", {"config": {"env": {"A": "1"}}, "podAnnotations": {"checksum/config": "x"}},
         "podAnnotations.checksum/config is the chart's own annotation", "rendered twice"),
    case("change-cause-collision",
         {"changeCause": "v2", "deploymentAnnotations": {"kubernetes.io/change-cause": "v1"}},
         "deploymentAnnotations.kubernetes.io/change-cause is set while changeCause is too", "rendered twice"),
    # env and envFrom.
    case("env-name-with-equals", {"env": [{"name": "A=B", "value": "1"}]},
         'env[0].name ("A=B") may hold only printable ASCII characters and no \'=\'', "the API server refuses"),
    case("env-name-non-ascii", {"env": [{"name": "ÄPFEL", "value": "1"}]},
         "env[0].name", "printable ASCII"),
    case("env-name-twice", {"env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}, {"name": "A", "value": "3"}]},
         "env[2].name (A) repeats env[0].name", "silently hides the first"),
    case("env-value-and-value-from",
         {"env": [{"name": "A", "value": "1", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]},
         "env[0].valueFrom is set together with env[0].value", "one or the other"),
    case("env-two-sources", {"env": [{"name": "A", "valueFrom": {
         "fieldRef": {"fieldPath": "metadata.name"}, "secretKeyRef": {"name": "s", "key": "k"}}}]},
         "env[0].valueFrom has 2 sources (fieldRef, secretKeyRef)", "exactly one"),
    case("env-no-source", {"env": [{"name": "A", "valueFrom": {}}]},
         "env[0].valueFrom has 0 sources", "exactly one"),
    case("env-config-map-key-missing", {"env": [{"name": "A", "valueFrom": {"configMapKeyRef": {"name": "settings"}}}]},
         'env[0].valueFrom.configMapKeyRef.key ("")', "must be a key of it"),
    case("env-secret-name", {"env": [{"name": "A", "valueFrom": {"secretKeyRef": {"name": "My_Secret", "key": "k"}}}]},
         'env[0].valueFrom.secretKeyRef.name ("My_Secret") must name a Secret', "DNS subdomain"),
    case("env-from-both", {"envFrom": [{"configMapRef": {"name": "a"}, "secretRef": {"name": "b"}}]},
         "envFrom[0] needs exactly one of configMapRef or secretRef (it has 2)", "exactly one"),
    case("env-from-neither", {"envFrom": [{"prefix": "APP_"}]},
         "envFrom[0] needs exactly one of configMapRef or secretRef (it has 0)", "exactly one"),
    case("env-from-config-map-name", {"envFrom": [{"configMapRef": {"name": "App_Settings"}}]},
         'envFrom[0].configMapRef.name ("App_Settings") must be a DNS subdomain', "the name of a ConfigMap"),
    case("env-from-secret-name", {"envFrom": [{"secretRef": {"name": "app secrets"}}]},
         'envFrom[0].secretRef.name ("app secrets") must be a DNS subdomain', "the name of a Secret"),
    case("env-from-prefix", {"envFrom": [{"prefix": "A=", "secretRef": {"name": "s"}}]},
         'envFrom[0].prefix ("A=")', "no '='"),
    # ConfigMaps rendered from config.
    case("config-file-key-dot-dot", {"config": {"files": {"..data": "x"}}},
         'config.files key "..data" is not a ConfigMap key', "start with '..'"),
    case("config-env-key-dot-dot", {"config": {"env": {"..A": "x"}}},
         'config.env key "..A" is not a ConfigMap key', "start with '..'"),
    case("config-file-key-too-long", {"config": {"files": {"a" * 254: "x"}}},
         "config.files key", "longer than 253 characters"),
    case("config-files-too-big", {"config": {"files": {"a.bin": "x" * 700_000, "b.bin": "y" * 400_000}}},
         "config.files holds 1100000 bytes of values", "at most 1 MiB"),
    # Security contexts.
    case("pod-uid-zero-non-root", {"podSecurityContext": {"runAsUser": 0}},
         "podSecurityContext.runAsUser is 0 (root) but runAsNonRoot is true", "CreateContainerConfigError"),
    case("container-uid-zero-non-root", {"securityContext": {"runAsUser": 0}},
         "securityContext.runAsUser is 0 (root) but runAsNonRoot is true", "the kubelet refuses to start"),
    case("seccomp-localhost-without-profile", {"podSecurityContext": {"seccompProfile": {"type": "Localhost"}}},
         "podSecurityContext.seccompProfile.localhostProfile must be set", "type is Localhost"),
    case("seccomp-profile-not-localhost",
         {"securityContext": {"seccompProfile": {"type": "RuntimeDefault", "localhostProfile": "p.json"}}},
         "securityContext.seccompProfile.localhostProfile is set but securityContext.seccompProfile.type is RuntimeDefault",
         "only be set for Localhost"),
    case("privileged-without-escalation", {"securityContext": {"privileged": True}},
         "securityContext.privileged is true while securityContext.allowPrivilegeEscalation is false", "always can escalate"),
    case("sys-admin-without-escalation", {"securityContext": {"capabilities": {"add": ["CAP_SYS_ADMIN"]}}},
         "securityContext.capabilities.add holds CAP_SYS_ADMIN", "allows escalation"),
    case("sysctl-name", {"podSecurityContext": {"sysctls": [{"name": "Net.IPv4.ip_forward", "value": "1"}]}},
         'podSecurityContext.sysctls[0].name ("Net.IPv4.ip_forward") is not a sysctl name', "lower case segments"),
    case("sysctl-twice", {"podSecurityContext": {"sysctls": [
         {"name": "net.core.somaxconn", "value": "1024"}, {"name": "net.core.somaxconn", "value": "2048"}]}},
         "podSecurityContext.sysctls[1].name (net.core.somaxconn) is set twice", "twice"),
    # Volumes and mounts from writableDirs, config.files and extraVolumes / extraVolumeMounts.
    case("extra-volume-named-like-writable-dir", {"extraVolumes": [{"name": "tmp", "emptyDir": {}}]},
         "extraVolumes[0].name (tmp) is already the name of writableDirs[0]", "volume names must be unique"),
    case("writable-dir-named-config-files",
         {"config": {"files": {"a.conf": "x"}}, "writableDirs": [{"name": "config-files", "mountPath": "/tmp"}]},
         "writableDirs[0].name (config-files) is the name of the chart's volume for config.files", "must be unique"),
    case("extra-volume-without-source", {"extraVolumes": [{"name": "cache"}]},
         "extraVolumes[0] (cache) has 0 volume sources", "exactly one"),
    case("extra-volume-two-sources", {"extraVolumes": [{"name": "cache", "emptyDir": {}, "secret": {"secretName": "s"}}]},
         "extraVolumes[0] (cache) has 2 volume sources (emptyDir, secret)", "exactly one"),
    case("mount-of-missing-volume", {"extraVolumeMounts": [MOUNT]},
         "extraVolumeMounts[0].name (cache) is not a volume of the pod", "must name one of extraVolumes"),
    case("config-mounted-over-writable-dir", {"config": {"files": {"a.conf": "x"}, "mountPath": "/data"}},
         "config.mountPath (/data) is already the mount path of writableDirs[1]", "mount paths must be unique"),
    case("extra-mount-over-writable-dir", {"extraVolumes": [CACHE], "extraVolumeMounts": [{"name": "cache", "mountPath": "/tmp"}]},
         "extraVolumeMounts[0].mountPath (/tmp) is already the mount path of writableDirs[0]", "must be unique"),
    case("writable-dirs-same-path", {"writableDirs": [{"name": "a", "mountPath": "/tmp"}, {"name": "b", "mountPath": "/tmp"}]},
         "writableDirs[1].mountPath (/tmp) is already the mount path of writableDirs[0]", "must be unique"),
    case("sub-path-absolute", {"extraVolumes": [CACHE], "extraVolumeMounts": [{**MOUNT, "subPath": "/etc"}]},
         "extraVolumeMounts[0].subPath (/etc) must be a relative path", "without '..'"),
    case("sub-path-expr-backstep", {"extraVolumes": [CACHE], "extraVolumeMounts": [{**MOUNT, "subPathExpr": "a/../$(POD)"}]},
         "extraVolumeMounts[0].subPathExpr (a/../$(POD)) must be a relative path", "without '..'"),
    case("sub-path-and-expr", {"extraVolumes": [CACHE], "extraVolumeMounts": [{**MOUNT, "subPath": "a", "subPathExpr": "b"}]},
         "extraVolumeMounts[0] sets both subPath and subPathExpr", "mutually exclusive"),
    case("recursive-read-only-without-read-only",
         {"extraVolumes": [CACHE], "extraVolumeMounts": [{**MOUNT, "recursiveReadOnly": "Enabled"}]},
         "extraVolumeMounts[0].recursiveReadOnly (Enabled) needs extraVolumeMounts[0].readOnly: true", "readOnly"),
    case("bidirectional-unprivileged",
         {"extraVolumes": [CACHE], "extraVolumeMounts": [{**MOUNT, "mountPropagation": "Bidirectional"}]},
         "extraVolumeMounts[0].mountPropagation is Bidirectional", "privileged container"),
    # Scheduling.
    case("node-selector-value", {"nodeSelector": {"disk": "fast ssd"}},
         'nodeSelector.disk ("fast ssd") is not a label value', "at most 63"),
    case("toleration-exists-with-value", {"tolerations": [{"key": "dedicated", "operator": "Exists", "value": "web"}]},
         "tolerations[0].value (web) is set but tolerations[0].operator is Exists", "must then be empty"),
    case("toleration-equal-without-key", {"tolerations": [{"operator": "Equal", "value": "web"}]},
         "tolerations[0].key is empty: then tolerations[0].operator must be Exists", "needs a key"),
    case("toleration-seconds-without-no-execute",
         {"tolerations": [{"key": "k", "operator": "Exists", "effect": "NoSchedule", "tolerationSeconds": 30}]},
         "tolerations[0].tolerationSeconds is set but tolerations[0].effect is not NoExecute", "evicts after a delay"),
    case("toleration-key", {"tolerations": [{"key": "dedicated node", "operator": "Exists"}]},
         'tolerations[0].key ("dedicated node") is not a label key', "63 characters"),
    case("toleration-value", {"tolerations": [{"key": "dedicated", "value": "web/shop"}]},
         'tolerations[0].value ("web/shop") is not a label value', "at most 63"),
    case("spread-key", {"topologySpread": {"topologyKey": "topology.kubernetes.io/zone/x"}},
         'topologySpread.topologyKey ("topology.kubernetes.io/zone/x") is not a node label key', "optional DNS prefix"),
    case("spread-constraint-key", spread(constraint(topologyKey="Zone Name")),
         'topologySpreadConstraints[0].topologyKey ("Zone Name") is not a node label key', "63 characters"),
    case("spread-constraint-twice", spread(constraint(), constraint(maxSkew=2)),
         "topologySpreadConstraints[1] repeats the topologyKey and whenUnsatisfiable of topologySpreadConstraints[0]",
         "each pair may appear once"),
    case("spread-min-domains-schedule-anyway", spread(constraint(whenUnsatisfiable="ScheduleAnyway", minDomains=2)),
         "topologySpreadConstraints[0].minDomains is set but topologySpreadConstraints[0].whenUnsatisfiable is ScheduleAnyway",
         "only with DoNotSchedule"),
    case("spread-match-label-keys-without-selector", spread(constraint(matchLabelKeys=["pod-template-hash"])),
         "topologySpreadConstraints[0].matchLabelKeys is set without topologySpreadConstraints[0].labelSelector",
         "one must be set"),
    case("spread-selector-in-without-values", spread(constraint(labelSelector={"matchExpressions": [
         {"key": "app.kubernetes.io/name", "operator": "In"}]})),
         "topologySpreadConstraints[0].labelSelector.matchExpressions[0].values is empty", "needs at least one value"),
    case("spread-selector-exists-with-values", spread(constraint(labelSelector={"matchExpressions": [
         {"key": "tier", "operator": "Exists", "values": ["web"]}]})),
         "topologySpreadConstraints[0].labelSelector.matchExpressions[0].values is set", "takes no values"),
    case("node-affinity-weight", {"affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
         {"weight": 0, "preference": {"matchExpressions": [{"key": "disk", "operator": "Exists"}]}}]}}},
         "affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight (0)", "range 1-100"),
    case("node-affinity-no-terms", {"affinity": {"nodeAffinity": {
         "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": []}}}},
         "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms is empty", "at least one term"),
    case("anti-affinity-without-topology-key", {"affinity": {"podAntiAffinity": {
         "requiredDuringSchedulingIgnoredDuringExecution": [{"labelSelector": {"matchLabels": {"app": "web"}}}]}}},
         'affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey ("")',
         "must be a node label key"),
    case("pod-affinity-weight", {"affinity": {"podAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
         {"weight": 101, "podAffinityTerm": {"topologyKey": "kubernetes.io/hostname"}}]}}},
         "affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight (101)", "range 1-100"),
    # The Service.
    case("port-name-too-long", {"service": {"portName": "http-application"}},
         "service.portName (http-application) is longer than 15 characters", "IANA service name"),
    case("port-name-without-letter", {"service": {"portName": "8080"}},
         "service.portName (8080) must contain at least one letter", "IANA service name"),
    case("port-name-double-dash", {"service": {"portName": "web--http"}},
         "service.portName (web--http) must not contain '--'", "IANA service name"),
    case("source-range-octet", {"service": {"type": "LoadBalancer", "loadBalancerSourceRanges": [GOOD_CIDR, "300.0.0.0/8"]}},
         "service.loadBalancerSourceRanges[1] (300.0.0.0/8)", "octet above 255"),
    case("source-range-prefix", {"service": {"type": "LoadBalancer", "loadBalancerSourceRanges": ["10.0.0.0/33"]}},
         "service.loadBalancerSourceRanges[0] (10.0.0.0/33)", "prefix length above 32"),
    # The Ingress.
    case("ingress-host-ip", ingress({"host": "shop.example.com", "paths": [{"path": "/"}]},
                                    {"host": "010.1.2.255", "paths": [{"path": "/"}]}),
         "ingress.hosts[1].host (010.1.2.255) is an IP address", "must be a DNS name"),
    case("ingress-host-too-long", ingress({"host": ".".join(["a" * 63] * 4), "paths": [{"path": "/"}]}),
         "ingress.hosts[0].host is 255 characters long", "at most 253"),
    case("ingress-path-double-slash", ingress(path("/api//v1")),
         'ingress.hosts[0].paths[0].path (/api//v1) must not contain "//"', "pathType Prefix"),
    case("ingress-path-dot-suffix", ingress(path("/api/..", "Exact")),
         'ingress.hosts[0].paths[0].path (/api/..) must not end with "/.."', "pathType Exact"),
    case("ingress-tls-host", ingress(path("/"), tls=[{"secretName": "tls", "hosts": ["Shop.example.com"]}]),
         "ingress.tls[0].hosts[0] (Shop.example.com) is not a DNS name", "lower case"),
    # The NetworkPolicy.
    case("allow-cidr-octet", {"networkPolicy": {"enabled": True, "allowCIDRs": ["192.168.256.0/24"]}},
         "networkPolicy.allowCIDRs[0] (192.168.256.0/24)", "octet above 255"),
    case("allow-cidr-ipv6-prefix", {"networkPolicy": {"enabled": True, "allowCIDRs": ["2001:db8::/129"]}},
         "networkPolicy.allowCIDRs[0] (2001:db8::/129)", "prefix length above 128"),
    case("egress-end-port-below-port", egress({"ports": [{"port": 8080, "endPort": 8000}]}),
         "networkPolicy.egress.extraRules[0].ports[0].endPort (8000) must be between networkPolicy.egress.extraRules[0].ports[0].port (8080)",
         "65535"),
    case("egress-end-port-named", egress({"ports": [{"port": "https", "endPort": 9000}]}),
         "networkPolicy.egress.extraRules[0].ports[0].endPort is set but networkPolicy.egress.extraRules[0].ports[0].port (https) is a name",
         "needs a numeric port"),
    case("egress-protocol", egress({"ports": [{"port": 443, "protocol": "tcp"}]}),
         "networkPolicy.egress.extraRules[0].ports[0].protocol (tcp) must be TCP, UDP or SCTP", "SCTP"),
    case("egress-port-name", egress({"ports": [{"port": "web_https"}]}),
         "networkPolicy.egress.extraRules[0].ports[0].port (web_https) may hold only lower case letters", "IANA service name"),
    case("egress-empty-peer", egress({"to": [{}]}),
         "networkPolicy.egress.extraRules[0].to[0] must specify a peer", "ipBlock"),
    case("egress-ip-block-with-selector", egress({"to": [{"ipBlock": {"cidr": GOOD_CIDR}, "podSelector": {}}]}),
         "networkPolicy.egress.extraRules[0].to[0] sets ipBlock together with podSelector", "stands alone"),
    case("egress-ip-block-cidr", egress({"to": [{"ipBlock": {"cidr": "10.0.0.0"}}]}),
         "networkPolicy.egress.extraRules[0].to[0].ipBlock.cidr (10.0.0.0)", "needs a prefix length"),
    case("egress-except-outside", egress({"to": [{"ipBlock": {"cidr": GOOD_CIDR, "except": ["10.1.0.0/16", "192.168.0.0/16"]}}]}),
         "networkPolicy.egress.extraRules[0].to[0].ipBlock.except[1] (192.168.0.0/16) must be a strict subset", "cidr (10.0.0.0/8)"),
    case("egress-except-whole-cidr", egress({"to": [{"ipBlock": {"cidr": GOOD_CIDR, "except": [GOOD_CIDR]}}]}),
         "networkPolicy.egress.extraRules[0].to[0].ipBlock.except[0] (10.0.0.0/8) must be a strict subset", "strict subset"),
]


# Names the API server takes as DNS subdomains: at most 253 characters (values.schema.json).
SUBDOMAIN = ".".join(["a" * 63] * 4)
SCHEMA_REFUSED = [
    case("priority-class-name-too-long", {"priorityClassName": SUBDOMAIN}, "'/priorityClassName'", "maxLength"),
    case("service-account-name-too-long", {"serviceAccount": {"create": True, "name": SUBDOMAIN}},
         "'/serviceAccount/name'", "maxLength"),
    case("ingress-class-name-too-long", {"ingress": {"enabled": True, "className": SUBDOMAIN}},
         "'/ingress/className'", "maxLength"),
]


@pytest.mark.parametrize("values, key, why, release", REFUSED)
def test_values_the_api_would_refuse_are_refused_naming_the_key(render, values, key, why, release):
    err = render.error(values=values, release=release)
    assert "execution error" in err
    assert key in err, f"{key!r} not in helm's error:\n{err}"
    assert why in err, f"{why!r} not in helm's error:\n{err}"


@pytest.mark.parametrize("values, key, why, release", SCHEMA_REFUSED)
def test_names_too_long_for_the_api_are_refused_by_the_schema(render, values, key, why, release):
    err = render.error(values=values, release=release)
    assert "values don't meet the specifications of the schema" in err
    assert key in err and why in err, err


def test_there_are_at_least_forty_new_refusals():
    assert len(REFUSED) + len(SCHEMA_REFUSED) >= 40


# ---------------------------------------------------------------------------------------------
# Good values right at each boundary still render


GOOD = {
    "request-equal-to-limit": {"resources": {"requests": {"cpu": "1.1", "memory": "256Mi"}, "limits": {"cpu": "1100m"}}},
    "request-in-other-units": {"resources": {"requests": {"memory": "268435456"}, "limits": {"memory": "0.25Gi"}}},
    "exponent-quantity": {"resources": {"requests": {"cpu": "1e-1", "memory": "1e8"}, "limits": {"cpu": "100m", "memory": "1G"}}},
    "extended-request-equal-limit": {"resources": {"requests": {"nvidia.com/gpu": 2}, "limits": {"nvidia.com/gpu": "2"}}},
    "min-ready-just-below-deadline": {"minReadySeconds": 179, "progressDeadlineSeconds": 180},
    "fullname-at-53": {"fullnameOverride": "w" * 53},
    "tag-ending-in-digit": {"image": {"tag": "1.0_rc-2"}},
    "digest-with-odd-tag": {"image": {"tag": "v1", "digest": "sha256:" + "ab" * 32}},
    "annotations-at-256-kib": {"podAnnotations": {"big": "x" * 262_141}, "service": {"annotations": {"big": "x" * 262_141}}},
    "names-at-253": {"priorityClassName": SUBDOMAIN[:253], "serviceAccount": {"create": True, "name": SUBDOMAIN[:253]},
                     "ingress": {"enabled": True, "className": SUBDOMAIN[:253]}},
    "image-names-at-255": {"image": {"repository": "a" * 255}, "tests": {"image": {"repository": "b" * 255}}},
    "checksum-annotation-without-config": {"podAnnotations": {"checksum/config": "x"}},
    "change-cause-annotation-alone": {"deploymentAnnotations": {"kubernetes.io/change-cause": "v1"}},
    "env-relaxed-name": {"env": [{"name": "my.env-name with space", "value": "1"}, {"name": "B"}]},
    "env-value-from-one-source": {"env": [{"name": "A", "valueFrom": {"configMapKeyRef": {"name": "cfg.v1", "key": ".a_b-c"}}}]},
    "env-from-prefix": {"envFrom": [{"prefix": "APP_", "configMapRef": {"name": "cfg"}}, {"secretRef": {"name": "sec"}}]},
    "config-key-single-dot-start": {"config": {"env": {".A": "1"}, "files": {".hidden": "x", "a..b": "z"}}},
    "config-files-at-1mib": {"config": {"files": {"a.bin": "x" * 1_048_576}}},
    "uid-zero-when-root-is-allowed": {"podSecurityContext": {"runAsUser": 0, "runAsNonRoot": False},
                                      "securityContext": {"runAsNonRoot": False}},
    "container-uid-wins-over-pod-uid": {"podSecurityContext": {"runAsUser": 0}, "securityContext": {"runAsUser": 1000}},
    "seccomp-localhost-with-profile": {"securityContext": {"seccompProfile": {"type": "Localhost", "localhostProfile": "p.json"}}},
    "privileged-with-escalation": {"securityContext": {"privileged": True, "allowPrivilegeEscalation": True}},
    "sys-admin-with-escalation": {"securityContext": {"allowPrivilegeEscalation": True, "capabilities": {"add": ["CAP_SYS_ADMIN"]}}},
    "sysctls-distinct": {"podSecurityContext": {"sysctls": [{"name": "net.core.somaxconn", "value": "1"},
                                                            {"name": "net/ipv4/ip_local_port_range", "value": "1 2"}]}},
    "extra-volume-mounted": {"extraVolumes": [CACHE],
                             "extraVolumeMounts": [{**MOUNT, "subPath": "a/b", "readOnly": True, "recursiveReadOnly": "IfPossible"}]},
    "extra-mount-of-writable-dir": {"extraVolumeMounts": [{"name": "tmp", "mountPath": "/var/tmp", "subPathExpr": "$(POD)"}]},
    "config-at-own-path": {"config": {"files": {"a.conf": "x"}, "mountPath": "/tmp/conf"}},
    "bidirectional-privileged": {"securityContext": {"privileged": True, "allowPrivilegeEscalation": True},
                                 "extraVolumes": [CACHE], "extraVolumeMounts": [{**MOUNT, "mountPropagation": "Bidirectional"}]},
    "node-selector-63": {"nodeSelector": {"disk": "f" * 63, "empty": ""}},
    "tolerations-edge": {"tolerations": [{"operator": "Exists"}, {"key": "example.com/dedicated", "value": "w" * 63},
                                         {"key": "k", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 30}]},
    "spread-same-key-two-modes": spread(constraint(minDomains=2, labelSelector={"matchLabels": {"a": "b"},
                                        "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]}]},
                                        matchLabelKeys=["pod-template-hash"]),
                                        constraint(whenUnsatisfiable="ScheduleAnyway", labelSelector={},
                                                   matchLabelKeys=["pod-template-hash"])),
    "affinity-edges": {"affinity": {
        "nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 100, "preference": {"matchExpressions": [{"key": "disk", "operator": "Exists"}]}}]},
        "podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 1, "podAffinityTerm": {"topologyKey": "kubernetes.io/hostname"}}],
            "requiredDuringSchedulingIgnoredDuringExecution": [{"topologyKey": "topology.kubernetes.io/zone"}]}}},
    "port-name-15": {"service": {"portName": "a23456789012345"}},
    "source-ranges-edge": {"service": {"type": "LoadBalancer", "loadBalancerSourceRanges": [
        "255.255.255.255/32", "0.0.0.0/0", "2001:db8::/128", "::/0"]}},
    "ingress-edges": ingress({"host": "*.example.com",
                              "paths": [{"path": "/a.b/..c", "pathType": "Exact"},
                                        {"path": "//odd", "pathType": "ImplementationSpecific"}]},
                             {"host": ".".join(["a" * 63] * 3) + "." + "b" * 61, "paths": [{"path": "/"}]},
                             {"host": "1.2.3.256", "paths": [{"path": "/"}]},
                             tls=[{"secretName": "tls", "hosts": ["*.example.com", "shop.example.com"]}]),
    "network-policy-edges": {"networkPolicy": {"enabled": True, "allowCIDRs": ["2001:db8::/32", "0.0.0.0/0"], "egress": {
        "restrict": True, "extraRules": [{
            "ports": [{"port": 1000, "endPort": 1000}, {"port": "https", "protocol": "SCTP"}],
            "to": [{"ipBlock": {"cidr": GOOD_CIDR, "except": ["10.255.255.0/24", "10.0.0.0/9"]}},
                   {"podSelector": {}, "namespaceSelector": {}}]}]}}},
}


@pytest.mark.parametrize("values", list(GOOD.values()), ids=list(GOOD))
def test_good_values_at_each_boundary_render(render, values):
    proc = render.run(values=values)
    assert proc.returncode == 0, proc.stderr


def test_a_release_name_that_is_a_dns_label_renders(render):
    assert render.run(values={}, release="web-v2").returncode == 0


@pytest.mark.parametrize("values, key, why, release", REFUSED)
def test_helm3_refuses_them_the_same_way(helm3, tmp_path, values, key, why, release):
    # Helm 3 users get the same refusal (the checks use no template function helm 3 lacks).
    values_file = tmp_path / "values.yaml"
    values_file.write_text(yaml.safe_dump(values))
    proc = subprocess.run([str(helm3), "template", release, str(CHART), "--namespace", "shop",
                           "--kube-version", KUBE_VERSION, "-f", str(values_file)],
                          text=True, capture_output=True, timeout=60)
    assert proc.returncode != 0 and proc.stdout.strip() == ""
    assert key in proc.stderr and why in proc.stderr, proc.stderr
