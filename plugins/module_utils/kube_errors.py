# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""What went wrong, in the user's words: an unreachable API, refused credentials, an RBAC
denial - one line instead of a stack trace; and which API errors are an outage to wait out."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.kubeha.webapp.plugins.module_utils.kube_http import ApiError


class KubeError(Exception):
    """An error with a message fit for the user."""


# API answers that say "not now" rather than "no": the API server restarting or overloaded.
TRANSIENT_API_STATUSES = (0, None, 429, 500, 502, 503, 504)

# The part of a transport error that says what happened; the rest is urllib3's wrapping.
_UNREACHABLE = re.compile(r"(Connection refused|timed out|Name or service not known|No route to host"
                          r"|certificate verify failed[^']*)")


def is_transient(exc):
    """Whether an API error is an outage worth waiting out (no connection, the server restarting
    or overloaded) rather than an answer (403, 404, 422, ...)."""
    return isinstance(exc, ApiError) and exc.status in TRANSIENT_API_STATUSES


def config_error_text(text, auth):
    """Why no client could be built from the kubeconfig (``auth``: the connection options)."""
    if "context" in text.lower() and auth.get("context"):
        return "context %r is not usable: %s" % (auth["context"], text)
    return "cannot build a Kubernetes client from the kubeconfig: %s" % text


def api_host(client):
    return getattr(client, "host", "?")


def describe_error(exc, client=None, what=None):
    """A one-line, user-facing description of an API error; ``what``: what was being done."""
    where = " (%s)" % what if what else ""
    if isinstance(exc, KubeError):
        return str(exc)
    if isinstance(exc, ApiError):
        host = api_host(client) if client else "?"
        if not exc.status:
            m = _UNREACHABLE.search(exc.reason or "")
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
