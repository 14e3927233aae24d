# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Pods: the short-lived client pods (Pod Security "restricted") the modules start to check HTTP
from inside the cluster (what a pod's status says is pod_status's)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.kubeha.webapp.plugins.module_utils.kube_client import call_json, get_json
from ansible_collections.kubeha.webapp.plugins.module_utils.kube_http import ApiError
from ansible_collections.kubeha.webapp.plugins.module_utils.pod_status import pod_problem


def restricted_client_pod(name_prefix, image, pull_policy, script, labels, deadline_seconds,
                          env=None):
    """A pod spec that passes Pod Security "restricted": non-root, no privilege escalation,
    every capability dropped, RuntimeDefault seccomp, read-only root filesystem with a small
    writable /tmp, no service account token, bounded lifetime."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"generateName": name_prefix, "labels": labels},
        "spec": {
            "restartPolicy": "Never",
            "automountServiceAccountToken": False,
            "enableServiceLinks": False,
            "activeDeadlineSeconds": int(deadline_seconds),
            "terminationGracePeriodSeconds": 0,
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": 65534,
                "runAsGroup": 65534,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "containers": [
                {
                    "name": "client",
                    "image": image,
                    "imagePullPolicy": pull_policy,
                    "command": ["sh", "-c", script],
                    "env": [{"name": k, "value": str(v)} for k, v in sorted((env or {}).items())],
                    "resources": {
                        "requests": {"cpu": "10m", "memory": "16Mi"},
                        "limits": {"memory": "32Mi"},
                    },
                    "securityContext": {
                        "runAsNonRoot": True,
                        "allowPrivilegeEscalation": False,
                        "readOnlyRootFilesystem": True,
                        "capabilities": {"drop": ["ALL"]},
                    },
                    "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
                }
            ],
            "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "8Mi"}}],
        },
    }


def create_pod(client, namespace, spec):
    return call_json(client, "POST", "/api/v1/namespaces/%s/pods" % namespace, body=spec)


def delete_pod(client, namespace, name, grace=0):
    try:
        call_json(
            client,
            "DELETE",
            "/api/v1/namespaces/%s/pods/%s" % (namespace, name),
            body={"kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": grace},
        )
    except ApiError as exc:
        if exc.status != 404:
            raise


def wait_pod(client, namespace, name, until, timeout, poll=1.0):
    """Poll a pod until ``until(pod)`` is true; returns (pod, problem). problem is a string when
    the pod cannot get there (image, scheduling) or the time ran out."""
    deadline = time.time() + timeout
    while True:
        pod = get_json(client, "/api/v1/namespaces/%s/pods/%s" % (namespace, name))
        if pod is None:
            return None, "pod %s disappeared" % name
        if until(pod):
            return pod, None
        problem = pod_problem(pod)
        if problem:
            return pod, problem
        if time.time() > deadline:
            phase = (pod.get("status") or {}).get("phase")
            return pod, "pod %s still %s after %ss" % (name, phase, timeout)
        time.sleep(poll)
