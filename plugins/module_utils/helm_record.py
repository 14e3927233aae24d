# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Rewriting fields of one revision's Helm release record: the Secret
``sh.helm.release.v1.<release>.v<N>`` read, its record decoded, changed, encoded as Helm encodes
it and written back (PUT, so a record changed meanwhile is a conflict, not a lost update).

helm_rollback records a revision as failed through it (``mark_failed``), revision_note sets a
revision's description (``set_description``): ``kubernetes.core.helm`` upgrades cannot set one.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import gzip
import json
import time

from ansible_collections.kubeha.webapp.plugins.module_utils.helm_description import description
from ansible_collections.kubeha.webapp.plugins.module_utils.helm_release import decode_release
from ansible_collections.kubeha.webapp.plugins.module_utils.kube_client import call_json, get_json
from ansible_collections.kubeha.webapp.plugins.module_utils.kube_errors import KubeError


class RecordMissing(KubeError):
    """The release has no record of that revision."""


def record_name(release, revision):
    """The name of the Secret holding a revision's record."""
    return "sh.helm.release.v1.%s.v%d" % (release, int(revision))


def record_path(namespace, release, revision):
    return "/api/v1/namespaces/%s/secrets/%s" % (namespace, record_name(release, revision))


def encode_release(rel):
    """A release record as the Secret's ``data.release`` holds it: Helm's encoding (JSON, gzip,
    base64), then base64 again (the API's encoding of Secret data). ``decode_release`` reverses it."""
    blob = base64.b64encode(gzip.compress(json.dumps(rel).encode()))
    return base64.b64encode(blob).decode()


def with_record(secret, rel, status=None, now=None):
    """``secret`` (changed in place, and returned) holding ``rel``; ``status`` also goes to the
    Secret's ``status`` label (helm lists by it), and a ``modifiedAt`` label (helm 3.10+ writes
    one) becomes ``now`` (seconds since the epoch; default: the time of the call)."""
    secret.setdefault("data", {})["release"] = encode_release(rel)
    labels = secret.setdefault("metadata", {}).setdefault("labels", {})
    if status:
        labels["status"] = status
    if "modifiedAt" in labels:
        labels["modifiedAt"] = str(int(time.time() if now is None else now))
    return secret


def read_record(client, namespace, release, revision):
    """``(secret, record)`` of one revision, the record decoded; ``(None, None)`` when the Secret
    is missing or holds no record."""
    secret = get_json(client, record_path(namespace, release, revision))
    rel = decode_release(secret) if secret else None
    if rel is None:
        return None, None
    return secret, rel


def write_record(client, namespace, release, revision, secret, rel, status=None):
    """Write ``rel`` back into the Secret read with it (its resourceVersion with it: a record
    changed since it was read is refused by the API with a conflict)."""
    return call_json(client, "PUT", record_path(namespace, release, revision),
                     body=with_record(secret, rel, status=status))


def describe_record(rel, text):
    """Set a decoded record's description (``info.description``, what ``helm history`` shows) to
    ``text`` as helm takes a description: on one line, at most 256 characters
    (``helm_release.description``); ``rel`` is changed only when it differs. Returns
    ``description`` (the new one), ``previous`` (the one it had) and ``changed``."""
    info = rel.setdefault("info", {})
    previous = info.get("description") or ""
    new = description(text)
    if new != previous:
        info["description"] = new
    return dict(description=new, previous=previous, changed=new != previous)


def set_description(client, namespace, release, revision, text, check_mode=False):
    """Set one revision's description in its record (``describe_record``), written only when it
    differs, and never in ``check_mode``.

    Returns ``revision``, ``description`` (as written), ``previous`` (the description it had) and
    ``changed``. Raises RecordMissing when the release has no record of that revision."""
    secret, rel = read_record(client, namespace, release, revision)
    if rel is None:
        raise RecordMissing("release %s has no revision %d in namespace %s (no release record %s)" % (
            release, int(revision), namespace, record_name(release, revision)))
    note = describe_record(rel, text)
    if note["changed"] and not check_mode:
        write_record(client, namespace, release, revision, secret, rel)
    return dict(revision=int(revision), **note)
