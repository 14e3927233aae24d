#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: release_info
short_description: State, history and live objects of a Helm release, read in one call
version_added: 1.0.0
description:
  - Reads a Helm release's records (the C(helm.sh/release.v1) Secrets Helm keeps in the release's
    namespace) and returns its current revision, status, values and image, and its history with
    the image each revision ran.
  - Optionally returns the live Deployment, pods, Service, Ingresses and HTTPRoutes the current revision
    rendered, checks that the helm binary runs, and compares a local chart directory with the
    chart stored in the release.
  - Read-only; supports check mode. Needs only namespaced read access (Secrets, Deployments,
    Pods, Services, Ingresses, HTTPRoutes) in the release's namespace.
  - Connection options are those of kubernetes.core's helm modules, so C(module_defaults) for
    C(group/kubeha.webapp.helm) (which extends C(group/kubernetes.core.helm)) applies.
extends_documentation_fragment:
  - kubeha.webapp.options.helm
options:
  history:
    description: Return every stored revision, oldest first.
    type: bool
    default: true
  resources:
    description:
      - Return the live Deployment, pods, Service, Ingresses and HTTPRoutes of the current
        revision. An HTTPRoute comes with what each Gateway it names said of it
        (C(status.parents)) and, where this identity may read that Gateway, its addresses and
        listeners (C(gateways); null where it may not).
    type: bool
    default: false
  chart_ref:
    description:
      - Path of a local chart directory. Its name and version are returned, with whether its
        templates, schema, values and version equal those of the chart the current revision runs.
    type: path
  nodes:
    description:
      - Return the nodes' InternalIP addresses and the images they hold (C(readable) is false,
        without failing, when the identity may not list nodes).
    type: bool
    default: false
  check_helm:
    description: Run C(binary_path version) and fail with a clear message when helm cannot run.
    type: bool
    default: false
  namespace_info:
    description:
      - Return whether the release's namespace exists and its labels (C(exists) is null,
        without failing, when the identity may not read namespaces).
    type: bool
    default: false
requirements:
  - PyYAML
  - kubernetes >= 24.2.0, only for connection options beyond a kubeconfig and context (see
    module_utils/kube_http.py)
author:
  - kubeha maintainers (@kubeha)
"""

EXAMPLES = r"""
- name: Read the release and its live objects
  kubeha.webapp.release_info:
    release_name: webapp
    release_namespace: webapp
    resources: true
  register: webapp_live
"""

RETURN = r"""
namespace:
  description: The release's namespace (with I(namespace_info)).
  returned: when namespace_info
  type: dict
  sample: {exists: true, labels: {pod-security.kubernetes.io/enforce: restricted}}
exists:
  description: Whether the release has any stored revision.
  returned: always
  type: bool
release:
  description: The current (highest) revision, with its values, image and manifest digest.
  returned: when exists
  type: dict
history:
  description: Every stored revision, oldest first (revision, status, description, image, replicas).
  returned: when exists and history
  type: list
  elements: dict
last_deployed_revision:
  description: The newest revision whose status is C(deployed) or C(superseded) (it ran fine at the time).
  returned: when exists
  type: int
server_version:
  description: The API server's version (C(gitVersion), such as C(v1.37.2)).
  returned: when the cluster answers
  type: str
