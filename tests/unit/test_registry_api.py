"""What a registry's answer means (plugins/module_utils/registry_api.py): found with its digest,
missing, unauthorized or unreachable, with the registry's own reason, and when a HEAD must be
followed by a GET."""
from __future__ import annotations

import hashlib
import json

import pytest

from ansible_collections.kubeha.webapp.plugins.module_utils.registry_api import (
    ACCEPT,
    Response,
    authorization,
    classify,
    needs_get,
    registry_words,
)

DIGEST = "sha256:" + "c" * 64


def errors(*pairs):
    return json.dumps({"errors": [{"code": c, "message": m, "detail": {}} for c, m in pairs]}).encode()


def test_every_manifest_kind_a_runtime_pulls_is_accepted():
    for kind in ("oci.image.index", "oci.image.manifest", "docker.distribution.manifest.list",
                 "docker.distribution.manifest.v2"):
        assert kind in ACCEPT


def test_found_gives_the_registrys_digest_and_media_type():
    answer = Response(200, {"Docker-Content-Digest": DIGEST,
                            "Content-Type": "application/vnd.oci.image.index.v1+json; charset=utf-8"})
    assert classify("HEAD", answer) == dict(exists=True, digest=DIGEST, outcome="found", reason="",
                                            media_type="application/vnd.oci.image.index.v1+json")


def test_a_get_without_digest_header_gives_the_sha256_of_the_manifest():
    body = b'{"schemaVersion": 2}'
    assert classify("GET", Response(200, {}, body))["digest"] == "sha256:" + hashlib.sha256(body).hexdigest()


def test_a_missing_tag_is_explained_in_the_registrys_words():
    result = classify("GET", Response(404, {}, errors(("MANIFEST_UNKNOWN", "manifest unknown")), "Not Found"))
    assert (result["exists"], result["outcome"], result["reason"]) == (False, "missing", "MANIFEST_UNKNOWN: manifest unknown")


def test_refused_credentials_are_unauthorized_with_every_error_the_registry_lists():
    body = errors(("UNAUTHORIZED", "authentication required"), ("DENIED", "requested access is denied"))
    result = classify("GET", Response(401, {}, body))
    assert result["outcome"] == "unauthorized"
    assert result["reason"] == "UNAUTHORIZED: authentication required; DENIED: requested access is denied"
    assert classify("GET", Response(403, {}, b""))["outcome"] == "unauthorized"


def test_a_server_error_or_an_answer_without_json_says_the_http_status():
    result = classify("GET", Response(503, {}, b"<html>busy</html>", "Service Unavailable"))
    assert (result["outcome"], result["reason"]) == ("unreachable", "HTTP 503 Service Unavailable")
    assert registry_words(Response(404, {}, b"", "Not Found")) == "HTTP 404 Not Found"


@pytest.mark.parametrize("status, headers, get", [
    (200, {"Docker-Content-Digest": DIGEST}, False),
    (200, {}, True),            # no digest header: the digest is the manifest's own
    (404, {}, True),            # a HEAD answer has no body: the GET gives the registry's reason
    (401, {}, True),
    (405, {}, True),            # HEAD refused
    (501, {}, True),
    (500, {}, False),
])
def test_a_head_is_followed_by_a_get_only_when_it_cannot_say_enough(status, headers, get):
    assert needs_get("HEAD", Response(status, headers)) is get
    assert needs_get("GET", Response(status, headers)) is False


def no_request(*args):
    raise AssertionError("a Basic challenge needs no request")


def test_a_basic_challenge_is_answered_with_the_matching_credentials_and_refused_without():
    target = {"repository": "kubeha/web"}
    creds = [dict(secret="s", key="reg:5001", username="u", password="p")]
    value, how = authorization('Basic realm="Registry Realm"', target, creds, no_request)
    assert (value.startswith("Basic "), how) == (True, "basic")
    value, how = authorization('Basic realm="Registry Realm"', target, [], no_request)
    assert value == "" and "no pull secret has any for it" in how


def test_an_unknown_challenge_is_not_answered():
    value, how = authorization("Negotiate", {"repository": "a"}, [], no_request)
    assert value == "" and "unknown authentication challenge" in how
