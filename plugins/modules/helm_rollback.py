#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: helm_rollback
short_description: Roll a Helm release back to the previous or a chosen revision
version_added: 1.0.0
description:
  - Runs C(helm rollback) to a chosen revision, or to the previous one (revision C(0)), as Helm
    does - the rollback is recorded as a new revision whose description is C(Rollback to N).
  - Idempotent, nothing happens when the chosen revision is the current one.
  - Check mode reports what would change without running anything; diff mode shows the release
    values of the current and the chosen revision.
  - Connection options are those of kubernetes.core's helm modules
    (C(group/kubeha.webapp.helm) extends C(group/kubernetes.core.helm)).
extends_documentation_fragment:
  - kubeha.webapp.options.helm
options:
  revision:
    description:
      - Revision to roll back to. C(0) - the previous one, the rule C(rollback.yml) follows too
        (plugins/module_utils/revisions.py) - the newest earlier revision that ran fine
        (C(deployed) or C(superseded), never C(failed)), runs something else than the current
        one (an automatic rollback leaves copies of the current state behind it) and is no step of
        a canary upgrade (values with C(canary.enabled); a rollback returns to all traffic on one
        track). A revision named here is rolled back to whatever it is.
    type: int
    default: 0
  wait:
    description: Pass C(--wait) to helm (this collection's roles watch the rollout themselves instead).
    type: bool
    default: false
  timeout:
    description: Helm C(--timeout) (a Go duration such as C(5m0s)), used with I(wait).
    type: str
    default: 5m0s
  history_max:
    description: Revisions Helm keeps (C(--history-max)); 0 keeps every revision.
    type: int
  mark_failed:
    description:
      - Why the current revision failed. When set, the current revision is recorded as C(failed)
        with this reason before the rollback, as C(helm upgrade --atomic) records an upgrade
        whose wait failed; Helm's rollback would otherwise leave it C(superseded), like a
        revision that ran fine, and a later rollback to "the previous revision" could pick it.
    type: str
  reapply:
    description:
      - Roll back to the current revision itself, recorded with this text as its description.
        helm applies that revision's manifest again, which brings back the fields hand changes
        altered (C(kubectl scale), C(kubectl set image)); C(helm upgrade) with unchanged values
        is skipped by C(kubernetes.core.helm) and would leave them. Ignores I(revision).
    type: str
  server_side:
    description:
      - helm 4's C(--server-side) (C(auto) - as the revision rolled back to was applied). Where
        helm 4 applies server-side, C(--force-conflicts) is passed too (the revision's values win
        over fields taken by hand); helm 3 is given neither flag.
    type: str
    choices: [auto, "true", "false"]
    default: auto
requirements:
  - helm >= 3.8
author:
  - kubeha maintainers (@kubeha)
"""

EXAMPLES = r"""
- name: Back to revision 3
  kubeha.webapp.helm_rollback:
    release_name: webapp
    release_namespace: webapp
    revision: 3
"""

RETURN = r"""
from_revision:
  description: The revision that was current before the rollback.
  returned: always
  type: int
to_revision:
  description: The revision rolled back to.
  returned: always
  type: int
revision:
  description: The current revision after the rollback (a new one when something changed).
  returned: always
  type: int
marked_failed:
  description: Whether the current revision was recorded as failed (see I(mark_failed)).
  returned: when I(mark_failed) is set and something changed
  type: bool
command:
  description: The helm command run (or that would run, in check mode).
  returned: when changed
  type: str
"""

import json
import shlex

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kubeha.webapp.plugins.module_utils.helm_record import read_record, write_record
from ansible_collections.kubeha.webapp.plugins.module_utils.helm_description import description
from ansible_collections.kubeha.webapp.plugins.module_utils.helm_release import (
    list_releases,
    summarize_release,
    values_text,
)
from ansible_collections.kubeha.webapp.plugins.module_utils.apply_mode import SERVER_SIDE_CHOICES, helm_flags
from ansible_collections.kubeha.webapp.plugins.module_utils.kube_client import api_client
from ansible_collections.kubeha.webapp.plugins.module_utils.kube_errors import KubeError, describe_error
from ansible_collections.kubeha.webapp.plugins.module_utils.options import HELM_RELEASE_OPTIONS, argument_spec
from ansible_collections.kubeha.webapp.plugins.module_utils.revisions import previous_good_revision
from ansible_collections.kubernetes.core.plugins.module_utils.helm import AnsibleHelmModule
from ansible_collections.kubernetes.core.plugins.module_utils.helm_args_common import (
    HELM_AUTH_ARG_SPEC,
    HELM_AUTH_MUTUALLY_EXCLUSIVE,
)


def history(module, helm, release):
    rc, out, err = module.run_helm_command(
        "%s history %s --max 256 -o json" % (helm, release), fails_on_error=False
    )
    if rc != 0:
        if "not found" in (err or ""):
            module.fail_json(msg="release %s does not exist in namespace %s" % (
                release, module.params["release_namespace"]))
        module.fail_json(msg="helm history %s failed: %s" % (release, (err or out).strip()))
    return json.loads(out or "[]")


def helm_version(module, helm):
    rc, out, err = module.run_helm_command("%s version --short" % helm, fails_on_error=False)
    return out.strip() if rc == 0 else ""


def values_of(module, helm, release, revision):
    rc, out, err = module.run_helm_command(
        "%s get values %s --revision %d -o json" % (helm, release, revision)
    )
    return json.loads(out or "{}") or {}


def mark_failed(module, release, namespace, revision, reason):
    """Record a revision as failed in its Helm release Secret (status label and record)."""
    try:
        client = api_client(module)
        secret, rel = read_record(client, namespace, release, revision)
        if rel is None or rel.get("info", {}).get("status") == "failed":
            return False
        rel["info"]["status"] = "failed"
        rel["info"]["description"] = ('Upgrade "%s" failed: %s' % (release, " ".join(reason.split())))[:400]
        write_record(client, namespace, release, revision, secret, rel, status="failed")
    except KubeError as exc:
        module.fail_json(msg="cannot record revision %d of %s as failed: %s" % (revision, release, exc))
    except Exception as exc:  # ApiError and transport errors
        module.fail_json(msg="cannot record revision %d of %s as failed: %s" % (
            revision, release, describe_error(exc, what="release record")))
    return True


def release_history(module, release):
    """Every revision summarized from the release records (helm history has no manifests)."""
    try:
        records = list_releases(api_client(module), module.params["release_namespace"], release)
    except KubeError as exc:
        module.fail_json(msg="cannot read the history of %s: %s" % (release, exc))
    except Exception as exc:  # ApiError and transport errors
        module.fail_json(msg="cannot read the history of %s: %s" % (release, describe_error(exc, what="release records")))
    return [summarize_release(r) for r in records]


def previous_revision(module, release, current, history):
    """The previous good revision."""
    target = previous_good_revision(history, current)
    if target is None:
        module.fail_json(msg="release %s has no earlier revision that ran fine, differs from revision %d and is "
                             "no canary step (history: %s); name one with revision" % (
                                 release, current, ", ".join("%s %s" % (h["revision"], h["status"]) for h in history)))
    return target


def main(module_class=AnsibleModule):
    spec = argument_spec(
        HELM_AUTH_ARG_SPEC,
        HELM_RELEASE_OPTIONS,
        revision=dict(type="int", default=0),
        wait=dict(type="bool", default=False),
        timeout=dict(type="str", default="5m0s"),
        history_max=dict(type="int"),
        mark_failed=dict(type="str"),
        reapply=dict(type="str"),
        server_side=dict(type="str", choices=list(SERVER_SIDE_CHOICES), default="auto"),
    )
    module = AnsibleHelmModule(module=module_class(
        argument_spec=spec,
        mutually_exclusive=HELM_AUTH_MUTUALLY_EXCLUSIVE,
        supports_check_mode=True,
    ))
    p = module.params
    helm = module.get_helm_binary()
    release = p["release_name"]
    if p["revision"] < 0:
        module.fail_json(msg="revision must be 0 (previous) or a revision number, got %d" % p["revision"])

    hist = history(module, helm, release)
    if not hist:
        module.fail_json(msg="release %s has no history" % release)
    revisions = sorted(h["revision"] for h in hist)
    current = revisions[-1]
    records = release_history(module, release)
    target = current if p["reapply"] else (p["revision"] or previous_revision(module, release, current, records))
    if target not in revisions:
        module.fail_json(
            msg="revision %d of release %s is not in its history (available: %s)" % (
                target, release, ", ".join(str(r) for r in revisions)),
            available=revisions,
        )
    result = dict(changed=False, from_revision=current, to_revision=target, revision=current)
    if target == current and not p["reapply"]:
        module.exit_json(msg="revision %d is already the current one" % current, **result)

    cmd = "%s rollback %s %d" % (helm, release, target)
    if p["reapply"]:
        cmd += " --description %s" % shlex.quote(description(p["reapply"]))
    applied_with = next((r.get("apply_method") for r in records if r["revision"] == target), None)
    flags = helm_flags(helm_version(module, helm), p["server_side"], applied_with)
    if flags["server_side"]:
        cmd += " --server-side=%s" % flags["server_side"]
    if flags["force_conflicts"]:
        cmd += " --force-conflicts"
    if p["wait"]:
        cmd += " --wait --timeout %s" % p["timeout"]
    if p["history_max"] is not None:
        cmd += " --history-max %d" % p["history_max"]
    result.update(changed=True, command=cmd)

    if module._diff:
        before = values_of(module, helm, release, current)
        after = values_of(module, helm, release, target)
        result["diff"] = dict(
            before=values_text(before), after=values_text(after),
            before_header="%s values, revision %d (current)" % (release, current),
            after_header="%s values, revision %d" % (release, target),
        )
    if module.check_mode:
        module.exit_json(**result)

    if p["mark_failed"]:
        result["marked_failed"] = mark_failed(module, release, p["release_namespace"], current, p["mark_failed"])
    rc, out, err = module.run_helm_command(cmd, fails_on_error=False)
    if rc != 0:
        module.fail_json(msg="helm rollback %s %d failed: %s" % (release, target, (err or out).strip()),
                         stdout=out, stderr=err, **result)
    result["revision"] = max(h["revision"] for h in history(module, helm, release))
    result["stdout"] = out
    module.exit_json(**result)


if __name__ == "__main__":
    main()
