"""An existing helm 3 user moves to the collection on helm 4.

A release installed by helm 3 (client-side apply, no apply method in its record) is upgraded by
upgrade.yml on helm 4 while 100 requests per second go to its LoadBalancer address: not one may
fail. helm 4 keeps such a release client-side (webapp_server_side: auto), so the first upgrade
changes the image and nothing about who owns which field. scale.yml and rollback.yml then work
on it as on any release. The module walks one release through these steps, in order.
"""
from __future__ import annotations

import base64
import gzip
import json
import sys

import pytest
from playlib import ROOT, App, delete_namespace, new_namespace

sys.path.insert(0, str(ROOT / "bench"))
import zero_downtime as zd  # noqa: E402

pytestmark = [pytest.mark.cluster, pytest.mark.disruptive]

RATE = 100
LOCAL_VALUES = ROOT / "charts" / "webapp" / "ci" / "local-values.yaml"


def _newest_record(app) -> dict:
    secrets = app.kubectl_json("get", "secrets", "-n", app.namespace, "-l", f"owner=helm,name={app.release}")
    newest = max(secrets["items"], key=lambda s: int(s["metadata"]["labels"]["version"]))
    return json.loads(gzip.decompress(base64.b64decode(base64.b64decode(newest["data"]["release"]))))


@pytest.fixture(scope="module")
def helm3_release(cluster, tmp_path_factory):
    ns = new_namespace("kubeha-helm3")
    app = App(cluster, ns, tmp=tmp_path_factory.mktemp("helm3"))
    cluster.run("helm3", "install", app.release, str(ROOT / "charts" / "webapp"), "-n", ns, "--create-namespace",
                "-f", str(LOCAL_VALUES), "--set", "service.type=LoadBalancer", "--set", "replicas=3",
                "--wait", "--timeout", "180s")
    yield app
    delete_namespace(cluster, ns)


def test_the_release_is_helm_3s(helm3_release):
    record = _newest_record(helm3_release)
    assert "apply_method" not in record, "helm 3 records no apply method"
    assert helm3_release.pod_images() == {"kubeha/web:v1"}


def test_the_first_helm_4_upgrade_under_load_fails_no_request(helm3_release):
    app = helm3_release
    kubectl, helm = zd.tools()
    url = zd.Release(kubectl, helm, app.namespace, name=app.release).address()
    runs = []
    result = zd.attack(url, RATE, 30, "helm3-to-4", lambda: runs.append(app.play("upgrade", upgrade_image_tag="v2")))
    print(result.line())
    assert runs and runs[0].rc == 0
    assert result.requests >= RATE * 10, result.line()
    assert result.failed == 0, result.line()
    app.wait_settled()
    assert app.pod_images() == {"kubeha/web:v2"}
    record = _newest_record(app)
    assert record["apply_method"] == "csa", "auto keeps a helm 3 release client-side"


def test_scale_and_rollback_work_on_the_migrated_release(helm3_release):
    app = helm3_release
    app.play("scale", scale_replicas=4)
    assert app.deployment()["spec"]["replicas"] == 4
    run = app.play("rollback", rollback_revision=1)
    assert "conflict" not in run.output.lower(), run.tail()
    app.wait_settled()
    assert app.pod_images() == {"kubeha/web:v1"}
    assert app.deployment()["spec"]["replicas"] == 3, "revision 1's replicas, as helm 3 installed it"
