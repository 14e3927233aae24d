# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Which revision of a release to go back to: the one home of that rule.

A history is a list of revision summaries as ``helm_release.summarize_release`` (and so
``release_info``) returns them: ``revision``, ``status``, ``manifest_sha256``, ``values_sha256``,
and ``values`` (the user values), which tell a step of a canary upgrade (``canary.enabled``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Statuses of revisions that ran fine: the current one (deployed) or one replaced by a later
# change (superseded). A failed, pending or uninstalled revision is never a target of "previous".
RAN_FINE = ("deployed", "superseded")


def _canary(summary):
    """The ``canary`` user values of a revision when they turn the chart's canary track on, else
    None. On as the chart's templates take it (``if .Values.canary.enabled``: any true value)."""
    canary = ((summary or {}).get("values") or {}).get("canary")
    return canary if isinstance(canary, dict) and canary.get("enabled") else None


def is_canary_step(summary):
    """Whether a revision is a step of a canary upgrade: its values run the canary track, a second
    Deployment taking part of the traffic (or, at weight 0, still part of it without a route). A
    transitional state, never a state to roll back to."""
    return _canary(summary) is not None


def canary_in_progress(release):
    """The canary a revision (release_info's ``release``, or one history entry with its values)
    runs: ``weight`` (percent of the traffic), ``image`` (``canary.image.digest``, else its
    ``tag``, as given: the digest wins, as in the chart), ``revision`` and ``description``.
    None when its values do not turn the canary track on."""
    canary = _canary(release)
    if canary is None:
        return None
    image = canary.get("image") or {}
    return dict(
        weight=int(canary.get("weight") or 0),
        image=image.get("digest") or image.get("tag") or "",
        revision=int(release["revision"]),
        description=release.get("description", ""),
    )


def _by_revision(history):
    return dict((int(h["revision"]), h) for h in history or [])


def _same_state(a, b):
    return (a.get("manifest_sha256") == b.get("manifest_sha256")
            and a.get("values_sha256") == b.get("values_sha256"))


def previous_good_revision(history, current):
    """The release that ran before ``current``: the newest earlier revision that ran fine and runs
    something else (an automatic rollback leaves copies of the current state behind it, and a
    failed revision is no way back), and is no step of a canary upgrade (a rollback returns to all
    traffic on one track). Like ``kubectl rollout undo``, which steps back to the previous
    different pod template. None when there is none."""
    revisions = _by_revision(history)
    now = revisions.get(int(current))
    if now is None:
        return None
    candidates = [r for r, h in revisions.items()
                  if r < int(current) and h.get("status") in RAN_FINE and not _same_state(h, now)
                  and not is_canary_step(h)]
    return max(candidates) if candidates else None


def newest_ran_fine(history):
    """The newest revision that ran fine (deployed, or superseded by a later change); None if none."""
    good = [int(h["revision"]) for h in history or [] if h.get("status") in RAN_FINE]
    return max(good) if good else None


def last_good_revision(release, last_deployed_revision=None):
    """The revision to return to when a change fails: the current one when it is deployed, else
    the last one that was (release_info's ``last_deployed_revision``). None for no release."""
    if not release:
        return None
    if release.get("status") == "deployed":
        return int(release["revision"])
    return int(last_deployed_revision) if last_deployed_revision else None


def _history_text(history):
    return ", ".join("%s %s%s" % (h["revision"], h.get("status"), " (canary step)" if is_canary_step(h) else "")
                     for h in sorted(history or [], key=lambda h: int(h["revision"])))


def rollback_choice(history, current, requested=0, release="release"):
    """What rollback.yml does: ``target`` (a revision), ``noop`` (the target already runs: same
    manifest and values as the current revision) and ``error`` (why there is no target, naming
    ``rollback_revision``; empty when there is one). A step of a canary upgrade is never a target,
    asked for or not: a rollback returns to a state with all traffic on one track."""
    requested = int(requested or 0)
    revisions = _by_revision(history)
    if requested > 0:
        target = requested
        if target not in revisions:
            return dict(target=target, noop=False, error=(
                "rollback_revision=%d: revision %d of release %s is not in its history (kept: %s; current: %s)"
                % (requested, target, release, ", ".join(str(r) for r in sorted(revisions)), current)))
        if is_canary_step(revisions[target]):
            step = canary_in_progress(revisions[target])
            previous = previous_good_revision(history, current)
            return dict(target=target, noop=False, error=(
                "rollback_revision=%d: revision %d of release %s is a step of a canary upgrade (canary.enabled, "
                "%d%% of the traffic to the canary %s), not a state to roll back to: a rollback returns to all "
                "traffic on one track; %s"
                % (requested, target, release, step["weight"], step["image"] or "image",
                   "rollback_revision=0 goes back to revision %d" % previous if previous
                   else "name a revision that is no canary step (history: %s)" % _history_text(history))))
    else:
        target = previous_good_revision(history, current)
        if target is None:
            return dict(target=0, noop=False, error=(
                "rollback_revision=0: release %s has no earlier revision that ran fine and differs from the "
                "current one (revision %s; history: %s); name one with rollback_revision"
                % (release, current, _history_text(history))))
    now = revisions.get(int(current))
    noop = now is not None and _same_state(revisions[target], now)
    return dict(target=target, noop=noop, error="")
