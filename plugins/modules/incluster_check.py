#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: incluster_check
short_description: HTTP checks from a short-lived client pod inside the cluster
version_added: 1.0.0
description:
  - Starts one client pod (busybox C(sh) and C(wget) are enough) in the namespace, which requests
    every endpoint until it answers with the expected status and body, at most I(retries) times
    each; reads the pod's log and deletes the pod.
  - The pod passes Pod Security C(restricted) (non-root, no privilege escalation, all
    capabilities dropped, RuntimeDefault seccomp, read-only root filesystem, no service account
    token) and has a deadline, so a namespace enforcing C(restricted) accepts it and it never
    lingers.
  - Fails naming every endpoint that never passed, with the status and body it last answered or
    wget's error, or why the client pod could not run.
  - Endpoint names must not contain spaces or C(|), nor URLs C(|).
  - In check mode nothing is created; the result says the check was not run.
extends_documentation_fragment:
  - kubeha.webapp.options.client_pod
  - kubeha.webapp.options.endpoint_checks
  - kubeha.webapp.options.k8s_auth
options:
  namespace:
    description: Namespace to run the client pod in (the app's, so Services resolve by short name).
    type: str
    required: true
  delay:
    description: Seconds between attempts.
    type: int
    default: 1
  timeout:
    description: Seconds one request may take.
    type: int
    default: 5
  start_timeout:
    description: Seconds the client pod may take to start.
    type: int
    default: 60
  probe_pod:
    description:
      - Name of a traffic probe pod left running by M(kubeha.webapp.rollout_status) (its
        I(probe_keep) option) for the single endpoint's URL. The check then reads that pod's
        requests instead of starting a new pod - requests made from now on must pass - reports in
        I(continuity) how many requests failed during the rollout, and deletes the pod. When the
        pod is gone or requests another URL, a new client pod is used as usual.
    type: str
    default: ""
  labels:
    description: Extra labels of the client pod.
    type: dict
    default: {}
author:
  - kubeha maintainers (@kubeha)
"""

EXAMPLES = r"""
- name: The Service answers inside the cluster
  kubeha.webapp.incluster_check:
    namespace: webapp
    image: kubeha/client:v1
    image_pull_policy: Never
    endpoints:
      - name: clusterip
        url: http://webapp.webapp.svc:80/
    expected_body: version=v1
"""

RETURN = r"""
results:
  description: One entry per endpoint - name, url, ok, status, body, attempts, error.
  returned: always
  type: list
  elements: dict
pod:
  description: Name of the client pod (deleted when the module returns).
  returned: when not in check mode
  type: str
not_run:
  description: True in check mode (no pod is created).
  returned: always
  type: bool
continuity:
  description: With I(probe_pod) - requests the probe made, how many failed, samples of the failures.
  returned: when probe_pod was used
  type: dict
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubeha.webapp.plugins.module_utils.endpoint_checks import (
    exit_with_results,
    expectation,
)
from ansible_collections.kubeha.webapp.plugins.module_utils.kube_client import api_client, get_json, pod_log
from ansible_collections.kubeha.webapp.plugins.module_utils.kube_errors import KubeError, describe_error
from ansible_collections.kubeha.webapp.plugins.module_utils.options import (
    CLIENT_POD_OPTIONS,
    ENDPOINT_CHECK_OPTIONS,
    K8S_AUTH_OPTIONS,
    argument_spec,
)
from ansible_collections.kubeha.webapp.plugins.module_utils.pod_status import container_running, pod_done, pod_running
from ansible_collections.kubeha.webapp.plugins.module_utils.pods import create_pod, delete_pod, restricted_client_pod, wait_pod
from ansible_collections.kubeha.webapp.plugins.module_utils.probe_scripts import (
    HTTP_PROBE_SCRIPT,
    parse_probe_output,
    parse_traffic,
    traffic_summary,
)


def probe_pod_usable(client, namespace, name, url, start_timeout):
    """The traffic probe pod exists, requests this URL and runs. One still starting is waited for:
    a client pod of this check's own would start no sooner."""
    pod = get_json(client, "/api/v1/namespaces/%s/pods/%s" % (namespace, name))
    if not pod or pod["metadata"].get("deletionTimestamp"):
        return False
    env = {e.get("name"): e.get("value") for c in pod["spec"]["containers"] for e in c.get("env") or []}
    if env.get("URL") != url:
        return False
    pod, problem = wait_pod(client, namespace, name, pod_running, start_timeout, poll=0.2)
    return problem is None and container_running(pod)


def check_with_probe(client, p, name, endpoint):
    """The probe's latest request, or one it makes from now on, must pass (bounded like the
    normal check). The latest one was made after the rollout watch ended (the probe requests
    twice a second): it already shows what the Service answers now."""
    ns = p["namespace"]
    start = parse_traffic(pod_log(client, ns, name))
    seen = start[-2][0] if len(start) >= 2 else 0
    deadline = time.time() + p["retries"] * (p["delay"] + 1) + p["timeout"]
    lines = start
    tries = []
    while True:
        lines = parse_traffic(pod_log(client, ns, name))
        tries = [ln for ln in lines if ln[0] > seen]
        good = [ln for ln in tries if ln[1] and (not p["expected_body"] or p["expected_body"] in ln[2])]
        if good or time.time() > deadline:
            break
        time.sleep(0.2)  # the probe requests twice a second
    last = (good or tries or [(0, False, "no request made")])[-1]
    ok = bool(good)
    result = dict(name=endpoint["name"], url=endpoint["url"], host="", ok=ok, attempts=len(tries),
                  status=200 if last[1] else 0, body=last[2] if last[1] else "",
                  error="" if last[1] else last[2], via="traffic probe %s" % name)
    return result, traffic_summary(lines)


def describe(r, p):
    if r.get("status", 0) == 0:
        got = "no HTTP answer (%s)" % (r.get("error") or "wget exit %s" % r.get("rc"))
    else:
        got = "status %s, body %r" % (r["status"], r.get("body", "")[:120])
    return "%s %s (from a pod in namespace %s): expected %s, got %s after %d attempts" % (
        r["name"], r["url"], p["namespace"], expectation(p), got, r.get("attempts", 0))


def main(module_class=AnsibleModule):
    spec = argument_spec(
        K8S_AUTH_OPTIONS,
        ENDPOINT_CHECK_OPTIONS,
        CLIENT_POD_OPTIONS,
        namespace=dict(type="str", required=True),
        delay=dict(type="int", default=1),
        timeout=dict(type="int", default=5),
        start_timeout=dict(type="int", default=60),
        labels=dict(type="dict", default={}),
        probe_pod=dict(type="str", default=""),
    )
    module = module_class(argument_spec=spec, supports_check_mode=True)
    p = module.params
    for ep in p["endpoints"]:
        if " " in ep["name"] or "|" in ep["name"] or "|" in ep["url"]:
            module.fail_json(msg="endpoint name %r / url %r must not contain spaces or '|'" % (
                ep["name"], ep["url"]))
    if module.check_mode:
        module.exit_json(changed=False, not_run=True, results=[],
                         msg="in-cluster check not run in check mode (it starts a pod)")

    client = None
    pod_name = None
    if p["probe_pod"] and len(p["endpoints"]) == 1:
        try:
            client = api_client(module)
            if probe_pod_usable(client, p["namespace"], p["probe_pod"], p["endpoints"][0]["url"],
                                p["start_timeout"]):
                result, continuity = check_with_probe(client, p, p["probe_pod"], p["endpoints"][0])
                delete_pod(client, p["namespace"], p["probe_pod"])
                exit_with_results(module, [result], describe, not_run=False, pod=p["probe_pod"],
                                  continuity=continuity)
            delete_pod(client, p["namespace"], p["probe_pod"])
        except KubeError as exc:
            module.fail_json(msg=str(exc))
        except Exception as exc:
            module.fail_json(msg=describe_error(exc, client, "reading the traffic probe %s" % p["probe_pod"]))
    try:
        client = client or api_client(module)
        labels = {
            "app.kubernetes.io/name": "kubeha-verify",
            "app.kubernetes.io/managed-by": "kubeha.webapp",
        }
        labels.update(p["labels"] or {})
        per_target = p["retries"] * (p["timeout"] + p["delay"]) + 2
        run_budget = per_target * len(p["endpoints"])
        env = dict(
            TARGETS="\n".join("%s|%s|%s" % (e["name"], e["url"], e.get("host") or "")
                              for e in p["endpoints"]),
            ATTEMPTS=p["retries"],
            DELAY=p["delay"],
            REQ_TIMEOUT=p["timeout"],
            EXPECT_STATUS=p["expected_status"],
            EXPECT_BODY=p["expected_body"],
        )
        spec = restricted_client_pod(
            "kubeha-verify-", p["image"], p["image_pull_policy"], HTTP_PROBE_SCRIPT, labels,
            deadline_seconds=p["start_timeout"] + run_budget + 30, env=env,
        )
        pod = create_pod(client, p["namespace"], spec)
        pod_name = pod["metadata"]["name"]
        pod, problem = wait_pod(client, p["namespace"], pod_name, pod_done,
                                timeout=p["start_timeout"] + run_budget)
        if problem:
            raise KubeError("the client pod %s (image %s) could not run the check: %s" % (
                pod_name, p["image"], problem))
        log = pod_log(client, p["namespace"], pod_name)
    except KubeError as exc:
        module.fail_json(msg=str(exc), pod=pod_name)
    except Exception as exc:
        module.fail_json(msg=describe_error(exc, client, "running a client pod in namespace %s"
                                            % p["namespace"]), pod=pod_name)
    finally:
        if client is not None and pod_name:
            try:
                delete_pod(client, p["namespace"], pod_name)
            except Exception:
                pass

    attempts = parse_probe_output(log)
    results = []
    for ep in p["endpoints"]:
        tries = attempts.get(ep["name"], [])
        last = tries[-1] if tries else dict(status=0, rc=-1, body="", error="no attempt recorded")
        ok = bool(tries) and last.get("ok", False)
        results.append(dict(name=ep["name"], url=ep["url"], host=ep.get("host") or "", ok=ok,
                            attempts=len(tries), status=last["status"], body=last["body"],
                            error=last.get("error", ""), rc=last.get("rc")))
    exit_with_results(module, results, describe, not_run=False, pod=pod_name)


if __name__ == "__main__":
    main()
