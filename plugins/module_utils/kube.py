# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Shared helpers of the kubeha.webapp modules.

- an API client built from the same connection options as kubernetes.core's modules (so one
  ``module_defaults`` entry serves both): kube_http's own small client for a kubeconfig, the
  ``kubernetes`` package's for everything else;
- error messages that say what went wrong in a user's words (unreachable API, refused
  credentials, RBAC denial) instead of a stack trace;
- decoding of Helm's release records (Secrets of type ``helm.sh/release.v1``);
- a short-lived, Pod Security "restricted" client pod, used for in-cluster HTTP checks.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import copy
import gzip
import hashlib
import json
import os
import re
import time

from ansible_collections.kubeha.webapp.plugins.module_utils.options import K8S_AUTH_OPTIONS

from ansible_collections.kubeha.webapp.plugins.module_utils.kube_http import (
    ApiError,
    ConfigError,
    HttpClient,
    light_config,
)

try:
    import yaml

    HAS_YAML = True
except ImportError:  # pragma: no cover
    HAS_YAML = False


# Container states that mean a rollout cannot succeed without a change.
FATAL_WAITING_REASONS = [
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImageNeverPull",
    "InvalidImageName",
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
]

# Of those, the runtime's failures to start a container, which the kubelet retries and which can
# pass (a pod sandbox being replaced): fatal to a rollout only after this many seconds.
START_ERROR_REASONS = ["CreateContainerError", "RunContainerError"]
START_ERROR_GRACE = 30


# Seconds one API request may take. An API server that shares a small machine with busy clients
# (the project's own cluster during its tests) can take more than 10 s to list a release's
# records; a slow answer is not an unreachable cluster.
REQUEST_TIMEOUT = 30


class KubeError(Exception):
    """An error with a message fit for the user."""


def _auth_from_params(params):
    """Connection options → kubernetes.core's get_api_client keyword arguments."""
    auth = {}
    for key in K8S_AUTH_OPTIONS:
        value = params.get(key)
        if value is not None:
            auth[key] = value
    return auth


def api_client(module):
    """A client for the module's connection options, with ``request()`` and ``host``.

    A kubeconfig-only connection gets kube_http's client (no import of the kubernetes package);
    anything else is configured by kubernetes.core's own client factory, so host/api_key,
    certificates, proxies and the K8S_AUTH_* environment variables behave exactly as in
    kubernetes.core's modules.
    """
    auth = _auth_from_params(module.params)
    try:
        config = light_config(auth)
        if config is not None:
            return HttpClient(config)
    except ConfigError as exc:
        raise KubeError(str(exc))
    except Exception as exc:  # unreadable YAML, certificate files, a malformed entry
        raise KubeError("cannot build a Kubernetes client from the kubeconfig: %s" % exc)
    return _kubernetes_package_client(module, auth)


def _kubernetes_package_client(module, auth):
    try:
        import kubernetes  # noqa: F401  (seconds to import: only when kube_http cannot serve)
        from ansible_collections.kubernetes.core.plugins.module_utils.k8s import client as k8s_client
    except ImportError as exc:
        module.fail_json(
            msg="the 'kubernetes' Python package is required on the host running this module "
            "for these connection options (pip install kubernetes): %s" % exc
        )
    kubeconfig = auth.get("kubeconfig")
    if isinstance(kubeconfig, str):
        path = os.path.expanduser(kubeconfig)
        if os.pathsep not in kubeconfig and not os.path.exists(path):
            raise KubeError("kubeconfig file %s does not exist" % kubeconfig)
        auth["kubeconfig"] = path
    try:
        # The configuration step of kubernetes.core's get_api_client, without its API discovery
        # (two extra round trips this collection never needs).
        spec = k8s_client._create_auth_spec(None, **auth)
        configuration = k8s_client._create_configuration(spec)
        client = kubernetes.client.ApiClient(configuration)
        for header, value in k8s_client._create_headers(None, **auth).items():
            k8s_client._set_header(client, header, value)
    except Exception as exc:  # kubernetes.config raises several types
        raise KubeError(_config_error_text(str(exc), auth))
    return PackageClient(client)


