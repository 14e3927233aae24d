#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: rollout_status
short_description: Wait for a Deployment rollout, and stop at the first sign it cannot succeed
version_added: 1.0.0
description:
  - Waits until a Deployment's rollout is complete, with the completion rule of
    C(kubectl rollout status) (every replica updated and available, no old replica left).
  - Unlike a plain timeout (C(helm --wait), C(--atomic)), it watches the rollout's failure signals
    and returns as soon as one shows, naming the pod and what it reported -
    C(ProgressDeadlineExceeded), C(ReplicaFailure) (e.g. Pod Security rejected the pods),
    C(CrashLoopBackOff), C(ImagePullBackOff), C(ErrImagePull) when the registry answered (no such
    tag or repository, credentials missing or refused; an unreachable registry gets the kubelet's
    retry first), C(ErrImageNeverPull), C(InvalidImageName),
    C(CreateContainerConfigError), C(CreateContainerError) and C(RunContainerError) that last
    30 seconds (the kubelet retries those), repeated restarts, pods that stay unschedulable, and
    new pods that run but never become ready (their readiness probe's own failure budget, plus
    I(unready_grace) seconds).
  - Read-only; supports check mode.
extends_documentation_fragment:
  - kubeha.webapp.options.k8s_auth
options:
  name:
    description: Deployment name.
    type: str
    required: true
  namespace:
    description: Deployment namespace.
    type: str
    required: true
  timeout:
    description: Seconds to wait for the rollout to complete.
    type: int
    default: 300
  poll_interval:
    description:
      - Seconds between two looks at the rollout (one GET of the Deployment once it is complete,
        three while it progresses).
    type: float
    default: 0.5
  unready_grace:
    description:
      - Seconds a new pod may stay unready beyond its readiness probe's failure budget
        (C(initialDelaySeconds + periodSeconds * failureThreshold)) before the rollout is
        declared failed.
    type: int
    default: 5
  unschedulable_grace:
    description: Seconds a new pod may stay unschedulable before the rollout is declared failed.
    type: int
    default: 60
  max_restarts:
    description: Restarts of a new pod's container that declare the rollout failed.
    type: int
    default: 2
  api_outage_grace:
    description:
      - Seconds the Kubernetes API may stay unreachable (no connection, or 429/5xx answers, as
        while the API server restarts) before the watch gives up. The rollout goes on without
        the API server, so the watch waits it out; the readiness budgets of new pods start again
        afterwards, since their state could not be seen meanwhile.
    type: int
    default: 60
  fail_on_error:
    description:
      - Fail the task when the rollout fails or times out. When false, the task succeeds and
        the caller reads I(status), I(reason) and I(message) (e.g. to roll back).
    type: bool
    default: true
  until:
    description:
      - C(complete) - every replica updated and available (C(minReadySeconds) passed), no old
        replica left, as C(kubectl rollout status) waits for.
      - C(ready) - every replica of the new revision ready (I(status) C(ready)), while the last
        ones may still wait out C(minReadySeconds) and old pods still stop (the new version
        answers). For a caller that checks availability afterwards (the verify role's replicas
        check, which waits for C(complete)) and checks the access paths meanwhile.
    type: str
    choices: [complete, ready]
    default: complete
  probe_timeout:
    description:
      - Seconds a request of the traffic probe may wait for its answer before it counts as
        failed. An answer that comes late was not dropped; on a busy small cluster, 2 s is
        not enough for that distinction.
    type: int
    default: 5
  probe_url:
    description:
      - In-cluster URL of the Service. When set, a short-lived client pod (Pod Security
        C(restricted)) requests it twice a second while the rollout runs, and the result says how
        many requests failed (I(probe)) - whether the app kept answering during the rollout.
      - Not used in check mode.
    type: str
    default: ""
  probe_service:
    description:
      - Name of a Service in I(namespace) for the traffic probe when I(probe_url) is empty. The
        probe requests C(http://NAME.NAMESPACE.svc:PORT) (its first port) plus I(probe_path), read
        when the watch starts, so the Service a new release has just created (or the port a
        change has just set) is the one requested. No probe when the Service does not exist.
    type: str
    default: ""
  probe_path:
    description: Path requested by the traffic probe with I(probe_service).
    type: str
    default: /
  probe_image:
    description: Image of the probe pod (busybox C(sh) and C(wget)).
    type: str
    default: busybox:1.37
  probe_image_pull_policy:
    description: Pull policy of the probe image.
    type: str
    default: IfNotPresent
    choices: [Always, IfNotPresent, Never]
  probe_keep:
    description:
      - Leave the probe pod running when the module returns, for M(kubeha.webapp.incluster_check)
        (its I(probe_pod) option) to check the Service and delete the pod. Its deadline deletes it
        anyway.
    type: bool
    default: false
author:
  - kubeha maintainers (@kubeha)
"""

EXAMPLES = r"""
- name: Wait for the rollout, fail fast
  kubeha.webapp.rollout_status:
    name: webapp
    namespace: webapp
    timeout: 300
    fail_on_error: false
  register: upgrade_rollout
"""

RETURN = r"""
status:
  description: C(complete), C(ready) (with I(until=ready)), C(failed), C(timeout) or C(absent).
  returned: always
  type: str
reason:
  description: Short reason (C(Complete), C(CrashLoopBackOff), C(ReadinessFailing), ...).
  returned: always
  type: str
message:
  description: What happened, naming the pod and what it reported.
  returned: always
  type: str
revision:
  description: The Deployment's revision (C(deployment.kubernetes.io/revision)).
  returned: always
  type: str
replicas:
  description: desired, updated, ready, available and total replica counts.
  returned: always
  type: dict
images:
  description: Images of the Deployment's pod template.
  returned: always
  type: list
elapsed:
  description: Seconds waited.
  returned: always
  type: float
explanation:
  description:
    - When the rollout failed or timed out - why its failing new pods fail (at most 3), a line per
      fact - the pod, its phase and its failing container's state (waiting or terminated reason,
      exit code, restarts), the pod's last 5 events, and the last 20 lines of that container's log
      (of the instance before, for a container that restarted), lines clipped at 200 characters,
      credential-looking values masked. A log or events the identity may not read are said so.
    - The message of a failed task is RV(message), RV(explanation_short) in brackets, then these
      lines.
  returned: when status is failed or timeout
  type: list
  elements: str
