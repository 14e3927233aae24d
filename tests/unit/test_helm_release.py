"""helm_release: Helm's release records (helm.sh/release.v1 Secrets) decoded and summarised.

The records are built here as Helm writes them: the release as JSON, gzipped, base64-encoded,
and base64 once more as the data of a Secret (the API's encoding of Secret data).
"""
from __future__ import annotations

import base64
import copy
import gzip
import hashlib
import json

import pytest

from ansible_collections.kubeha.webapp.plugins.module_utils.helm_description import DESCRIPTION_MAX, description
from ansible_collections.kubeha.webapp.plugins.module_utils.helm_release import (
    decode_release,
    decode_releases,
    deep_merge,
    summarize_release,
    values_text,
)

MANIFEST = "---\n# Source: webapp/templates/service.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: webapp\n"

RELEASE = {
    "name": "webapp",
    "info": {
        "first_deployed": "2024-05-01T09:58:40.123456789Z",
        "last_deployed": "2024-05-01T10:12:02.987654321Z",
        "deleted": "",
        "description": "Upgrade complete",
        "status": "deployed",
        "notes": "webapp answers on http://webapp.webapp.svc/",
    },
    "chart": {
        "metadata": {"name": "webapp", "version": "0.3.0", "description": "A web app", "apiVersion": "v2",
                     "appVersion": "1.4.2", "type": "application"},
        "lock": None,
        "templates": [{"name": "templates/service.yaml", "data": base64.b64encode(b"kind: Service\n").decode()}],
        "values": {"replicas": 2, "changeCause": "",
                   "image": {"repository": "ghcr.io/kubeha/web", "tag": "", "digest": "", "pullPolicy": "IfNotPresent"},
                   "resources": {"requests": {"cpu": "50m", "memory": "32Mi"}}},
        "schema": None,
        "files": [],
    },
    "config": {"replicas": 3, "changeCause": "v2 with the new banner", "image": {"tag": "v2"}},
    "manifest": MANIFEST,
    "version": 3,
    "namespace": "webapp",
}


def release_secret(rel, compress=True, type_="helm.sh/release.v1"):
    data = json.dumps(rel).encode()
    blob = base64.b64encode(gzip.compress(data) if compress else data)
    return {
        "apiVersion": "v1", "kind": "Secret", "type": type_,
        "metadata": {"name": "sh.helm.release.v1.%s.v%d" % (rel["name"], rel["version"]), "namespace": "webapp",
                     "labels": {"modifiedAt": "1714558322", "name": rel["name"], "owner": "helm",
                                "status": rel["info"]["status"], "version": str(rel["version"])}},
        "data": {"release": base64.b64encode(blob).decode()},
    }


def revision(number, status, **config):
    rel = copy.deepcopy(RELEASE)
    rel.update(version=number, config=config or rel["config"])
    rel["info"]["status"] = status
    return rel


def test_a_release_record_decodes_to_the_release_helm_stored():
    assert decode_release(release_secret(RELEASE)) == RELEASE


def test_a_record_stored_without_gzip_decodes_too():
    assert decode_release(release_secret(RELEASE, compress=False)) == RELEASE


def test_a_secret_without_release_data_is_no_release():
    secret = release_secret(RELEASE)
    secret["data"] = {}
    assert decode_release(secret) is None


def test_a_releases_records_come_oldest_first_and_other_secrets_are_left_out():
    secrets = [release_secret(revision(3, "deployed")), release_secret(revision(1, "superseded")),
               release_secret(revision(2, "failed")),
               release_secret(revision(9, "deployed"), type_="Opaque")]
    assert [(r["version"], r["info"]["status"]) for r in decode_releases(secrets)] == [
        (1, "superseded"), (2, "failed"), (3, "deployed")]


def test_the_summary_names_revision_status_chart_and_the_time_to_the_second():
    summary = summarize_release(RELEASE)
    assert {k: summary[k] for k in ("revision", "status", "description", "updated", "chart", "chart_name",
                                    "chart_version", "app_version")} == dict(
        revision=3, status="deployed", description="Upgrade complete", updated="2024-05-01 10:12:02",
        chart="webapp-0.3.0", chart_name="webapp", chart_version="0.3.0", app_version="1.4.2")


def test_the_summary_renders_the_user_values_over_the_chart_defaults():
    summary = summarize_release(RELEASE)
    assert summary["values"] == RELEASE["config"]
    assert summary["image_ref"] == "ghcr.io/kubeha/web:v2"
    assert summary["image"] == dict(repository="ghcr.io/kubeha/web", tag="v2", digest="", ref="ghcr.io/kubeha/web:v2")
    assert (summary["replicas"], summary["change_cause"]) == (3, "v2 with the new banner")


def test_without_a_tag_the_image_is_the_charts_app_version():
    assert summarize_release(revision(1, "deployed", replicas=1))["image_ref"] == "ghcr.io/kubeha/web:1.4.2"


def test_a_digest_wins_over_the_tag():
    digest = "sha256:" + "ab" * 32
    rel = revision(4, "deployed", image={"tag": "v2", "digest": digest})
    assert summarize_release(rel)["image_ref"] == "ghcr.io/kubeha/web@" + digest


def test_the_digests_say_whether_two_revisions_have_the_same_manifest_and_values():
    summary = summarize_release(RELEASE)
    assert summary["manifest_sha256"] == hashlib.sha256(MANIFEST.encode()).hexdigest()
    reordered = revision(5, "deployed", image={"tag": "v2"}, changeCause="v2 with the new banner", replicas=3)
    assert summarize_release(reordered)["values_sha256"] == summary["values_sha256"]
    assert summarize_release(revision(6, "deployed", replicas=4))["values_sha256"] != summary["values_sha256"]


def test_summarizing_leaves_the_charts_defaults_alone():
    rel = copy.deepcopy(RELEASE)
    summarize_release(rel)
    assert rel == RELEASE


@pytest.mark.parametrize("base, override, merged", [
    ({"image": {"repository": "r", "tag": ""}}, {"image": {"tag": "v2"}}, {"image": {"repository": "r", "tag": "v2"}}),
    ({"args": ["a", "b"]}, {"args": ["c"]}, {"args": ["c"]}),
])
def test_values_merge_maps_key_by_key_and_replace_anything_else(base, override, merged):
    assert deep_merge(base, override) == merged


def test_values_are_shown_as_yaml_with_sorted_keys():
    assert values_text({"replicas": 3, "image": {"tag": "v2", "repository": "r"}}) == (
        "image:\n  repository: r\n  tag: v2\nreplicas: 3\n")


def test_the_apply_method_is_the_one_helm_4_recorded_and_client_side_for_helm_3():
    assert summarize_release(RELEASE)["apply_method"] == "csa"  # helm 3 records none
    assert summarize_release(dict(RELEASE, apply_method="ssa"))["apply_method"] == "ssa"


def test_a_description_is_one_line_and_left_whole_when_helm_accepts_its_length():
    assert description("kubeha.webapp deploy:\n  values applied   again") == "kubeha.webapp deploy: values applied again"
    exact = "x" * DESCRIPTION_MAX
    assert description(exact) == exact


def test_a_description_longer_than_helm_accepts_is_cut_with_an_ellipsis():
    long = "hand changes (" + "; ".join(["image: live 10.217.0.1:5000/kubeha/web:v2, release 10.217.0.1:5000/kubeha/web:v1"] * 5) + ")"
    cut = description(long)
    assert len(cut) == DESCRIPTION_MAX and cut.endswith("...") and long.startswith(cut[:-3])
