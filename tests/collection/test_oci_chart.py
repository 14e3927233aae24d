"""The chart as users get it published: an OCI artifact in a registry (the cluster's public
registry, where the build pushed it with helm push).

`helm install oci://...` as the README shows it installs the release; deploy.yml with
webapp_chart_ref=oci://... and webapp_chart_version then takes it over from the same published
chart - the chart pulled once onto the controller, found unchanged (no chart-change refusal, same
chart version) - and a second deploy.yml changes nothing and pulls nothing again.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from playlib import ROOT

pytestmark = pytest.mark.cluster

LOCAL_VALUES = ROOT / "charts" / "webapp" / "ci" / "local-values.yaml"


@pytest.fixture(scope="module")
def published(app, registry, tmp_path_factory):
    """deploy.yml's settings for the published chart, pulled into a directory of this module's."""
    return dict(webapp_chart_ref=registry["chart"], webapp_chart_version=registry["chart_version"],
                webapp_chart_ca_file=registry["ca_file"],
                webapp_chart_pull_dir=str(tmp_path_factory.mktemp("charts")))


def test_helm_install_from_the_registry_as_the_readme_shows(app, registry):
    app.cluster.helm("install", app.release, registry["chart"], "--version", registry["chart_version"],
                     "--ca-file", registry["ca_file"], "-f", str(LOCAL_VALUES), "-n", app.namespace,
                     "--create-namespace", "--wait", "--timeout", "120s")
    assert app.history()[0]["chart"] == f"webapp-{registry['chart_version']}"
    # The chart's own test: a pod asks the release's ClusterIP Service for the expected body.
    test = app.cluster.helm("test", app.release, "-n", app.namespace, "--timeout", "60s", check=False)
    assert test.returncode == 0 and "Phase:          Succeeded" in test.stdout, test.stdout + test.stderr


def test_deploy_takes_the_release_over_from_the_same_published_chart(app, registry, published):
    run = app.play("deploy", **published)
    hist = app.history()
    assert [h["chart"] for h in hist] == [f"webapp-{registry['chart_version']}"] * len(hist)
    assert hist[-1]["status"] == "deployed" and app.bodies() == {"kubeha-web version=v1"}
    assert "helm pull " + registry["chart"] in run.output
    pulled = list(Path(published["webapp_chart_pull_dir"]).glob("*/*/webapp/Chart.yaml"))
    assert len(pulled) == 1 and f"version: {registry['chart_version']}" in pulled[0].read_text()


def test_a_second_deploy_changes_nothing_and_pulls_nothing(app, published):
    before = app.revision()
    chart_yaml = next(Path(published["webapp_chart_pull_dir"]).glob("*/*/webapp/Chart.yaml"))
    pulled_at = chart_yaml.stat().st_mtime_ns
    run = app.play("deploy", **published)
    assert run.changed == 0, run.tail()
    assert app.revision() == before
    assert chart_yaml.stat().st_mtime_ns == pulled_at, "the chart was pulled again"
