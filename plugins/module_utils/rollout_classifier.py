# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Whether a Deployment's rollout is complete, ready, still progressing or cannot succeed.

One look at what the API shows (the Deployment, its ReplicaSets and pods, a pod's warning events)
at a time ``now``, with the times earlier looks first saw the conditions that are failures only
once they last (``Timers``). No API call and no clock here: rollout_status watches and asks.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections import namedtuple

from ansible_collections.kubeha.webapp.plugins.module_utils.pod_status import (
    FATAL_WAITING_REASONS,
    pod_ready,
    pull_answer_is_final,
    unschedulable,
)

# Of the fatal container states, the runtime's failures to start a container, which the kubelet
# retries and which can pass (a pod sandbox being replaced): fatal only after this many seconds.
START_ERROR_REASONS = ["CreateContainerError", "RunContainerError"]
START_ERROR_GRACE = 30

REVISION_ANNOTATION = "deployment.kubernetes.io/revision"

# status: progressing, ready, complete or failed; reason: a word (CrashLoopBackOff, Complete...);
# message: what happened, naming the pod and what it reported; pod: the pod a failure is about.
Verdict = namedtuple("Verdict", ["status", "reason", "message", "pod"])


class Timers(object):
    """When a look first saw a condition that is a failure only once it lasts, by key: a
    container ("pod/container") running unready, or that the runtime could not start; a pod
    (its name) unschedulable."""

    def __init__(self, unready=None, start_error=None, unschedulable=None):
        self.unready = dict(unready or {})
        self.start_error = dict(start_error or {})
        self.unschedulable = dict(unschedulable or {})

    def copy(self):
        return Timers(self.unready, self.start_error, self.unschedulable)

    def after_outage(self):
        """The timers to go on with once the API answers again after an outage: readiness and
        scheduling could not be seen meanwhile, so their budgets start again."""
        return Timers(start_error=self.start_error)


def short(text, limit=120):
    text = (text or "").strip().replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def deployment_state(deployment):
    """Revision, images and replica counts of a Deployment, as rollout_status returns them."""
    spec, status, meta = deployment.get("spec") or {}, deployment.get("status") or {}, deployment["metadata"]
    return dict(
        revision=(meta.get("annotations") or {}).get(REVISION_ANNOTATION, ""),
        images=[c.get("image") for c in _containers(deployment)],
        replicas=dict(
            desired=spec.get("replicas", 1),
            updated=status.get("updatedReplicas", 0),
            ready=status.get("readyReplicas", 0),
            available=status.get("availableReplicas", 0),
            total=status.get("replicas", 0),
        ),
    )


def needs_pods(deployment):
    """Whether classify() looks at the new pods of this Deployment: the caller reads its
    ReplicaSets and pods only then (a finished rollout costs one GET a look)."""
    return _deployment_verdict(deployment) is None and _under_way(deployment_state(deployment)["replicas"])


def new_pod_template_hash(deployment, replica_sets):
    """The pod-template-hash of the Deployment's ReplicaSet of its current revision, or None."""
    revision = deployment_state(deployment)["revision"]
    new_hash = None
    for rs in replica_sets:
        meta = rs["metadata"]
        if not any(o.get("uid") == deployment["metadata"]["uid"] for o in meta.get("ownerReferences") or []):
            continue
        if (meta.get("annotations") or {}).get(REVISION_ANNOTATION) == revision:
            new_hash = (meta.get("labels") or {}).get("pod-template-hash")
    return new_hash


def new_pods(deployment, replica_sets, pods):
    """The pods of the current revision that are not being deleted."""
    new_hash = new_pod_template_hash(deployment, replica_sets)
    if not new_hash:
        return []
    return [p for p in pods
            if (p["metadata"].get("labels") or {}).get("pod-template-hash") == new_hash
            and not p["metadata"].get("deletionTimestamp")]


def classify(deployment, replica_sets, pods, now, timers, until="complete", unready_grace=5,
             unschedulable_grace=60, max_restarts=2, events=None):
    """One look at a rollout → (Verdict, the Timers for the next look).

    deployment: the Deployment; replica_sets, pods: the API's items for its selector (read when
    needs_pods() says so; None otherwise); now: seconds (time.time()); timers: the Timers the
    previous look returned (None at first); until: "complete" or "ready"; events: the Event items
    of the pod a ReadinessFailing verdict names (its message then ends with the latest warning),
    or None when not read.
    """
    timers = timers.copy() if timers else Timers()
    verdict = _deployment_verdict(deployment)
    if verdict:
        return verdict, timers
    name = deployment["metadata"]["name"]
    r = deployment_state(deployment)["replicas"]
    new = None
    if _under_way(r):
        new = new_pods(deployment, replica_sets or [], pods or [])
        budgets = dict((c["name"], probe_budget(c)) for c in _containers(deployment))
        for pod in new:
            verdict = _pod_failure(pod, budgets, now, timers, unready_grace, unschedulable_grace,
                                   max_restarts, events)
            if verdict:
                return verdict, timers
    if until == "ready" and new is not None and r["updated"] >= r["desired"]:
        if sum(1 for pod in new if pod_ready(pod)) >= r["desired"]:
            return Verdict("ready", "Ready", (
                "deployment %s: every new replica ready (%d/%d available, %d old pods left)" % (
                    name, r["available"], r["desired"], max(r["total"] - r["updated"], 0))), None), timers
    return _progress(name, r), timers


def probe_budget(container):
    """Seconds a container's readiness probe itself lets it stay unready before it gives up."""
    probe = container.get("readinessProbe")
    if not probe:
        return 0
    return (
        probe.get("initialDelaySeconds", 0)
        + probe.get("periodSeconds", 10) * probe.get("failureThreshold", 3)
    )


def latest_warning(events, pod_name):
    """Message of a pod's latest warning event ('' when there is none)."""
    items = sorted(
        (e for e in events or [] if e.get("type") == "Warning"
         and (e.get("involvedObject") or {}).get("name") == pod_name),
        key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or "",
    )
    return items[-1].get("message", "") if items else ""


def _containers(deployment):
    spec = deployment.get("spec") or {}
    return ((spec.get("template") or {}).get("spec") or {}).get("containers") or []


def _under_way(r):
    """Replica counts of a rollout not complete: a replica not updated or not available, or an
    old one left."""
    return r["updated"] < r["desired"] or r["available"] < r["updated"] or r["total"] > r["updated"]


def _deployment_verdict(deployment):
    """What the Deployment's own status says before its pods are looked at, or None."""
    name = deployment["metadata"]["name"]
    status, meta = deployment.get("status") or {}, deployment["metadata"]
    conditions = status.get("conditions") or []
    for cond in conditions:
        if cond.get("type") == "ReplicaFailure" and cond.get("status") == "True":
            return Verdict("failed", "ReplicaFailure", "deployment %s cannot create pods: %s" % (
                name, short(cond.get("message"), 400)), None)
    if status.get("observedGeneration", 0) < meta.get("generation", 0):
        return Verdict("progressing", "Waiting", "waiting for the deployment spec update to be observed", None)
    for cond in conditions:
        if cond.get("type") == "Progressing" and cond.get("reason") == "ProgressDeadlineExceeded":
            return Verdict("failed", "ProgressDeadlineExceeded", "deployment %s exceeded its progress deadline: %s" % (
                name, short(cond.get("message"), 300)), None)
    return None


def _progress(name, r):
    if r["updated"] < r["desired"]:
        msg = "%d of %d new replicas updated" % (r["updated"], r["desired"])
    elif r["total"] > r["updated"]:
        msg = "%d old replicas pending termination" % (r["total"] - r["updated"])
    elif r["available"] < r["updated"]:
        msg = "%d of %d updated replicas available" % (r["available"], r["updated"])
    else:
        return Verdict("complete", "Complete", "deployment %s successfully rolled out (%d/%d ready)" % (
            name, r["ready"], r["desired"]), None)
    return Verdict("progressing", "Progressing", msg, None)


def _pod_failure(pod, budgets, now, timers, unready_grace, unschedulable_grace, max_restarts, events):
    """A failed Verdict when this new pod shows the rollout cannot succeed, else None (the
    timers of the conditions that are failures only once they last are updated)."""
    name = pod["metadata"]["name"]
    for cs in (pod.get("status") or {}).get("containerStatuses") or []:
        state = cs.get("state") or {}
        waiting = state.get("waiting") or {}
        reason = waiting.get("reason")
        key = name + "/" + cs.get("name", "")
        if reason in START_ERROR_REASONS:
            # The runtime could not start the container this time (its sandbox was being
            # replaced, a mount was not ready yet): the kubelet tries again. Only an error that
            # lasts means the rollout cannot succeed.
            first = timers.start_error.setdefault(key, now)
            if now - first < START_ERROR_GRACE:
                continue
        else:
            timers.start_error.pop(key, None)
        last = (cs.get("lastState") or {}).get("terminated") or {}
        if reason in FATAL_WAITING_REASONS or (reason == "ErrImagePull" and pull_answer_is_final(waiting.get("message"))):
            detail = waiting.get("message") or ""
            if last:
                detail = (detail + " (last exit code %s, %s)" % (last.get("exitCode"), last.get("reason"))).strip()
            return Verdict("failed", reason, "pod %s, container %s: %s%s" % (
                name, cs.get("name"), reason, (": " + short(detail, 300)) if detail else ""), name)
        if cs.get("restartCount", 0) >= max_restarts:
            return Verdict("failed", "Restarts", "pod %s, container %s restarted %d times (last exit code %s, %s)" % (
                name, cs.get("name"), cs.get("restartCount"), last.get("exitCode"), last.get("reason")), name)
        running = state.get("running")
        started = cs.get("started", bool(running))
        if running and started and not cs.get("ready"):
            first = timers.unready.setdefault(key, now)
            budget = budgets.get(cs.get("name"), 0) + unready_grace
            if now - first > budget:
                event = latest_warning(events, name)
                return Verdict("failed", "ReadinessFailing", (
                    "pod %s, container %s: running but not ready after %ds (readiness budget %ds)%s" % (
                        name, cs.get("name"), int(now - first), budget,
                        (": " + short(event, 300)) if event else "")), name)
        else:
            timers.unready.pop(key, None)
    cond = unschedulable(pod)
    if cond:
        first = timers.unschedulable.setdefault(name, now)
        if now - first > unschedulable_grace:
            return Verdict("failed", "Unschedulable", "pod %s cannot be scheduled: %s" % (
                name, short(cond.get("message"), 300)), name)
    return None