class PackageClient:
    """The kubernetes package's ApiClient behind the same request() as kube_http.HttpClient."""

    def __init__(self, client):
        self._client = client
        self.host = client.configuration.host

    def request(self, method, path, query=None, body=None, timeout=REQUEST_TIMEOUT,
                accept="application/json"):
        from kubernetes.client.rest import ApiException
        import urllib3

        headers = {"Accept": accept}
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            resp = self._client.call_api(
                path,
                method,
                query_params=list((query or {}).items()),
                header_params=headers,
                body=body,
                auth_settings=["BearerToken"],
                _preload_content=False,
                _request_timeout=timeout,
            )
        except ApiException as exc:
            raise ApiError(exc.status or 0, exc.reason, exc.body if isinstance(exc.body, str) else "")
        except urllib3.exceptions.HTTPError as exc:
            raise ApiError(0, str(exc))
        return (resp[0] if isinstance(resp, tuple) else resp).data


def _config_error_text(text, auth):
    if "context" in text.lower() and auth.get("context"):
        return "context %r is not usable: %s" % (auth["context"], text)
    return "cannot build a Kubernetes client from the kubeconfig: %s" % text


def api_host(client):
    return getattr(client, "host", "?")


def describe_error(exc, client=None, what=None):
    """A one-line, user-facing description of an API error."""
    where = " (%s)" % what if what else ""
    if isinstance(exc, KubeError):
        return str(exc)
    if isinstance(exc, ApiError):
        host = api_host(client) if client else "?"
        if not exc.status:
            m = re.search(r"(Connection refused|timed out|Name or service not known|No route to host"
                          r"|certificate verify failed[^']*)", exc.reason or "")
            return "cannot reach the Kubernetes API at %s%s: %s" % (host, where, m.group(1) if m else exc.reason)
        message = ""
        try:
            message = json.loads(exc.body).get("message", "")
        except Exception:
            message = (exc.body or "")[:300]
        if exc.status == 401:
            return "the Kubernetes API at %s refused the credentials (401 Unauthorized)%s" % (host, where)
        if exc.status == 403:
            return "forbidden by RBAC%s: %s" % (where, message or exc.reason)
        return "Kubernetes API error %s %s%s: %s" % (exc.status, exc.reason, where, message)
    return "%s%s: %s" % (type(exc).__name__, where, exc)


# API answers that say "not now" rather than "no": the API server restarting or overloaded.
TRANSIENT_API_STATUSES = (0, None, 429, 500, 502, 503, 504)


def is_transient(exc):
    """Whether an API error is an outage worth waiting out (no connection, the server restarting
    or overloaded) rather than an answer (403, 404, 422, ...)."""
    return isinstance(exc, ApiError) and exc.status in TRANSIENT_API_STATUSES


def get_json(client, path, query=None, timeout=REQUEST_TIMEOUT):
    """GET an API path and return the decoded JSON (a dict), or None when it is 404."""
    try:
        data = client.request("GET", path, query=query, timeout=timeout)
    except ApiError as exc:
        if exc.status == 404:
            return None
        raise
    return json.loads(data)


def call_json(client, method, path, body=None, query=None, timeout=REQUEST_TIMEOUT):
    data = client.request(method, path, query=query, body=body, timeout=timeout)
    return json.loads(data) if data else {}


def pod_log(client, namespace, name, timeout=REQUEST_TIMEOUT):
    data = client.request("GET", "/api/v1/namespaces/%s/pods/%s/log" % (namespace, name),
                          timeout=timeout, accept="application/json, */*")
    return data.decode("utf-8", "replace")


# --------------------------------------------------------------------------- Helm releases


def decode_release(secret):
    """Decode one Helm release record (a ``helm.sh/release.v1`` Secret) into a dict."""
    raw = secret.get("data", {}).get("release")
    if not raw:
        return None
    data = base64.b64decode(base64.b64decode(raw))
    if data[:3] == b"\x1f\x8b\x08":
        data = gzip.decompress(data)
    return json.loads(data)


def values_text(values):
    """Release values as a diff shows them: YAML with sorted keys, or JSON without PyYAML."""
    if HAS_YAML:
        return yaml.safe_dump(values, default_flow_style=False, sort_keys=True)
    return json.dumps(values, indent=2, sort_keys=True) + "\n"