explanation_short:
  description:
    - What the first line of a failed task's message adds to RV(message), for a summary line - the
      last line the failing pod logged; when RV(message) names no pod, that pod's state too.
  returned: when status is failed or timeout
  type: str
probe:
  description:
    - With I(probe_url) or I(probe_service) - pod (its name), requests made during the rollout,
      failed (how many did not answer 2xx) and samples of the failures; error when the probe pod
      could not be created.
  returned: when a probe was started
  type: dict
"""

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kubeha.webapp.plugins.module_utils import failure_report
from ansible_collections.kubeha.webapp.plugins.module_utils.kube_client import api_client, get_json, pod_log
from ansible_collections.kubeha.webapp.plugins.module_utils.kube_errors import KubeError, describe_error, is_transient
from ansible_collections.kubeha.webapp.plugins.module_utils.options import K8S_AUTH_OPTIONS, argument_spec
from ansible_collections.kubeha.webapp.plugins.module_utils.pods import delete_pod
from ansible_collections.kubeha.webapp.plugins.module_utils.probe_scripts import (
    parse_traffic,
    start_traffic_probe,
    traffic_summary,
)
from ansible_collections.kubeha.webapp.plugins.module_utils.rollout_classifier import (
    Timers,
    classify,
    deployment_state,
    needs_pods,
    new_pod_template_hash,
)


def service_url(client, namespace, name, path):
    """In-cluster URL of a Service's first port ('' when the Service does not exist)."""
    svc = get_json(client, "/api/v1/namespaces/%s/services/%s" % (namespace, name))
    ports = ((svc or {}).get("spec") or {}).get("ports") or []
    if not ports:
        return ""
    return "http://%s.%s.svc:%s%s" % (name, namespace, ports[0]["port"], path)


def failure_message(result):
    """The message of a failed watch: its first line the verdict and the short explanation (what
    a summary line shows), then the full explanation after its header, a line per fact (the roles
    cut the message at the header for the summary)."""
    first = result["message"]
    if result.get("explanation_short"):
        first += " [%s]" % result["explanation_short"]
    lines = list(result.get("explanation") or [])
    return "\n".join([first, failure_report.HEADER] + lines if lines else [first])


