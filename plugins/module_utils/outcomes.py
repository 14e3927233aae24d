# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""What became of a release whose change failed: the sentence the failure message and the summary
end with, so that a run never says less (or more) than the cluster's state."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def failed_change_outcome(rollback, rollout=None, reverify_error=None, verified=False, last_good=None,
                          check_mode=False):
    """``rollback``: helm_rollback's registered result (``changed``, ``skipped``, ``to_revision``,
    ``revision``), or None when it did not run; ``rollout``: the rollback's rollout watch
    (``status``, ``message``); ``reverify_error``: why the revision rolled back to failed its
    verification too (None: it passed, or did not run); ``verified``: verify runs after a rollback."""
    rollback = rollback or {}
    if rollback.get("changed"):
        text = "rolled back to revision %s (now revision %s)" % (rollback.get("to_revision"), rollback.get("revision"))
        rollout = rollout or {}
        if rollout.get("status") != "complete":
            return text + ", BUT the rollback did not roll out either: %s" % rollout.get("message", "")
        if reverify_error is not None:
            return text + ", which is serving again but does not pass verification either: %s" % reverify_error
        return text + ", which is serving again" + (" and passes verification" if verified else "")
    if not rollback or rollback.get("skipped"):
        if check_mode:
            why = "check mode"
        elif last_good in (None, ""):
            why = "no earlier good revision"
        else:
            why = "webapp_apply_rollback is off"
        return "not rolled back (%s)" % why
    return "nothing to roll back (revision %s is still the current one)" % last_good
