#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: self_heal_check
short_description: Delete one pod of a Deployment and check the Service keeps answering and the pod comes back
version_added: 1.0.0
description:
  - Starts a client pod that requests the Service several times a second, deletes one ready pod
    of the Deployment (a normal, graceful deletion), waits until the Deployment has all its
    replicas ready again with a new pod, and reports how many requests failed meanwhile and how
    long the recovery took.
  - Fails when the Service stopped answering (more than I(max_failed_requests) failed requests)
    or the replica did not come back within I(timeout) seconds.
  - Needs at least two ready replicas (with one, deleting it is an outage by design).
  - It deletes a pod, so it does nothing in check mode.
extends_documentation_fragment:
  - kubeha.webapp.options.client_pod
  - kubeha.webapp.options.k8s_auth
options:
  namespace:
    description: Namespace of the Deployment.
    type: str
    required: true
  deployment:
    description: Deployment name.
    type: str
    required: true
  url:
    description: In-cluster URL of the Service.
    type: str
    required: true
  expected_body:
    description: Text a good answer contains. Empty accepts any 2xx body.
    type: str
    default: ""
  timeout:
    description: Seconds the Deployment may take to have all replicas ready again.
    type: int
    default: 120
  max_failed_requests:
    description: Failed requests tolerated while the pod is replaced.
    type: int
    default: 0
  fail_on_error:
    description: Fail the task when the check fails.
    type: bool
    default: true
author:
  - kubeha maintainers (@kubeha)
"""

EXAMPLES = r"""
- name: One pod deleted, the Service keeps answering, the replica comes back
  kubeha.webapp.self_heal_check:
    namespace: webapp
    deployment: webapp
    url: http://webapp.webapp.svc:80/
    image: kubeha/client:v1
    image_pull_policy: Never
"""

RETURN = r"""
ok:
  description: Whether the check passed.
  returned: always
  type: bool
deleted_pod:
  description: The pod that was deleted.
  returned: when a pod was deleted
  type: str
replacement_pods:
  description: Ready pods that were not there before the deletion.
  returned: when a pod was deleted
  type: list
  elements: str
recovery_seconds:
  description: Seconds from the deletion until every replica was ready again.
  returned: when a pod was deleted
  type: float
requests:
  description: Requests made after the deletion, and how many failed (with samples).
  returned: when a pod was deleted
  type: dict
