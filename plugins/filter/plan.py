# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""What the roles decide before a change, as filters over plugins/module_utils (the rules live
there, with their unit tests in tests/unit):

settings_errors(settings, role)        every wrong setting of a role, each naming its variable
install_plan(live, settings[, checked]) values of an install; keeps what scale/upgrade/rollback set
upgrade_plan(live, settings[, checked]) values of an upgrade to a new image; from/to references
scale_values(live, replicas)           the live values with another replica count
change_blocker(live, op, chart_ref, allow_chart_change)   why scale/upgrade may not run, or ''
image_check_policy(live, values, ref)  the pull policy a pre-change image check honours, or skip
last_good_revision(live)               the revision a failed change returns to (None: none)
rollback_choice(live, requested, release)   target revision, noop, error of rollback.yml
deployment_name(live, release, values, override)   the Deployment a rollout watch follows
watch_plan(live, next_verify)         how the rollout watch runs (was_ready, until, probe)
helm_flags(live, server_side)          helm 4's --server-side and --force-conflicts for the next change
drift_lines(drift, deployment)         hand changes (release_info's live.drift) as message lines
failed_change_outcome(rollback, rollout, reverify_error, verified, last_good, check_mode)
                                       what became of a release whose change failed
failure_parts(message)                 a failure message's reason and its pod-by-pod explanation
with_explanation(reason, lines)        a reason followed by such an explanation
chart_source(ref, version, pull_dir)   where the chart comes from: a directory, or an oci:// chart pulled once
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kubeha.webapp.plugins.module_utils import (
    apply_mode, chart_source, drift, failure_report, outcomes, release_plan, revisions, settings,
)


def settings_errors(values, role):
    return settings.errors(role, values)


def last_good_revision(live):
    if not (live or {}).get("exists"):
        return None
    return revisions.last_good_revision(live["release"], live.get("last_deployed_revision"))


def rollback_choice(live, requested=0, release="release"):
    return revisions.rollback_choice(live.get("history") or [], live["release"]["revision"], requested, release)


def failure_parts(message):
    reason, why = failure_report.split_message(message)
    return dict(reason=reason, why=why)


class FilterModule(object):
    def filters(self):
        return {
            "settings_errors": settings_errors,
            "install_plan": release_plan.install_plan,
            "upgrade_plan": release_plan.upgrade_plan,
            "scale_values": release_plan.scale_values,
            "change_blocker": release_plan.change_blocker,
            "image_check_policy": release_plan.image_check_policy,
            "last_good_revision": last_good_revision,
            "rollback_choice": rollback_choice,
            "deployment_name": release_plan.deployment_name,
            "failed_change_outcome": outcomes.failed_change_outcome,
            "failure_parts": failure_parts,
            "chart_source": chart_source.source,
            "with_explanation": failure_report.with_explanation,
            "watch_plan": release_plan.watch_plan,
            "helm_flags": apply_mode.release_flags,
            "drift_lines": drift.drift_lines,
        }