live:
  description: >-
    Live objects (deployment, pods, service, ingresses, httproutes) of the current revision, and
    drift: the fields of the live objects that differ from the release's manifest (hand changes:
    the Deployment's replicas and container images; the Service's type, selector and ports; every
    field the manifest sets in the spec of the Ingress, HTTPRoute, HPA, PDB and NetworkPolicy, and
    in the data of the ConfigMaps),
    each as field, live and release value (and object, but for the Deployment's).
  returned: when resources and exists
  type: dict
chart:
  description: The local chart (name, version, matches_deployed, changed_files).
  returned: when chart_ref is set
  type: dict
nodes:
  description: readable, addresses (InternalIP of every node), images (names of the images on the nodes).
  returned: when nodes
  type: dict
helm:
  description: helm binary path and version.
  returned: when check_helm
  type: dict
"""

import base64
import json
import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kubeha.webapp.plugins.module_utils.drift import deployment_drift, service_drift, spec_drift
from ansible_collections.kubeha.webapp.plugins.module_utils.helm_release import list_releases, summarize_release
from ansible_collections.kubeha.webapp.plugins.module_utils.pod_status import pod_ready
from ansible_collections.kubeha.webapp.plugins.module_utils.revisions import newest_ran_fine
from ansible_collections.kubeha.webapp.plugins.module_utils.routes import (
    GATEWAY_PATH,
    HTTPROUTE_PATH,
    gateway_view,
    route_view,
)
from ansible_collections.kubeha.webapp.plugins.module_utils.kube_client import api_client, get_json
from ansible_collections.kubeha.webapp.plugins.module_utils.kube_errors import KubeError, describe_error
from ansible_collections.kubeha.webapp.plugins.module_utils.kube_http import ApiError
from ansible_collections.kubeha.webapp.plugins.module_utils.options import (
    HELM_AUTH_OPTIONS,
    HELM_RELEASE_OPTIONS,
    argument_spec,
)

try:
    import yaml

    HAS_YAML = True
    # libyaml's loader when PyYAML has it: the manifest and the chart's files parse 10x faster.
    SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
except ImportError:  # pragma: no cover
    HAS_YAML = False


# The release's other objects read only to compare them with the manifest (hand changes).
OTHER_COMPARED = {
    "HorizontalPodAutoscaler": "/apis/autoscaling/v2/namespaces/%s/horizontalpodautoscalers/%s",
    "PodDisruptionBudget": "/apis/policy/v1/namespaces/%s/poddisruptionbudgets/%s",
    "NetworkPolicy": "/apis/networking.k8s.io/v1/namespaces/%s/networkpolicies/%s",
    "ConfigMap": "/api/v1/namespaces/%s/configmaps/%s",
}


def live_objects(client, namespace, rel):
    docs = [d for d in yaml.load_all(rel.get("manifest") or "", Loader=SAFE_LOADER) if isinstance(d, dict)]
    live = dict(deployment=None, pods=[], service=None, ingresses=[], httproutes=[], drift=[])
    for doc in docs:
        kind = doc.get("kind")
        name = (doc.get("metadata") or {}).get("name")
        if kind == "Deployment" and live["deployment"] is None:
            dep = get_json(client, "/apis/apps/v1/namespaces/%s/deployments/%s" % (namespace, name))
            if dep:
                live["deployment"] = deployment_view(dep)
                live["drift"][:0] = deployment_drift(doc, dep)
                selector = (dep["spec"].get("selector") or {}).get("matchLabels") or {}
                sel = ",".join("%s=%s" % kv for kv in sorted(selector.items()))
                pods = get_json(
                    client, "/api/v1/namespaces/%s/pods" % namespace, {"labelSelector": sel}
                ) or {}
                live["pods"] = [pod_view(p) for p in pods.get("items", [])]
        elif kind == "Service" and live["service"] is None:
            svc = get_json(client, "/api/v1/namespaces/%s/services/%s" % (namespace, name))
            if svc:
                live["service"] = service_view(svc)
                live["drift"].extend(service_drift(doc, svc))
        elif kind == "Ingress":
            ing = get_json(
                client, "/apis/networking.k8s.io/v1/namespaces/%s/ingresses/%s" % (namespace, name)
            )
            if ing:
                live["ingresses"].append(ingress_view(ing))
                live["drift"].extend(spec_drift(doc, ing))
        elif kind == "HTTPRoute":
            route = get_json(client, HTTPROUTE_PATH % (namespace, name))
            if route:
                # A canary's preview route serves the canary's hostnames, not the release's.
                if "kubeha.io/canary-of" not in ((doc.get("metadata") or {}).get("labels") or {}):
                    live["httproutes"].append(route_view(route))
                live["drift"].extend(spec_drift(doc, route))
        elif kind in OTHER_COMPARED:
            other = get_json(client, OTHER_COMPARED[kind] % (namespace, name))
            if other:
                live["drift"].extend(spec_drift(doc, other, "data" if kind == "ConfigMap" else "spec"))
    gateways = {}
    for view in live["httproutes"]:
        for key in view["parent_refs"]:
            gw_ns, gw_name = key[0], key[1]
            if (gw_ns, gw_name) not in gateways:
                gateways[(gw_ns, gw_name)] = readable_gateway(client, gw_ns, gw_name)
            view["gateways"]["%s/%s" % (gw_ns, gw_name)] = gateways[(gw_ns, gw_name)]
    return live


def readable_gateway(client, namespace, name):
    """The Gateway's addresses and listeners, or None when this identity may not read it (a
    platform team owns Gateways; the deploy identity has no rights on them) or it is missing."""
    try:
        gw = get_json(client, GATEWAY_PATH % (namespace, name))
    except ApiError as exc:
        if exc.status in (401, 403):
            return None
        raise
    return gateway_view(gw) if gw else None


def deployment_view(dep):
    spec, status = dep.get("spec") or {}, dep.get("status") or {}
    containers = ((spec.get("template") or {}).get("spec") or {}).get("containers") or []
    return dict(
        name=dep["metadata"]["name"],
        revision=(dep["metadata"].get("annotations") or {}).get(
            "deployment.kubernetes.io/revision"
        ),
        change_cause=(dep["metadata"].get("annotations") or {}).get("kubernetes.io/change-cause", ""),
        replicas=spec.get("replicas", 1),
        ready=status.get("readyReplicas", 0),
        available=status.get("availableReplicas", 0),
        updated=status.get("updatedReplicas", 0),
        current=status.get("replicas", 0),
        images=[c.get("image") for c in containers],
        conditions=[
            dict(type=c.get("type"), status=c.get("status"), reason=c.get("reason"),
                 message=c.get("message"))
            for c in status.get("conditions") or []
        ],
        generation=dep["metadata"].get("generation"),
        observed_generation=status.get("observedGeneration"),
    )


def pod_view(pod):
    status = pod.get("status") or {}
    cstat = status.get("containerStatuses") or []
    ready = pod_ready(pod)
    waiting = [((c.get("state") or {}).get("waiting") or {}).get("reason") for c in cstat]
    return dict(
        name=pod["metadata"]["name"],
        phase=status.get("phase"),
        ready=ready,
        deleting=bool(pod["metadata"].get("deletionTimestamp")),
        node=(pod.get("spec") or {}).get("nodeName"),
        host_ip=status.get("hostIP"),
        pod_ip=status.get("podIP"),
        images=[c.get("image") for c in (pod.get("spec") or {}).get("containers") or []],
        restarts=sum(c.get("restartCount", 0) for c in cstat),
        waiting=[w for w in waiting if w],
        template_hash=(pod["metadata"].get("labels") or {}).get("pod-template-hash"),
    )


def service_view(svc):
    spec, status = svc.get("spec") or {}, svc.get("status") or {}
    lb = (status.get("loadBalancer") or {}).get("ingress") or []
    return dict(
        name=svc["metadata"]["name"],
        type=spec.get("type"),
        cluster_ip=spec.get("clusterIP"),
        ports=[
            dict(name=p.get("name"), port=p.get("port"), node_port=p.get("nodePort"),
                 target_port=p.get("targetPort"))
            for p in spec.get("ports") or []
        ],
        load_balancer=[i.get("ip") or i.get("hostname") for i in lb if i.get("ip") or i.get("hostname")],
    )


def ingress_view(ing):
    spec, status = ing.get("spec") or {}, ing.get("status") or {}
    lb = (status.get("loadBalancer") or {}).get("ingress") or []
    rules = []
    for rule in spec.get("rules") or []:
        paths = [p.get("path", "/") for p in ((rule.get("http") or {}).get("paths") or [])]
        rules.append(dict(host=rule.get("host", ""), paths=paths or ["/"]))
    tls_hosts = sorted({h for t in spec.get("tls") or [] for h in t.get("hosts") or []})
    return dict(
        name=ing["metadata"]["name"],
        class_name=spec.get("ingressClassName"),
        rules=rules,
        tls_hosts=tls_hosts,
        addresses=[i.get("ip") or i.get("hostname") for i in lb if i.get("ip") or i.get("hostname")],
    )


def local_chart(path, rel):
    """Compare a chart directory with the chart stored in the release."""
    with open(os.path.join(path, "Chart.yaml")) as fh:
        meta = yaml.load(fh, Loader=SAFE_LOADER) or {}
    out = dict(
        path=path,
        name=meta.get("name"),
        version=str(meta.get("version")),
        app_version=str(meta.get("appVersion", "")),
        matches_deployed=None,
        changed_files=[],
    )
    if not rel:
        return out
    stored = rel.get("chart") or {}
    changed = []
    smeta = stored.get("metadata") or {}
    if str(smeta.get("version")) != out["version"] or smeta.get("name") != out["name"]:
        changed.append("Chart.yaml (version %s -> %s)" % (smeta.get("version"), out["version"]))
    stored_templates = {
        t["name"]: base64.b64decode(t.get("data") or "") for t in stored.get("templates") or []
    }
    local_templates = {}
    tdir = os.path.join(path, "templates")
    for root, _dirs, files in os.walk(tdir):
        for fname in files:
            full = os.path.join(root, fname)
            rel_name = os.path.relpath(full, path)
            with open(full, "rb") as fh:
                local_templates[rel_name] = fh.read()
    for name in sorted(set(stored_templates) | set(local_templates)):
        if stored_templates.get(name) != local_templates.get(name):
            changed.append(name)
    schema_path = os.path.join(path, "values.schema.json")
    local_schema = None
    if os.path.exists(schema_path):
        with open(schema_path, "rb") as fh:
            local_schema = json.loads(fh.read() or b"null")
    stored_schema = stored.get("schema")
    stored_schema = json.loads(base64.b64decode(stored_schema)) if stored_schema else None
    if local_schema != stored_schema:
        changed.append("values.schema.json")
    values_path = os.path.join(path, "values.yaml")
    local_values = {}
    if os.path.exists(values_path):
        with open(values_path) as fh:
            local_values = yaml.load(fh, Loader=SAFE_LOADER) or {}
    if local_values != (stored.get("values") or {}):
        changed.append("values.yaml")
    out["changed_files"] = changed
    out["matches_deployed"] = not changed
    return out


def nodes_view(client):
    try:
        data = get_json(client, "/api/v1/nodes") or {}
    except Exception as exc:  # a namespaced identity may not list nodes: not an error
        return dict(readable=False, addresses=[], images=[], error=describe_error(exc, client))
    addresses, images = [], set()
    for node in data.get("items", []):
        for addr in (node.get("status") or {}).get("addresses") or []:
            if addr.get("type") == "InternalIP":
                addresses.append(addr.get("address"))
        for image in (node.get("status") or {}).get("images") or []:
            images.update(image.get("names") or [])
    return dict(readable=True, addresses=addresses, images=sorted(images))


def helm_check(module, binary):
    if binary and "/" not in binary:
        binary = module.get_bin_path(binary)
    path = binary or module.get_bin_path("helm")
    if not path:
        module.fail_json(msg="helm was not found on the PATH; set binary_path", helm_error=True)
    if not os.path.exists(path):
        module.fail_json(msg="helm binary %s does not exist" % path, helm_error=True)
    rc, out, err = module.run_command([path, "version", "--short"])
    if rc != 0:
        module.fail_json(msg="helm binary %s does not run: %s" % (path, (err or out).strip()),
                         helm_error=True)
    return dict(path=path, version=out.strip())


def namespace_view(client, name):
    try:
        ns = get_json(client, "/api/v1/namespaces/%s" % name)
    except ApiError as exc:
        if exc.status == 403:  # a namespaced identity: the role that needs it says so
            return dict(exists=None, labels={})
        raise
    if ns is None:
        return dict(exists=False, labels={})
    return dict(exists=True, labels=(ns.get("metadata") or {}).get("labels") or {})


def main(module_class=AnsibleModule):
    spec = argument_spec(
        HELM_AUTH_OPTIONS,
        HELM_RELEASE_OPTIONS,
        history=dict(type="bool", default=True),
        resources=dict(type="bool", default=False),
        chart_ref=dict(type="path"),
        check_helm=dict(type="bool", default=False),
        nodes=dict(type="bool", default=False),
        namespace_info=dict(type="bool", default=False),
    )
    module = module_class(argument_spec=spec, supports_check_mode=True)
    if not HAS_YAML:
        module.fail_json(msg="the PyYAML Python package is required")
    p = module.params
    result = dict(changed=False, exists=False)

    if p["check_helm"]:
        result["helm"] = helm_check(module, p["binary_path"])

    client = None
    try:
        client = api_client(module)
        # The API server's version, for the summary (clusters of one play may differ).
        result["server_version"] = (get_json(client, "/version") or {}).get("gitVersion", "")
        releases = list_releases(client, p["release_namespace"], p["release_name"])
        rel = releases[-1] if releases else None
        if rel:
            summary = summarize_release(rel)
            summary["pending"] = str(summary["status"]).startswith("pending")
            # "helm uninstall --keep-history" leaves records behind with status uninstalled.
            result.update(exists=summary["status"] != "uninstalled", release=summary)
            result["last_deployed_revision"] = newest_ran_fine(
                [dict(revision=r["version"], status=(r.get("info") or {}).get("status")) for r in releases])
            if p["history"]:
                hist = []
                for r in releases:
                    s = summarize_release(r)
                    # The history keeps of each revision's values only its canary track: a
                    # canary step is never a rollback target (revisions.py).
                    canary = (s.pop("values", None) or {}).get("canary")
                    s["values"] = {"canary": canary} if canary else {}
                    hist.append(s)
                result["history"] = hist
            if p["resources"]:
                result["live"] = live_objects(client, p["release_namespace"], rel)
        if p["nodes"]:
            result["nodes"] = nodes_view(client)
        if p["namespace_info"]:
            result["namespace"] = namespace_view(client, p["release_namespace"])
        if p["chart_ref"]:
            if not os.path.isfile(os.path.join(p["chart_ref"], "Chart.yaml")):
                module.fail_json(msg="%s is not a chart directory (no Chart.yaml)" % p["chart_ref"],
                                 chart_error=True)
            result["chart"] = local_chart(p["chart_ref"], rel)
    except KubeError as exc:
        module.fail_json(msg=str(exc), api_error=True)
    except Exception as exc:
        module.fail_json(
            msg=describe_error(exc, client, "reading release %s in namespace %s"
                               % (p["release_name"], p["release_namespace"])),
            api_error=True,
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