def image_of(values, chart_meta=None):
    """Image reference the chart renders for these user values (see webapp.image in the chart)."""
    image = (values or {}).get("image") or {}
    repo = image.get("repository") or ""
    tag = image.get("tag") or ""
    digest = image.get("digest") or ""
    if not tag and chart_meta:
        tag = str(chart_meta.get("appVersion") or "")
    ref = "%s@%s" % (repo, digest) if digest else "%s:%s" % (repo, tag)
    return dict(repository=repo, tag=tag, digest=digest, ref=ref)


def sha256_text(text):
    return hashlib.sha256((text or "").encode("utf-8")).hexdigest()


def summarize_release(rel):
    chart = (rel.get("chart") or {}).get("metadata") or {}
    info = rel.get("info") or {}
    values = rel.get("config") or {}
    merged = copy.deepcopy((rel.get("chart") or {}).get("values") or {})
    _deep_merge(merged, values)
    return dict(
        revision=rel.get("version"),
        status=info.get("status"),
        description=info.get("description", ""),
        updated=str(info.get("last_deployed", ""))[:19].replace("T", " "),
        chart="%s-%s" % (chart.get("name"), chart.get("version")),
        chart_name=chart.get("name"),
        chart_version=chart.get("version"),
        app_version=chart.get("appVersion", ""),
        values=values,
        image=image_of(merged, chart),
        image_ref=image_of(merged, chart)["ref"],
        replicas=merged.get("replicas"),
        change_cause=merged.get("changeCause", ""),
        manifest_sha256=sha256_text(rel.get("manifest")),
        values_sha256=sha256_text(json.dumps(values, sort_keys=True)),
    )


def _deep_merge(base, override):
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _deep_merge(base[key], value)
        else:
            base[key] = value
    return base


def list_releases(client, namespace, release):
    """All stored revisions of a release, oldest first, decoded."""
    data = get_json(
        client,
        "/api/v1/namespaces/%s/secrets" % namespace,
        {"labelSelector": "owner=helm,name=%s" % release},
    )
    items = (data or {}).get("items", [])
    releases = []
    for item in items:
        if item.get("type") != "helm.sh/release.v1":
            continue
        rel = decode_release(item)
        if rel:
            releases.append(rel)
    releases.sort(key=lambda r: r.get("version", 0))
    return releases


# --------------------------------------------------------------------------- client pods


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


