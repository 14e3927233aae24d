# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""One revision of an installed release made by one ``helm upgrade`` (helm_revision): whether the
release needs it, the command line, and what helm says it made (standard library only).

The release's current revision is the summary of helm_release.summarize_release; the chart is
the metadata of the chart directory's Chart.yaml."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.kubeha.webapp.plugins.module_utils.helm_description import description as helm_description


def refusal(current, release, namespace):
    """Why the release cannot be upgraded (it has no revision, or was uninstalled), or None.
    ``current``: the summary of its newest revision, None when it has none."""
    if current is None:
        return "release %s does not exist in namespace %s (no release record): helm_revision changes an " \
               "installed release" % (release, namespace)
    if str(current.get("status") or "").startswith("uninstall"):
        return "release %s in namespace %s is %s (revision %s): helm_revision changes an installed release" % (
            release, namespace, current["status"], current.get("revision"))
    return None


def _text(value):
    # Chart.yaml may hold a version or appVersion YAML reads as a number; helm stores strings.
    return "" if value is None else str(value)


def differences(current, chart, values):
    """What a new revision with these values and this chart would change in the current one, one
    text each; empty: nothing (the revision is deployed, with the same values and chart)."""
    found = []
    if current.get("status") != "deployed":
        found.append("revision %s is %s" % (current.get("revision"), current.get("status")))
    deployed = "%s-%s" % (_text(current.get("chart_name")), _text(current.get("chart_version")))
    wanted = "%s-%s" % (_text(chart.get("name")), _text(chart.get("version")))
    if deployed != wanted:
        found.append("chart %s, not %s" % (wanted, deployed))
    elif _text(chart.get("appVersion")) != _text(current.get("app_version")):
        found.append("chart %s appVersion %s, not %s" % (
            wanted, _text(chart.get("appVersion")) or '""', _text(current.get("app_version")) or '""'))
    if (current.get("values") or {}) != (values or {}):
        found.append("values")
    return found


def upgrade_argv(helm, release, chart_ref, namespace, values_file, description=None, history_max=None,
                 server_side=None, force_conflicts=False):
    """The ``helm upgrade`` making the revision: the complete values from ``values_file``
    (--reset-values: nothing of the previous revision's values stays), no --install and no --wait,
    the release as JSON on stdout (its revision number). ``server_side`` ("auto", "true", "false")
    and ``force_conflicts`` are helm 4's flags, given only when set."""
    argv = [helm, "upgrade", release, chart_ref, "--namespace", namespace, "--values", values_file,
            "--reset-values", "--output", "json"]
    text = helm_description(description)
    if text:
        argv += ["--description", text]
    if history_max is not None:
        argv += ["--history-max", str(int(history_max))]
    if server_side is not None:
        argv.append("--server-side=%s" % server_side)
    if force_conflicts:
        argv.append("--force-conflicts")
    return argv


def upgraded(stdout):
    """{revision, status} of the release ``helm upgrade --output json`` printed; None when its
    output holds no release."""
    text = stdout or ""
    start = text.find("{")
    if start < 0:
        return None
    try:
        rel = json.loads(text[start:])
    except ValueError:
        return None
    if not isinstance(rel, dict) or "version" not in rel:
        return None
    return dict(revision=int(rel["version"]), status=(rel.get("info") or {}).get("status"))