"""

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kubeha.webapp.plugins.module_utils.kube_client import (
    api_client,
    call_json,
    get_json,
    pod_log,
)
from ansible_collections.kubeha.webapp.plugins.module_utils.kube_errors import KubeError, describe_error
from ansible_collections.kubeha.webapp.plugins.module_utils.options import (
    CLIENT_POD_OPTIONS,
    K8S_AUTH_OPTIONS,
    argument_spec,
)
from ansible_collections.kubeha.webapp.plugins.module_utils.pod_status import pod_ready, pod_running
from ansible_collections.kubeha.webapp.plugins.module_utils.pods import create_pod, delete_pod, wait_pod
from ansible_collections.kubeha.webapp.plugins.module_utils.probe_scripts import (
    parse_traffic,
    traffic_probe_pod,
)


def ready_pods(client, ns, selector):
    pods = get_json(client, "/api/v1/namespaces/%s/pods" % ns, {"labelSelector": selector}) or {}
    return sorted(pod["metadata"]["name"] for pod in pods.get("items", [])
                  if not pod["metadata"].get("deletionTimestamp") and pod_ready(pod))


def main(module_class=AnsibleModule):
    spec = argument_spec(
        K8S_AUTH_OPTIONS,
        CLIENT_POD_OPTIONS,
        namespace=dict(type="str", required=True),
        deployment=dict(type="str", required=True),
        url=dict(type="str", required=True),
        expected_body=dict(type="str", default=""),
        timeout=dict(type="int", default=120),
        max_failed_requests=dict(type="int", default=0),
        fail_on_error=dict(type="bool", default=True),
    )
    module = module_class(argument_spec=spec, supports_check_mode=True)
    p = module.params
    ns = p["namespace"]
    if module.check_mode:
        module.exit_json(changed=False, not_run=True, ok=None,
                         msg="self-heal check not run in check mode (it deletes a pod)")

    client = None
    probe = None
    result = dict(changed=False, not_run=False, ok=False)
    try:
        client = api_client(module)
        dep = get_json(client, "/apis/apps/v1/namespaces/%s/deployments/%s" % (ns, p["deployment"]))
        if dep is None:
            raise KubeError("deployment %s/%s does not exist" % (ns, p["deployment"]))
        desired = dep["spec"].get("replicas", 1)
        selector = ",".join("%s=%s" % kv for kv in sorted(
            dep["spec"]["selector"].get("matchLabels", {}).items()))
        before = ready_pods(client, ns, selector)
        if desired < 2:
            raise KubeError("self-heal check needs at least 2 replicas to keep serving while one "
                            "pod is deleted; deployment %s has %d" % (p["deployment"], desired))
        if len(before) < desired:
            raise KubeError("only %d of %d replicas of %s are ready before the check" % (
                len(before), desired, p["deployment"]))

        # Requests every 0.2 s; one without an answer within 5 s fails (late is not dropped).
        spec = traffic_probe_pod(
            p["url"], p["image"], p["image_pull_policy"], deadline_seconds=p["timeout"] + 120,
            interval="0.2", timeout=5, expected_body=p["expected_body"], name_prefix="kubeha-selfheal-",
            labels={"app.kubernetes.io/name": "kubeha-verify", "app.kubernetes.io/managed-by": "kubeha.webapp"},
        )
        probe = create_pod(client, ns, spec)["metadata"]["name"]
        _pod, problem = wait_pod(client, ns, probe, pod_running, timeout=60)
        if problem:
            raise KubeError("the client pod %s could not start: %s" % (probe, problem))
        # Baseline: the Service answers before anything is deleted.
        deadline = time.time() + 20
        while True:
            lines = parse_traffic(pod_log(client, ns, probe))
            if sum(1 for ln in lines if ln[1]) >= 3:
                break
            if time.time() > deadline:
                last = lines[-1][2] if lines else "no request made"
                raise KubeError("the Service %s does not answer before any pod is deleted (%s)" % (
                    p["url"], last))
            time.sleep(0.3)
        baseline = len(lines)

        victim = before[0]
        call_json(client, "DELETE", "/api/v1/namespaces/%s/pods/%s" % (ns, victim))
        t0 = time.time()
        recovered = None
        now_ready = before
        while time.time() - t0 < p["timeout"]:
            now_ready = ready_pods(client, ns, selector)
            if len(now_ready) >= desired and victim not in now_ready:
                recovered = round(time.time() - t0, 1)
                break
            time.sleep(0.5)
        time.sleep(1.0)  # a few more requests after the recovery
        lines = [ln for ln in parse_traffic(pod_log(client, ns, probe)) if ln[0] > baseline]
        failures = [ln for ln in lines if not ln[1]]
        result.update(
            deleted_pod=victim,
            replacement_pods=sorted(set(now_ready) - set(before)),
            recovery_seconds=recovered,
            requests=dict(total=len(lines), failed=len(failures),
                          samples=[f[2] for f in failures[:5]]),
        )
        problems = []
        if recovered is None:
            problems.append("deployment %s still has %d of %d replicas ready %ds after pod %s was "
                            "deleted" % (p["deployment"], len(now_ready), desired, p["timeout"], victim))
        if len(failures) > p["max_failed_requests"]:
            problems.append("the Service %s failed %d of %d requests while pod %s was replaced "
                            "(e.g. %s)" % (p["url"], len(failures), len(lines), victim,
                                           failures[0][2] or "no answer"))
        result["ok"] = not problems
        # A verification, not a change of the desired state: the Deployment replaced the pod
        # by design, so the task reports changed=false (the deleted pod is in the result).
        result["msg"] = "; ".join(problems) if problems else (
            "pod %s deleted: %d requests, none failed beyond the tolerated %d; all %d replicas ready "
            "again after %.1fs" % (victim, len(lines), p["max_failed_requests"], desired, recovered))
    except KubeError as exc:
        result["msg"] = str(exc)
    except Exception as exc:
        result["msg"] = describe_error(exc, client, "self-heal check in namespace %s" % ns)
    finally:
        if client is not None and probe:
            try:
                delete_pod(client, ns, probe)
            except Exception:
                pass
    if not result["ok"] and p["fail_on_error"]:
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
