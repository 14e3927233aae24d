# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Whether a registry holds an image reference, asked the way a container runtime resolves it
before a pull (Distribution spec, "Checking if content exists"): a HEAD of its manifest, the
registry's authentication challenge answered, a GET when HEAD does not say enough. Nothing is
pulled: a manifest is a few KiB, and only when a GET is needed.

``lookup()`` drives the exchange through a ``send(method, url, headers)`` function that returns
a Response (or raises Unreachable), so the decisions here are plain functions of the answers.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json

from ansible_collections.kubeha.webapp.plugins.module_utils import registry_auth, registry_ref

# What a runtime accepts: a multi-platform index or a single manifest, OCI or Docker.
MANIFEST_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
ACCEPT = ", ".join(MANIFEST_TYPES)

FOUND, MISSING, UNAUTHORIZED, UNREACHABLE = "found", "missing", "unauthorized", "unreachable"


class Unreachable(Exception):
    """The registry (or its token realm) could not be asked: the connection error, in words."""


class Response(object):
    def __init__(self, status, headers=None, body=b"", reason=""):
        self.status = int(status)
        self.headers = dict((str(k).lower(), v) for k, v in (headers or {}).items())
        self.body = body or b""
        self.reason = reason

    def header(self, name):
        return self.headers.get(name.lower()) or ""


def registry_words(response):
    """The registry's own explanation of an answer: its JSON ``errors`` as CODE: message, else
    the HTTP status and its reason phrase (a HEAD answer has no body)."""
    try:
        body = json.loads(response.body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, AttributeError):
        body = None
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list):
        words = ["%s: %s" % (e.get("code", "?"), e.get("message", "")) if e.get("message") else str(e.get("code", "?"))
                 for e in errors if isinstance(e, dict)]
        if words:
            return "; ".join(words)
    return ("HTTP %d %s" % (response.status, response.reason or "")).strip()


def needs_get(method, response):
    """After a HEAD: whether a GET must follow. A registry that refuses HEAD (405, 400, 501)
    is asked with GET; so is a 404 or 401/403 without a body, to learn the registry's reason;
    and a 200 without Docker-Content-Digest, whose digest is then that of the manifest."""
    if method != "HEAD":
        return False
    if response.status == 200:
        return not response.header("Docker-Content-Digest")
    return response.status in (400, 401, 403, 404, 405, 501)


def outcome(status):
    if 200 <= status <= 299:
        return FOUND
    if status == 404:
        return MISSING
    if status in (401, 403):
        return UNAUTHORIZED
    return UNREACHABLE  # 5xx, a proxy's answer...: the registry could not say


def classify(method, response):
    """The module's answer for the registry's final response: exists, digest, media_type,
    outcome and, unless found, the registry's reason."""
    result = dict(exists=False, digest="", media_type="", outcome=outcome(response.status), reason="")
    if result["outcome"] == FOUND:
        digest = response.header("Docker-Content-Digest")
        if not digest and method == "GET":
            digest = "sha256:" + hashlib.sha256(response.body).hexdigest()
        media_type = response.header("Content-Type").split(";")[0].strip()
        result.update(exists=True, digest=digest, media_type=media_type)
    else:
        result["reason"] = registry_words(response)
    return result


def authorization(challenge_header, target, credentials, send):
    """The Authorization header that answers a registry's 401 challenge, and how it was got
    (for messages): Basic with the matching credentials; Bearer with a token from the realm the
    registry names, asked with those credentials when there are any and anonymously otherwise
    (public images on Docker Hub and ghcr.io). ('', why) when it cannot be answered."""
    scheme, params = registry_auth.parse_challenge(challenge_header)
    creds = credentials[0] if credentials else None
    if scheme == "basic":
        if not creds:
            return "", "the registry asks for a username and password and no pull secret has any for it"
        return registry_auth.basic_header(creds["username"], creds["password"]), "basic"
    if scheme == "bearer" and params.get("realm"):
        headers = {}
        if creds:
            headers["Authorization"] = registry_auth.basic_header(creds["username"], creds["password"])
        answer = send("GET", registry_auth.token_url(params, target["repository"]), headers)
        if answer.status != 200:
            return "", "the token service %s refused a token: %s" % (params["realm"], registry_words(answer))
        token = registry_auth.token_of(answer.body)
        if not token:
            return "", "the token service %s answered without a token" % params["realm"]
        return "Bearer " + token, "bearer"
    return "", "unknown authentication challenge %r" % (challenge_header or "")


def lookup(target, credentials, send):
    """Ask the registry of ``target`` (registry_ref.parse) whether it holds the reference.
    credentials: registry_auth.matching_credentials (the first is used, as the kubelet uses the
    first that works). Returns classify()'s dict plus ``auth`` (anonymous, basic, bearer)."""
    url = registry_ref.manifest_url(target)
    headers = {"Accept": ACCEPT}
    auth, why_not, challenged = "anonymous", "", False
    try:
        for method in ("HEAD", "GET"):
            response = send(method, url, headers)
            if response.status == 401 and not challenged:
                challenged = True  # one answer per lookup: a refused token is not asked for twice
                value, how = authorization(response.header("WWW-Authenticate"), target, credentials, send)
                if value:
                    headers["Authorization"], auth = value, how
                    response = send(method, url, headers)
                else:
                    why_not = how
            if not needs_get(method, response):
                break
    except Unreachable as exc:
        return dict(exists=False, digest="", media_type="", outcome=UNREACHABLE, reason=str(exc), auth=auth)
    result = classify(method, response)
    if why_not and result["outcome"] == UNAUTHORIZED:
        result["reason"] = "%s (%s)" % (result["reason"], why_not)
    result["auth"] = auth
    return result
