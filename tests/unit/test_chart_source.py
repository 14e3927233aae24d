"""chart_source: a chart is a directory, or an OCI chart at a version pulled into a directory of
its own; what is wrong with either names webapp_chart_ref or webapp_chart_version."""
from __future__ import annotations

import pytest

from ansible_collections.kubeha.webapp.plugins.module_utils.chart_source import errors, source

OCI = "oci://10.217.0.1:5000/charts/webapp"


def test_a_chart_directory_is_deployed_as_it_is():
    assert source("/srv/charts/webapp", "", "/cache") == dict(pull=False, dir="/srv/charts/webapp", destination="", name="")
    assert errors("/srv/charts/webapp", "") == []


def test_an_oci_chart_is_pulled_into_a_directory_per_registry_path_and_version():
    got = source(OCI, "0.9.0", "/cache/charts/")
    assert got == dict(pull=True, name="webapp", destination="/cache/charts/10.217.0.1_5000_charts_webapp/0.9.0",
                       dir="/cache/charts/10.217.0.1_5000_charts_webapp/0.9.0/webapp")
    assert source(OCI, "0.9.1", "/cache/charts")["dir"] != got["dir"]
    assert source("oci://ghcr.io/other/charts/webapp", "0.9.0", "/cache/charts")["dir"] != got["dir"]
    assert errors(OCI, "0.9.0") == errors("oci://ghcr.io/org/team/charts/web-app", "v1.2.3-rc.1+build.5") == []


def test_an_oci_chart_without_its_version_is_refused_naming_webapp_chart_version():
    assert errors(OCI, "") == ["webapp_chart_version must name the version of the OCI chart %s" % OCI]


@pytest.mark.parametrize("version", ["latest", "1.2", "01.2.3", "1.2.3 "])
def test_a_version_that_is_no_semver_is_refused(version):
    assert errors(OCI, version) == ["webapp_chart_version=%s is not a chart version (SemVer 2, e.g. 1.4.0)" % version]


@pytest.mark.parametrize("ref", ["oci://", "oci://ghcr.io", "oci://ghcr.io/charts/webapp:0.9.0",
                                 "oci://ghcr.io/charts/WebApp", "oci://ghcr.io//webapp"])
def test_an_oci_reference_with_a_tag_or_without_a_chart_is_refused_naming_webapp_chart_ref(ref):
    found = errors(ref, "0.9.0")
    assert len(found) == 1 and found[0].startswith("webapp_chart_ref=%s is not an OCI chart reference" % ref)


def test_a_chart_repository_url_is_refused_it_is_neither_a_directory_nor_oci():
    assert errors("https://charts.example.com/webapp", "") == [
        "webapp_chart_ref=https://charts.example.com/webapp: a chart is a directory or an oci:// reference"]


def test_a_version_beside_a_chart_directory_is_refused_the_directory_gives_its_own():
    assert errors("/srv/charts/webapp", "0.9.0")[0].startswith("webapp_chart_version=0.9.0 applies to an oci:// chart only")


def test_an_empty_chart_ref_is_refused():
    assert errors("", "")[0].startswith("webapp_chart_ref must not be empty")