def pod_problem(pod):
    """Why a client pod cannot run (image missing, rejected...), or None."""
    status = pod.get("status") or {}
    for cs in status.get("containerStatuses") or []:
        waiting = (cs.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") in FATAL_WAITING_REASONS + ["ErrImagePull"]:
            return "%s: %s" % (waiting.get("reason"), waiting.get("message", ""))
    for cond in status.get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("status") == "False" and \
                cond.get("reason") == "Unschedulable":
            return "unschedulable: %s" % cond.get("message", "")
    return None


def wait_pod(client, namespace, name, until, timeout, poll=1.0):
    """Poll a pod until ``until(pod)`` is true; returns (pod, problem). problem is a string when
    the pod cannot get there (image, scheduling) or the time ran out."""
    deadline = time.time() + timeout
    pod = None
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


def pod_done(pod):
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def pod_running(pod):
    status = pod.get("status") or {}
    if status.get("phase") in ("Succeeded", "Failed"):
        return True
    for cs in status.get("containerStatuses") or []:
        if (cs.get("state") or {}).get("running"):
            return True
    return False


# --------------------------------------------------------------------------- HTTP probe script

# Busybox sh + wget. For each target (NAME|URL|HOSTHEADER lines in $TARGETS) try up to $ATTEMPTS
# times until the status is $EXPECT_STATUS and the body contains $EXPECT_BODY; print one line per
# attempt:  @@|name|attempt|status|rc|passed (0/1)|last error line|first 300 bytes of the body
HTTP_PROBE_SCRIPT = r"""
set -u
echo "$TARGETS" | while IFS='|' read -r name url hosthdr; do
  [ -n "$name" ] || continue
  i=1
  while [ "$i" -le "$ATTEMPTS" ]; do
    rm -f /tmp/body /tmp/hdr
    if [ -n "$hosthdr" ]; then
      wget -S -T "$REQ_TIMEOUT" --header "Host: $hosthdr" -O /tmp/body "$url" 2>/tmp/hdr
    else
      wget -S -T "$REQ_TIMEOUT" -O /tmp/body "$url" 2>/tmp/hdr
    fi
    rc=$?
    st=$(sed -n 's/.*HTTP\/[0-9.]* \([0-9][0-9][0-9]\).*/\1/p' /tmp/hdr | tail -n 1)
    [ -n "$st" ] || st=000
    [ -f /tmp/body ] || : > /tmp/body
    err=$(grep -v '^ ' /tmp/hdr | grep -iv 'connecting to\|saving to\|written to\|^$' | tail -n 1 | tr '\n|' ' /')
    body=$(head -c 300 /tmp/body | tr '\n\r|' '  /')
    pass=0
    if [ "$st" = "$EXPECT_STATUS" ] && { [ -z "$EXPECT_BODY" ] || grep -qF -- "$EXPECT_BODY" /tmp/body; }; then
      pass=1
    fi
    echo "@@|$name|$i|$st|$rc|$pass|$err|$body"
    [ "$pass" = 1 ] && break
    i=$((i + 1))
    [ "$i" -le "$ATTEMPTS" ] && sleep "$DELAY"
  done
done
exit 0
"""


def parse_probe_output(text):
    """Lines printed by HTTP_PROBE_SCRIPT → {name: [attempt dicts]}."""
    out = {}
    for line in text.splitlines():
        if not line.startswith("@@|"):
            continue
        parts = line.split("|", 7)
        if len(parts) < 8:
            continue
        name, attempt, status, rc, passed, err, body = parts[1:]
        try:
            out.setdefault(name, []).append(
                dict(attempt=int(attempt), status=int(status), rc=int(rc), ok=passed == "1",
                     body=body.strip(), error=err.strip())
            )
        except ValueError:
            continue
    return out


def short(text, limit=120):
    text = (text or "").strip().replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------- traffic probe

# Requests $URL every $INTERVAL seconds until the pod is deleted (or its deadline), one line per
# request:  @@|seq|ok (0/1)|first 160 bytes of the body, or wget's last error line
# Until the first answer a request waits 1 s, not $TIMEOUT: a Service without ready endpoints
# yet drops the connection silently, and a probe stuck in such a request for $TIMEOUT seconds
# would report the first answer that much later (requests before it are not counted anyway).
TRAFFIC_PROBE_SCRIPT = r"""
set -u
n=0
t=1
while true; do
  n=$((n + 1))
  if body=$(wget -q -T "$t" -O - "$URL" 2>&1); then
    t=$TIMEOUT
    echo "@@|$n|1|$(printf '%s' "$body" | head -c 160 | tr '\n|' '  /')"
  else
    echo "@@|$n|0|$(printf '%s' "$body" | tail -n 1 | head -c 160 | tr '\n|' '  /')"
  fi
  sleep "$INTERVAL"
done
"""

TRAFFIC_PROBE_LABELS = {
    "app.kubernetes.io/name": "kubeha-verify",
    "app.kubernetes.io/component": "traffic-probe",
    "app.kubernetes.io/managed-by": "kubeha.webapp",
}


def start_traffic_probe(client, namespace, url, image, pull_policy, deadline_seconds, interval="0.5",
                        timeout=5):
    """Create a restricted client pod that requests url continuously; returns its name at once.
    A request without an answer within `timeout` seconds counts as failed."""
    spec = restricted_client_pod(
        "kubeha-probe-", image, pull_policy, TRAFFIC_PROBE_SCRIPT, dict(TRAFFIC_PROBE_LABELS),
        deadline_seconds=deadline_seconds, env=dict(URL=url, INTERVAL=interval, TIMEOUT=timeout),
    )
    return create_pod(client, namespace, spec)["metadata"]["name"]


def parse_traffic(log):
    """Traffic probe lines (``@@|seq|ok|detail``) → [(seq, ok, detail)]."""
    out = []
    for line in log.splitlines():
        if line.startswith("@@|"):
            parts = line.split("|", 3)
            if len(parts) == 4:
                try:
                    out.append((int(parts[1]), parts[2] == "1", parts[3].strip()))
                except ValueError:
                    continue
    return out


def traffic_summary(lines):
    """Requests made and those that failed, counted from the first answered request (a probe that
    starts before DNS or the network is ready would otherwise count its own start-up)."""
    first_ok = next((i for i, ln in enumerate(lines) if ln[1]), None)
    counted = lines[first_ok:] if first_ok is not None else lines
    failed = [ln for ln in counted if not ln[1]]
    return dict(requests=len(counted), failed=len(failed), samples=[f[2] for f in failed[:5]])
