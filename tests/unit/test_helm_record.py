"""helm_record: one revision's release record rewritten - encoded back as Helm encodes it, the
Secret's labels kept in step, the description set as helm takes one.

The Secrets are built here as Helm writes them (JSON, gzipped, base64, and base64 once more as
Secret data), independently of the code under test.
"""
from __future__ import annotations

import base64
import copy
import gzip
import json

from ansible_collections.kubeha.webapp.plugins.module_utils.helm_record import (
    describe_record,
    encode_release,
    record_name,
    record_path,
    with_record,
)
from ansible_collections.kubeha.webapp.plugins.module_utils.helm_description import DESCRIPTION_MAX
from ansible_collections.kubeha.webapp.plugins.module_utils.helm_release import decode_release

RELEASE = {
    "name": "web",
    "namespace": "webapp",
    "version": 4,
    "info": {"first_deployed": "2024-05-01T09:58:40Z", "last_deployed": "2024-05-01T10:12:02Z",
             "status": "deployed", "description": "Upgrade complete", "notes": "é <b> & ünïcode"},
    "chart": {"metadata": {"name": "webapp", "version": "0.3.0"}, "values": {"replicas": 2}},
    "config": {"image": {"tag": "v1"}, "canary": {"enabled": True, "weight": 10, "image": {"tag": "v2"}}},
    "manifest": "---\nkind: Service\n",
}


def helm_secret(rel, labels=None):
    blob = base64.b64encode(gzip.compress(json.dumps(rel).encode()))
    return {
        "apiVersion": "v1", "kind": "Secret", "type": "helm.sh/release.v1",
        "metadata": {"name": "sh.helm.release.v1.web.v4", "namespace": "webapp", "resourceVersion": "812",
                     "labels": dict({"name": "web", "owner": "helm", "status": "deployed", "version": "4"},
                                    **(labels or {}))},
        "data": {"release": base64.b64encode(blob).decode()},
    }


def test_an_encoded_record_decodes_to_the_same_release():
    assert decode_release({"data": {"release": encode_release(RELEASE)}}) == RELEASE


def test_the_encoding_is_helms_gzipped_json_in_base64_twice():
    inner = base64.b64decode(base64.b64decode(encode_release(RELEASE)))
    assert inner[:2] == b"\x1f\x8b"  # gzip, as helm 3 writes its records
    assert json.loads(gzip.decompress(inner)) == RELEASE


def test_a_record_read_changed_and_put_back_decodes_to_the_changed_release():
    secret = helm_secret(RELEASE)
    rel = decode_release(secret)
    rel["info"]["description"] = "kubeha.webapp canary 1/3"
    written = with_record(copy.deepcopy(secret), rel)
    assert decode_release(written) == rel
    assert decode_release(written)["config"] == RELEASE["config"]
    # the rest of the Secret is the one read: its name, type, labels and resourceVersion (a record
    # changed since it was read is a conflict)
    assert {k: v for k, v in written.items() if k != "data"} == {k: v for k, v in secret.items() if k != "data"}


def test_a_status_goes_to_the_record_label_too():
    rel = copy.deepcopy(RELEASE)
    rel["info"]["status"] = "failed"
    written = with_record(helm_secret(RELEASE), rel, status="failed")
    assert written["metadata"]["labels"]["status"] == "failed"
    assert decode_release(written)["info"]["status"] == "failed"


def test_without_a_status_the_status_label_stays():
    written = with_record(helm_secret(RELEASE), RELEASE)
    assert written["metadata"]["labels"]["status"] == "deployed"


def test_modified_at_is_renewed_when_helm_wrote_one_and_not_added_otherwise():
    written = with_record(helm_secret(RELEASE, {"modifiedAt": "1714558322"}), RELEASE, now=1800000000.7)
    assert written["metadata"]["labels"]["modifiedAt"] == "1800000000"
    assert "modifiedAt" not in with_record(helm_secret(RELEASE), RELEASE)["metadata"]["labels"]


def test_the_record_of_a_revision_is_helms_secret_name():
    assert record_name("web", 12) == "sh.helm.release.v1.web.v12"
    assert record_path("webapp", "web", 12) == "/api/v1/namespaces/webapp/secrets/sh.helm.release.v1.web.v12"


def test_describe_sets_the_description_on_one_line_and_returns_the_previous():
    rel = copy.deepcopy(RELEASE)
    note = describe_record(rel, "kubeha.webapp canary 1/3: 10% of traffic to reg/kubeha/web:v2;\n  analysis pass")
    assert note == {"description": "kubeha.webapp canary 1/3: 10% of traffic to reg/kubeha/web:v2; analysis pass",
                    "previous": "Upgrade complete", "changed": True}
    assert rel["info"]["description"] == note["description"]
    assert decode_release(with_record(helm_secret(RELEASE), rel))["info"]["description"] == note["description"]


def test_describe_cuts_at_helms_limit():
    rel = copy.deepcopy(RELEASE)
    note = describe_record(rel, "analysis pass: " + "x" * 400)
    assert len(note["description"]) == DESCRIPTION_MAX
    assert note["description"].endswith("...")
    assert rel["info"]["description"] == note["description"]


def test_describe_with_the_same_text_changes_nothing():
    rel = copy.deepcopy(RELEASE)
    assert describe_record(rel, "Upgrade   complete\n") == {
        "description": "Upgrade complete", "previous": "Upgrade complete", "changed": False}
    assert rel == RELEASE


def test_describe_a_record_without_a_description():
    rel = copy.deepcopy(RELEASE)
    del rel["info"]["description"]
    assert describe_record(rel, "canary removed") == {
        "description": "canary removed", "previous": "", "changed": True}
