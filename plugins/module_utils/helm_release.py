# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Helm's release records (Secrets of type ``helm.sh/release.v1``): reading them from the API,
decoding them, and the summary of a revision the modules return."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import copy
import gzip
import hashlib
import json

from ansible_collections.kubeha.webapp.plugins.module_utils.images import image_of
from ansible_collections.kubeha.webapp.plugins.module_utils.kube_client import get_json

try:
    import yaml

    HAS_YAML = True
except ImportError:  # pragma: no cover
    HAS_YAML = False

RELEASE_SECRET_TYPE = "helm.sh/release.v1"


def decode_release(secret):
    """Decode one Helm release record (a ``helm.sh/release.v1`` Secret) into a dict.

    Helm stores the release as JSON, gzipped, base64-encoded; the Secret's data is base64 of
    that again (the API's own encoding of Secret data)."""
    raw = secret.get("data", {}).get("release")
    if not raw:
        return None
    data = base64.b64decode(base64.b64decode(raw))
    if data[:3] == b"\x1f\x8b\x08":  # gzip magic: Helm 3 compresses, very old records do not
        data = gzip.decompress(data)
    return json.loads(data)


def values_text(values):
    """Release values as a diff shows them: YAML with sorted keys, or JSON without PyYAML."""
    if HAS_YAML:
        return yaml.safe_dump(values, default_flow_style=False, sort_keys=True)
    return json.dumps(values, indent=2, sort_keys=True) + "\n"


def sha256_text(text):
    return hashlib.sha256((text or "").encode("utf-8")).hexdigest()


def deep_merge(base, override):
    """Merge ``override`` into ``base`` as Helm merges user values into the chart's defaults:
    maps key by key, anything else replaced."""
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            deep_merge(base[key], value)
        else:
            base[key] = value
    return base


def summarize_release(rel):
    """One revision as the modules return it: status, chart, the user's values and what the
    merged values render (image, replicas, change cause), and digests to compare revisions."""
    chart = (rel.get("chart") or {}).get("metadata") or {}
    info = rel.get("info") or {}
    values = rel.get("config") or {}
    merged = deep_merge(copy.deepcopy((rel.get("chart") or {}).get("values") or {}), values)
    image = image_of(merged, chart)
    return dict(
        revision=rel.get("version"),
        status=info.get("status"),
        description=info.get("description", ""),
        updated=str(info.get("last_deployed", ""))[:19].replace("T", " "),
        chart="%s-%s" % (chart.get("name"), chart.get("version")),
        chart_name=chart.get("name"),
        chart_version=chart.get("version"),
        app_version=chart.get("appVersion", ""),
        # how helm applied it: "ssa" (server-side) or "csa"; helm 3 records neither, and applies
        # client-side
        apply_method=rel.get("apply_method") or "csa",
        values=values,
        image=image,
        image_ref=image["ref"],
        replicas=merged.get("replicas"),
        change_cause=merged.get("changeCause", ""),
        manifest_sha256=sha256_text(rel.get("manifest")),
        values_sha256=sha256_text(json.dumps(values, sort_keys=True)),
    )


def list_releases(client, namespace, release):
    """All stored revisions of a release, oldest first, decoded."""
    data = get_json(
        client,
        "/api/v1/namespaces/%s/secrets" % namespace,
        {"labelSelector": "owner=helm,name=%s" % release},
    )
    return decode_releases((data or {}).get("items", []))


def decode_releases(secrets):
    """The release records among these Secrets, decoded, oldest revision first."""
    releases = [decode_release(s) for s in secrets if s.get("type") == RELEASE_SECRET_TYPE]
    return sorted((r for r in releases if r), key=lambda r: r.get("version", 0))