class Watcher(object):
    """Reads the rollout from the API, look after look; rollout_classifier.classify() says what
    each look shows."""

    def __init__(self, module, client):
        self.m = module
        self.c = client
        self.p = module.params
        self.ns = self.p["namespace"]
        self.name = self.p["name"]
        self.timers = Timers()
        # What the last look saw: the Deployment, its new pods (None when not read), the pod a
        # failure names; a failure is explained from them.
        self.seen = (None, None, None)

    def get(self, path, query=None):
        return get_json(self.c, path, query)

    def warning_events(self, pod_name):
        """A pod's warning events ([] when events cannot be read: they only add detail)."""
        try:
            ev = self.get(
                "/api/v1/namespaces/%s/events" % self.ns,
                {"fieldSelector": "involvedObject.name=%s,type=Warning" % pod_name},
            ) or {}
        except Exception:
            return []
        return ev.get("items", [])

    def replica_sets_and_pods(self, dep):
        """The Deployment's ReplicaSets, and the pods of its current revision's one."""
        selector = (dep["spec"].get("selector") or {}).get("matchLabels") or {}
        sel = ",".join("%s=%s" % kv for kv in sorted(selector.items()))
        rsl = self.get("/apis/apps/v1/namespaces/%s/replicasets" % self.ns, {"labelSelector": sel}) or {}
        replica_sets = rsl.get("items", [])
        new_hash = new_pod_template_hash(dep, replica_sets)
        if not new_hash:
            return replica_sets, []
        pods = self.get(
            "/api/v1/namespaces/%s/pods" % self.ns,
            {"labelSelector": sel + ",pod-template-hash=%s" % new_hash},
        ) or {}
        return replica_sets, pods.get("items", [])

    def look(self):
        """One look at the rollout: (status, reason, message, state)."""
        dep = self.get("/apis/apps/v1/namespaces/%s/deployments/%s" % (self.ns, self.name))
        if dep is None:
            return "absent", "NotFound", "deployment %s/%s does not exist" % (self.ns, self.name), {}
        replica_sets, pods = self.replica_sets_and_pods(dep) if needs_pods(dep) else (None, None)
        now = time.time()
        limits = dict(until=self.p["until"], unready_grace=self.p["unready_grace"],
                      unschedulable_grace=self.p["unschedulable_grace"], max_restarts=self.p["max_restarts"])
        verdict, timers = classify(dep, replica_sets, pods, now, self.timers, **limits)
        if verdict.reason == "ReadinessFailing":
            # The pod's latest warning (its readiness probe's answer) says why: read only now.
            verdict, timers = classify(dep, replica_sets, pods, now, self.timers,
                                       events=self.warning_events(verdict.pod), **limits)
        self.timers = timers
        self.seen = (dep, pods, verdict.pod)
        return verdict.status, verdict.reason, verdict.message, deployment_state(dep)

    def explanation(self):
        """The failing new pods explained (failure_report): their state, last events and logs,
        read now. Never fails the watch: what cannot be read is said instead."""
        dep, pods, first = self.seen
        if dep is None:
            return dict(lines=[], short="", logged="")
        try:
            if pods is None:  # a failure the Deployment's status showed: its pods were not read
                pods = self.replica_sets_and_pods(dep)[1]
            pods = failure_report.pods_to_explain(pods, first)
            events = []
            for pod in pods:
                try:
                    events += (self.get("/api/v1/namespaces/%s/events" % self.ns, {
                        "fieldSelector": "involvedObject.name=%s" % pod["metadata"]["name"]}) or {}).get("items", [])
                except Exception as exc:
                    events = failure_report.unreadable(exc, "events")
                    break
            logs = {}
            for pod in pods:
                name = pod["metadata"]["name"]
                for container, previous in failure_report.log_requests(pod):
                    query = dict(container=container, tailLines=str(failure_report.LOG_LINES),
                                 limitBytes=str(failure_report.LOG_BYTES))
                    if previous:
                        query["previous"] = "true"
                    try:
                        logs[(name, container, previous)] = pod_log(self.c, self.ns, name, query=query)
                    except Exception as exc:
                        logs[(name, container, previous)] = failure_report.unreadable(exc, "pods/log")
            return failure_report.explain(pods, events, logs)
        except Exception as exc:
            text = "the failing pods could not be read to explain the failure: %s" % describe_error(exc, self.c)
            return dict(lines=[text], short="", logged="")

    def run(self):
        start = time.time()
        deadline = start + self.p["timeout"]
        outage_since = None
        while True:
            try:
                status, reason, message, st = self.look()
            except Exception as exc:
                if not is_transient(exc):
                    raise
                now = time.time()
                outage_since = outage_since or now
                if now - outage_since > self.p["api_outage_grace"] or now >= deadline:
                    raise
                time.sleep(self.p["poll_interval"])
                continue
            if outage_since is not None:
                outage_since = None
                self.timers = self.timers.after_outage()
            if status in ("complete", "ready", "failed", "absent"):
                break
            if time.time() >= deadline:
                status, reason = "timeout", "Timeout"
                message = "rollout of %s not complete after %ds: %s" % (
                    self.name, self.p["timeout"], message)
                break
            time.sleep(self.p["poll_interval"])
        out = dict(status=status, reason=reason, message=message, elapsed=round(time.time() - start, 2),
                   deployment=self.name)
        if status in ("failed", "timeout"):
            why = self.explanation()
            out.update(explanation=why["lines"],
                       explanation_short=failure_report.short_for(why, self.seen[2]))
        out.update(st or dict(revision="", images=[], replicas={}))
        return out


