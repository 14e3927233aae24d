#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: helm_revision
short_description: Make one revision of an installed Helm release, with its description, in one helm call
version_added: 1.1.0
description:
  - Runs one C(helm upgrade) of an installed release with a local chart directory and the complete
    values of the new revision (C(--reset-values)), and gives the revision its description in
    C(helm history) (C(--description)) - what C(kubernetes.core.helm) followed by
    M(kubeha.webapp.revision_note) does, in one helm command instead of several.
  - No C(--install) (a release that does not exist, or was uninstalled, fails the task, naming it)
    and no C(--wait) (the caller watches what it needs).
  - Idempotent - nothing runs when the current revision is C(deployed), has exactly these values
    and the chart of I(chart_ref) (name, version and appVersion of its C(Chart.yaml)). The release
    is read from its release records through the API (a list of the Secrets of its namespace), so
    a revision needs one helm command and no more.
  - Check mode reports whether a revision would be made without running anything; diff mode shows
    the values of the current revision and of the new one.
  - Connection options are those of kubernetes.core's helm modules
    (C(group/kubeha.webapp.helm) extends C(group/kubernetes.core.helm)).
extends_documentation_fragment:
  - kubeha.webapp.options.helm
options:
  chart_ref:
    description: Path of the chart directory (the one holding C(Chart.yaml)).
    type: path
    required: true
  release_values:
    description:
      - The complete values of the new revision (C(--reset-values) - none of the current
        revision's values are kept unless given here again).
    type: dict
    default: {}
  description:
    description:
      - The revision's description in C(helm history). Whitespace, line breaks included, is folded
        to single spaces; text beyond the 256 characters helm accepts is cut, with an ellipsis.
        Empty - helm's own (C(Upgrade complete)).
    type: str
  history_max:
    description: Revisions Helm keeps (C(--history-max)); 0 keeps every revision. Unset - helm's default.
    type: int
  server_side:
    description:
      - helm 4's C(--server-side), passed only when set; helm 3 fails on it (leave it unset there,
        as the C(kubeha.webapp.helm_flags) filter says with null).
    type: str
    choices: [auto, "true", "false"]
  force_conflicts:
    description:
      - helm 4's C(--force-conflicts), passed only when true - the release's values win over fields
        taken by hand, where helm applies server-side. Refused with I(server_side=false).
    type: bool
    default: false
requirements:
  - helm >= 3.8 (helm 4 for I(server_side) and I(force_conflicts))
  - PyYAML
author:
  - kubeha maintainers (@kubeha)
"""

EXAMPLES = r"""
- name: One step of a canary upgrade, described in helm history
  kubeha.webapp.helm_revision:
    release_name: webapp
    release_namespace: webapp
    chart_ref: "{{ webapp_chart.dir }}"
    release_values: "{{ webapp_canary_change['values'] }}"
    description: "kubeha.webapp canary 1/3: 10% of traffic to reg/kubeha/web:v2"
    history_max: 10
    server_side: "{{ webapp_flags.server_side if webapp_flags.server_side is not none else omit }}"
    force_conflicts: "{{ webapp_flags.force_conflicts if webapp_flags.force_conflicts is not none else omit }}"
  vars:
    webapp_flags: "{{ webapp_live | kubeha.webapp.helm_flags('auto') }}"
"""

RETURN = r"""
revision:
  description: The current revision - the new one when something changed (the one before in check mode).
  returned: always
  type: int
  sample: 8
status:
  description: Status of that revision (C(deployed) after a successful upgrade).
  returned: always
  type: str
  sample: deployed
from_revision:
  description: The revision that was current before.
  returned: always
  type: int
  sample: 7
changes:
  description: What the new revision changes (C(values), the chart, a current revision not C(deployed)); empty when nothing changed.
  returned: always
  type: list
  elements: str
  sample: [values]
command:
  description: The helm command run (or that would run, in check mode), its values file a temporary file removed afterwards.
  returned: when changed
  type: list
  elements: str
stdout:
  description: helm's output.
  returned: when helm failed
  type: str
stderr:
  description: helm's error output.
  returned: when helm failed
  type: str
