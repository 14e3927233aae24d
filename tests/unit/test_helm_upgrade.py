"""helm_upgrade: the one helm upgrade of helm_revision - whether the release needs it, its command
line, and the revision helm says it made.

The current revision is the summary of a release record (helm_release.summarize_release); the
chart is a Chart.yaml as read.
"""
from __future__ import annotations

import json

import pytest

from ansible_collections.kubeha.webapp.plugins.module_utils.helm_description import DESCRIPTION_MAX
from ansible_collections.kubeha.webapp.plugins.module_utils.helm_release import summarize_release
from ansible_collections.kubeha.webapp.plugins.module_utils.helm_upgrade import (
    differences,
    refusal,
    upgrade_argv,
    upgraded,
)

CHART = {"apiVersion": "v2", "name": "webapp", "version": "0.2.0", "appVersion": "6.14.1", "type": "application"}
VALUES = {"replicas": 3, "image": {"tag": "v2"}, "canary": {"enabled": True, "weight": 10}}


def current(status="deployed", values=None, number=7, **chart):
    rel = {
        "name": "webapp", "namespace": "webapp", "version": number, "manifest": "",
        "info": {"status": status, "description": "Upgrade complete", "last_deployed": "2024-05-01T10:12:02Z"},
        "chart": {"metadata": dict(CHART, **chart), "values": {"replicas": 2, "image": {"repository": "r", "tag": ""}}},
        "config": VALUES if values is None else values,
    }
    return summarize_release(rel)


def test_the_deployed_revision_with_the_same_values_and_chart_needs_nothing():
    assert differences(current(), CHART, json.loads(json.dumps(VALUES))) == []


@pytest.mark.parametrize("values", [
    {"replicas": 3, "image": {"tag": "v2"}, "canary": {"enabled": True, "weight": 25}},
    {"replicas": 3, "image": {"tag": "v2"}},  # a key left out is a change: --reset-values drops it
    {"replicas": "3", "image": {"tag": "v2"}, "canary": {"enabled": True, "weight": 10}},
    {},
])
def test_any_other_values_make_a_revision(values):
    assert differences(current(), CHART, values) == ["values"]


def test_another_chart_version_makes_a_revision():
    assert differences(current(version="0.1.0"), CHART, VALUES) == ["chart webapp-0.2.0, not webapp-0.1.0"]


def test_another_app_version_of_the_same_chart_version_makes_a_revision():
    assert differences(current(appVersion="6.13.0"), CHART, VALUES) == [
        "chart webapp-0.2.0 appVersion 6.14.1, not 6.13.0"]


def test_versions_yaml_reads_as_numbers_compare_as_helm_stored_them():
    assert differences(current(version="1.0", appVersion="2"), dict(CHART, version=1.0, appVersion=2), VALUES) == []


def test_a_chart_without_app_version_matches_a_release_recorded_without_one():
    chart = {k: v for k, v in CHART.items() if k != "appVersion"}
    rel = current()
    rel["app_version"] = ""
    assert differences(rel, chart, VALUES) == []


@pytest.mark.parametrize("status", ["failed", "superseded", "pending-upgrade"])
def test_a_current_revision_that_is_not_deployed_is_upgraded_even_with_the_same_values(status):
    assert differences(current(status=status), CHART, VALUES) == ["revision 7 is %s" % status]


def test_a_release_without_records_is_refused_by_name():
    assert refusal(None, "webapp", "shop") == (
        "release webapp does not exist in namespace shop (no release record): helm_revision changes an "
        "installed release")


def test_an_uninstalled_release_is_refused_by_name():
    assert refusal(current(status="uninstalled"), "webapp", "shop") == (
        "release webapp in namespace shop is uninstalled (revision 7): helm_revision changes an installed release")


@pytest.mark.parametrize("status", ["deployed", "failed", "pending-upgrade"])
def test_an_installed_release_is_not_refused(status):
    assert refusal(current(status=status), "webapp", "shop") is None


def test_the_upgrade_resets_to_the_complete_values_without_install_or_wait():
    assert upgrade_argv("/bin/helm", "webapp", "/charts/webapp", "shop", "/tmp/v.json") == [
        "/bin/helm", "upgrade", "webapp", "/charts/webapp", "--namespace", "shop", "--values", "/tmp/v.json",
        "--reset-values", "--output", "json"]


def test_the_description_is_one_argument_on_one_line_cut_to_what_helm_accepts():
    argv = upgrade_argv("helm", "webapp", "c", "shop", "v", description="canary 1/3:\n  10% to $TAG ~ v2 " + "x" * 300)
    text = argv[argv.index("--description") + 1]
    assert text.startswith("canary 1/3: 10% to $TAG ~ v2 x") and len(text) == DESCRIPTION_MAX


@pytest.mark.parametrize("description", [None, "", " \n "])
def test_without_a_description_helm_writes_its_own(description):
    assert "--description" not in upgrade_argv("helm", "webapp", "c", "shop", "v", description=description)


def test_history_max_is_passed_when_given_zero_included():
    assert upgrade_argv("helm", "webapp", "c", "shop", "v", history_max=10)[-2:] == ["--history-max", "10"]
    assert upgrade_argv("helm", "webapp", "c", "shop", "v", history_max=0)[-2:] == ["--history-max", "0"]


@pytest.mark.parametrize("server_side, force_conflicts, flags", [
    (None, None, []),  # helm 3: helm_flags gives null for both
    (None, False, []),
    ("auto", False, ["--server-side=auto"]),
    ("auto", True, ["--server-side=auto", "--force-conflicts"]),
    ("true", True, ["--server-side=true", "--force-conflicts"]),
    ("false", False, ["--server-side=false"]),
])
def test_helm_4_apply_flags_only_when_given(server_side, force_conflicts, flags):
    argv = upgrade_argv("helm", "webapp", "c", "shop", "v", server_side=server_side, force_conflicts=force_conflicts)
    assert argv[argv.index("json") + 1:] == flags


def test_the_revision_made_is_read_from_helms_json_output():
    out = json.dumps({"name": "webapp", "version": 8, "info": {"status": "deployed"}, "config": VALUES})
    assert upgraded(out + "\n") == dict(revision=8, status="deployed")


@pytest.mark.parametrize("out", ["", "Release \"webapp\" has been upgraded. Happy Helming!\n", "{not json", "[]"])
def test_output_holding_no_release_says_none(out):
    assert upgraded(out) is None