def main(module_class=AnsibleModule):
    spec = argument_spec(
        K8S_AUTH_OPTIONS,
        name=dict(type="str", required=True),
        namespace=dict(type="str", required=True),
        timeout=dict(type="int", default=300),
        poll_interval=dict(type="float", default=0.5),
        probe_timeout=dict(type="int", default=5),
        unready_grace=dict(type="int", default=5),
        unschedulable_grace=dict(type="int", default=60),
        max_restarts=dict(type="int", default=2),
        api_outage_grace=dict(type="int", default=60),
        fail_on_error=dict(type="bool", default=True),
        until=dict(type="str", default="complete", choices=["complete", "ready"]),
        probe_url=dict(type="str", default=""),
        probe_service=dict(type="str", default=""),
        probe_path=dict(type="str", default="/"),
        probe_image=dict(type="str", default="busybox:1.37"),
        probe_image_pull_policy=dict(type="str", default="IfNotPresent",
                                     choices=["Always", "IfNotPresent", "Never"]),
        probe_keep=dict(type="bool", default=False),
    )
    module = module_class(argument_spec=spec, supports_check_mode=True)
    p = module.params
    client = None
    probe = None
    try:
        client = api_client(module)
        if (p["probe_url"] or p["probe_service"]) and not module.check_mode:
            try:
                probe_url = p["probe_url"] or service_url(
                    client, p["namespace"], p["probe_service"], p["probe_path"])
                if probe_url:
                    probe = dict(pod=start_traffic_probe(
                        client, p["namespace"], probe_url, p["probe_image"],
                        p["probe_image_pull_policy"], deadline_seconds=p["timeout"] + 600,
                        timeout=p["probe_timeout"]))
            except Exception as exc:  # the rollout watch matters more than the probe
                probe = dict(pod="", error=describe_error(exc, client, "starting the traffic probe"))
        result = Watcher(module, client).run()
        if probe and probe.get("pod"):
            try:
                probe.update(traffic_summary(parse_traffic(pod_log(client, p["namespace"], probe["pod"]))))
            except Exception as exc:
                probe["error"] = describe_error(exc, client, "reading the traffic probe")
            if not p["probe_keep"]:
                delete_pod(client, p["namespace"], probe["pod"])
                probe["pod"] = ""
        if probe is not None:
            result["probe"] = probe
    except Exception as exc:
        if probe and probe.get("pod"):
            try:
                delete_pod(client, p["namespace"], probe["pod"])
            except Exception:
                pass
        msg = str(exc) if isinstance(exc, KubeError) else describe_error(
            exc, client, "watching deployment %s" % p["name"])
        module.fail_json(msg=msg, status="error", api_error=True)
    if result["status"] not in ("complete", "ready") and module.params["fail_on_error"]:
        module.fail_json(msg=failure_message(result), **result)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
