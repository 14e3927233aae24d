# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""What a pod's status says (ready, running, done, cannot run): pure readings of a pod object,
with no request and nothing imported but the standard library, so that filter plugins can use
them (a filter loads where kubernetes.core may be absent: ansible-doc, galaxy-importer)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


# Container states that mean a pod cannot run without a change.
FATAL_WAITING_REASONS = [
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImageNeverPull",
    "InvalidImageName",
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
]


# What a registry answers when the reference cannot be pulled as it is - no such tag or digest,
# no such repository, credentials missing or refused - as containerd and the kubelet put it in an
# ErrImagePull message. Asking again gets the same answer; a registry that cannot be reached
# (refused connection, timeout, DNS) may answer the next try, which the kubelet makes after its
# back-off (ImagePullBackOff).
FINAL_PULL_ANSWERS = (
    ": not found", "manifest unknown", "name unknown", "401 unauthorized", "403 forbidden",
    "unauthorized", "pull access denied", "insufficient_scope", "authorization failed",
    "denied:", "invalid reference format",
)


def pull_answer_is_final(message):
    """An ErrImagePull message says the registry answered and will answer the same again."""
    text = (message or "").lower()
    return any(answer in text for answer in FINAL_PULL_ANSWERS)


def pod_ready(pod):
    """The pod's Ready condition is True: what a Service's endpoints follow. Not "every container
    ready": the Ready condition also turns False when the node stops reporting (the node
    controller does not touch the container statuses then) and waits for readiness gates."""
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or [])


def pod_done(pod):
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def container_running(pod):
    """At least one of the pod's containers runs now."""
    return any((cs.get("state") or {}).get("running")
               for cs in (pod.get("status") or {}).get("containerStatuses") or [])


def pod_running(pod):
    """The pod's script has started: a container runs, or the pod has already finished."""
    return pod_done(pod) or container_running(pod)


def unschedulable(pod):
    """The pod's PodScheduled condition when the scheduler found no node for it, else None."""
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("status") == "False" and \
                cond.get("reason") == "Unschedulable":
            return cond
    return None


def pod_problem(pod):
    """Why a client pod cannot run (image missing, rejected...), or None."""
    for cs in (pod.get("status") or {}).get("containerStatuses") or []:
        waiting = (cs.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") in FATAL_WAITING_REASONS + ["ErrImagePull"]:
            return "%s: %s" % (waiting.get("reason"), waiting.get("message", ""))
    cond = unschedulable(pod)
    if cond:
        return "unschedulable: %s" % cond.get("message", "")
    return None