"""

import json
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.kubeha.webapp.plugins.module_utils.helm_release import (
    list_releases,
    summarize_release,
    values_text,
)
from ansible_collections.kubeha.webapp.plugins.module_utils.helm_upgrade import (
    differences,
    refusal,
    upgrade_argv,
    upgraded,
)
from ansible_collections.kubeha.webapp.plugins.module_utils.apply_mode import SERVER_SIDE_CHOICES
from ansible_collections.kubeha.webapp.plugins.module_utils.kube_client import api_client
from ansible_collections.kubeha.webapp.plugins.module_utils.kube_errors import KubeError, describe_error
from ansible_collections.kubeha.webapp.plugins.module_utils.options import HELM_RELEASE_OPTIONS, argument_spec
from ansible_collections.kubernetes.core.plugins.module_utils.helm import AnsibleHelmModule
from ansible_collections.kubernetes.core.plugins.module_utils.helm_args_common import (
    HELM_AUTH_ARG_SPEC,
    HELM_AUTH_MUTUALLY_EXCLUSIVE,
)

try:
    import yaml

    HAS_YAML = True
except ImportError:  # pragma: no cover
    HAS_YAML = False


def chart_metadata(module, chart_ref):
    """The chart directory's Chart.yaml."""
    path = os.path.join(chart_ref, "Chart.yaml")
    if not os.path.isfile(path):
        module.fail_json(msg="chart_ref %s is no chart directory (it has no Chart.yaml)" % chart_ref)
    if not HAS_YAML:
        module.fail_json(msg=missing_required_lib("PyYAML"))
    try:
        with open(path) as f:
            chart = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as exc:
        module.fail_json(msg="cannot read %s: %s" % (path, exc))
    if not isinstance(chart, dict) or not chart.get("name") or not chart.get("version"):
        module.fail_json(msg="%s names no chart (name and version)" % path)
    return chart


def current_revision(module, release, namespace):
    """The summary of the release's newest revision, None when it has none."""
    try:
        records = list_releases(api_client(module), namespace, release)
    except KubeError as exc:
        module.fail_json(msg="cannot read the release %s: %s" % (release, exc))
    except Exception as exc:  # ApiError and transport errors
        module.fail_json(msg="cannot read the release %s: %s" % (release, describe_error(exc, what="release records")))
    return summarize_release(records[-1]) if records else None


def values_file(module, values):
    """A temporary file holding the values (JSON, which helm reads as YAML), removed at exit."""
    fd, path = tempfile.mkstemp(prefix="kubeha-values-", suffix=".json")
    module.add_cleanup_file(path)
    with os.fdopen(fd, "w") as f:
        json.dump(values, f, sort_keys=True)
    return path


def main(module_class=AnsibleModule):
    spec = argument_spec(
        HELM_AUTH_ARG_SPEC,
        HELM_RELEASE_OPTIONS,
        chart_ref=dict(type="path", required=True),
        release_values=dict(type="dict", default={}),
        description=dict(type="str"),
        history_max=dict(type="int"),
        server_side=dict(type="str", choices=list(SERVER_SIDE_CHOICES)),
        force_conflicts=dict(type="bool", default=False),
    )
    module = AnsibleHelmModule(module=module_class(
        argument_spec=spec,
        mutually_exclusive=HELM_AUTH_MUTUALLY_EXCLUSIVE,
        supports_check_mode=True,
    ))
    p = module.params
    release, namespace = p["release_name"], p["release_namespace"]
    # plain dicts and strings: in Ansible's worker (plugin_utils/in_process.py) the values are
    # Ansible's own subclasses, which YAML cannot represent (the diff)
    values = json.loads(json.dumps(p["release_values"] or {}))
    if p["force_conflicts"] and p["server_side"] == "false":
        module.fail_json(msg="force_conflicts needs server-side apply, and server_side is false")

    chart = chart_metadata(module, p["chart_ref"])
    current = current_revision(module, release, namespace)
    refused = refusal(current, release, namespace)
    if refused:
        module.fail_json(msg=refused)
    changes = differences(current, chart, values)
    result = dict(changed=False, revision=current["revision"], status=current["status"],
                  from_revision=current["revision"], changes=changes)
    if not changes:
        module.exit_json(msg="revision %d of %s already runs these values and chart %s-%s" % (
            current["revision"], release, chart["name"], chart["version"]), **result)

    argv = upgrade_argv(module.get_helm_binary(), release, p["chart_ref"], namespace, values_file(module, values),
                        description=p["description"], history_max=p["history_max"],
                        server_side=p["server_side"], force_conflicts=p["force_conflicts"])
    result.update(changed=True, command=argv)
    if module._diff:
        result["diff"] = dict(
            before=values_text(current["values"] or {}), after=values_text(values),
            before_header="%s values, revision %d (current)" % (release, current["revision"]),
            after_header="%s values, the new revision" % release,
        )
    if module.check_mode:
        module.exit_json(**result)

    # not run_helm_command: its run_command would expand $VARS and ~ in the description
    rc, out, err = module.run_command(argv, environ_update=module.env_update, expand_user_and_vars=False)
    if rc != 0:
        module.fail_json(msg="helm upgrade %s failed: %s" % (release, (err or out).strip()),
                         stdout=out, stderr=err, **result)
    made = upgraded(out) or {}
    if not made:  # helm printed no release: read it back
        after = current_revision(module, release, namespace) or {}
        made = dict(revision=after.get("revision"), status=after.get("status"))
    result.update(made)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
