"""Which revision a rollback goes back to (plugins/module_utils/revisions.py), on helm histories
as release_info reports them: failed upgrades, superseded revisions, and the copies of the
current state an automatic rollback leaves behind."""
from __future__ import annotations

from ansible_collections.kubeha.webapp.plugins.module_utils import revisions


def rev(n, status, state, values=None, description=""):
    """One history entry; ``state`` stands for what the revision runs (manifest and values),
    ``values`` are its user values."""
    return {"revision": n, "status": status, "manifest_sha256": "m-" + state, "values_sha256": "v-" + state,
            "values": values or {"image": {"tag": state}}, "description": description}


def canary(weight, tag="v2", **image):
    """User values of a canary upgrade's step: stable on v1, ``weight`` percent to the canary."""
    return {"image": {"tag": "v1"}, "canary": {"enabled": True, "weight": weight, "image": dict(tag=tag, **image)}}


def canary_upgrade():
    """v1 stable (1), a canary upgrade to v2 through 10, 50 and 100 % (2-4), promoted (5: v2 on the
    stable track, the canary still on), the canary removed (6): v2 alone."""
    promoted = {"image": {"tag": "v2"}, "canary": {"enabled": True, "weight": 100, "image": {"tag": "v2"}}}
    return [rev(1, "superseded", "v1"),
            rev(2, "superseded", "c10", canary(10)), rev(3, "superseded", "c50", canary(50)),
            rev(4, "superseded", "c100", canary(100)), rev(5, "superseded", "promoted", promoted),
            rev(6, "deployed", "v2")]


def test_previous_is_the_revision_before_the_current_one():
    history = [rev(1, "superseded", "v1"), rev(2, "deployed", "v2")]
    assert revisions.previous_good_revision(history, 2) == 1


def test_previous_skips_a_failed_revision():
    # v1 and v2 ran, the upgrade to revision 3 failed, revision 4 is current: back to 2, not 3.
    history = [rev(1, "superseded", "v1"), rev(2, "superseded", "v2"), rev(3, "failed", "broken"),
               rev(4, "deployed", "v3")]
    assert revisions.previous_good_revision(history, 4) == 2


def test_previous_skips_copies_of_the_current_state_left_by_an_automatic_rollback():
    # 1 v1, 2 v2 (failed, marked so), 3 = rollback to 1 (same state as 1), 4 v2 again, 5 = rollback to 3.
    history = [rev(1, "superseded", "v1"), rev(2, "failed", "v2"), rev(3, "superseded", "v1"),
               rev(4, "superseded", "v2b"), rev(5, "deployed", "v1")]
    assert revisions.previous_good_revision(history, 5) == 4


def test_a_values_only_change_counts_as_different():
    history = [{"revision": 1, "status": "superseded", "manifest_sha256": "m", "values_sha256": "a"},
               {"revision": 2, "status": "deployed", "manifest_sha256": "m", "values_sha256": "b"}]
    assert revisions.previous_good_revision(history, 2) == 1


def test_no_previous_when_only_failed_or_identical_revisions_precede():
    history = [rev(1, "failed", "v0"), rev(2, "superseded", "v1"), rev(3, "deployed", "v1")]
    assert revisions.previous_good_revision(history, 3) is None


def test_last_good_is_the_current_revision_when_deployed_else_the_last_deployed():
    assert revisions.last_good_revision({"revision": 7, "status": "deployed"}) == 7
    assert revisions.last_good_revision({"revision": 7, "status": "failed"}, last_deployed_revision=5) == 5
    assert revisions.last_good_revision({"revision": 1, "status": "pending-install"}) is None
    assert revisions.last_good_revision(None) is None


def test_rollback_choice_previous():
    history = [rev(1, "superseded", "v1"), rev(2, "deployed", "v2")]
    assert revisions.rollback_choice(history, 2, 0, "web") == {"target": 1, "noop": False, "error": ""}


def test_rollback_choice_named_revision_with_the_current_state_is_a_noop():
    history = [rev(1, "superseded", "v1"), rev(2, "superseded", "v2"), rev(3, "deployed", "v1")]
    assert revisions.rollback_choice(history, 3, 1, "web") == {"target": 1, "noop": True, "error": ""}
    assert revisions.rollback_choice(history, 3, 3, "web")["noop"] is True
    assert revisions.rollback_choice(history, 3, 2, "web")["noop"] is False


def test_rollback_choice_names_the_setting_for_a_revision_not_kept():
    history = [rev(4, "superseded", "v1"), rev(5, "deployed", "v2")]
    choice = revisions.rollback_choice(history, 5, 999, "web")
    assert choice["error"] == ("rollback_revision=999: revision 999 of release web is not in its history "
                               "(kept: 4, 5; current: 5)")


def test_rollback_choice_without_a_previous_revision_lists_the_history():
    history = [rev(1, "failed", "v0"), rev(2, "deployed", "v1")]
    choice = revisions.rollback_choice(history, 2, 0, "web")
    assert choice["target"] == 0
    assert "rollback_revision=0: release web has no earlier revision that ran fine" in choice["error"]
    assert "history: 1 failed, 2 deployed" in choice["error"]


def test_newest_ran_fine_ignores_failed_and_pending_revisions():
    history = [rev(1, "superseded", "v1"), rev(2, "deployed", "v2"), rev(3, "failed", "v3"),
               rev(4, "pending-upgrade", "v4")]
    assert revisions.newest_ran_fine(history) == 2
    assert revisions.newest_ran_fine([rev(1, "failed", "v1")]) is None


def test_previous_after_a_canary_upgrade_is_the_stable_release_before_it_not_a_canary_step():
    assert revisions.previous_good_revision(canary_upgrade(), 6) == 1


def test_previous_from_the_middle_of_a_canary_upgrade_is_the_stable_release_before_it():
    history = canary_upgrade()[:3]  # 1 v1, 2 at 10 %, 3 at 50 % (current)
    assert revisions.previous_good_revision(history, 3) == 1


def test_a_revision_with_the_canary_turned_off_is_a_target():
    # canary values left behind, but enabled false: all traffic on the stable track
    off = {"image": {"tag": "v2"}, "canary": {"enabled": False, "weight": 0, "image": {"tag": "v2"}}}
    history = [rev(1, "superseded", "v1"), rev(2, "superseded", "v2", off), rev(3, "deployed", "v3")]
    assert revisions.previous_good_revision(history, 3) == 2


def test_a_canary_at_weight_0_is_still_a_canary_step():
    # an abort's first step: no route traffic to the canary, but its pods run (and, without a
    # route, take their share of the Service's traffic)
    history = [rev(1, "superseded", "v1"), rev(2, "superseded", "c0", canary(0)), rev(3, "deployed", "v3")]
    assert revisions.previous_good_revision(history, 3) == 1


def test_rollback_choice_previous_skips_canary_steps():
    assert revisions.rollback_choice(canary_upgrade(), 6, 0, "web") == {"target": 1, "noop": False, "error": ""}


def test_rollback_choice_with_only_canary_steps_before_says_so_in_the_history():
    history = [rev(1, "superseded", "c10", canary(10)), rev(2, "deployed", "c50", canary(50))]
    choice = revisions.rollback_choice(history, 2, 0, "web")
    assert choice["target"] == 0
    assert "rollback_revision=0: release web has no earlier revision that ran fine" in choice["error"]
    assert "history: 1 superseded (canary step), 2 deployed (canary step)" in choice["error"]


def test_rollback_choice_refuses_a_canary_step_asked_for_and_names_the_way_back():
    choice = revisions.rollback_choice(canary_upgrade(), 6, 3, "web")
    assert choice["target"] == 3
    assert choice["noop"] is False
    assert choice["error"] == (
        "rollback_revision=3: revision 3 of release web is a step of a canary upgrade (canary.enabled, 50% of "
        "the traffic to the canary v2), not a state to roll back to: a rollback returns to all traffic on one "
        "track; rollback_revision=0 goes back to revision 1")


def test_rollback_choice_refuses_the_promote_step_asked_for():
    assert "revision 5 of release web is a step of a canary upgrade" in revisions.rollback_choice(
        canary_upgrade(), 6, 5, "web")["error"]


def test_rollback_choice_refusing_a_canary_step_without_a_way_back_lists_the_history():
    history = [rev(1, "superseded", "c10", canary(10)), rev(2, "deployed", "v2")]
    error = revisions.rollback_choice(history, 2, 1, "web")["error"]
    assert error.startswith("rollback_revision=1: revision 1 of release web is a step of a canary upgrade")
    assert error.endswith("name a revision that is no canary step (history: 1 superseded (canary step), 2 deployed)")


def test_rollback_choice_a_stable_revision_asked_for_after_a_canary_upgrade():
    assert revisions.rollback_choice(canary_upgrade(), 6, 1, "web") == {"target": 1, "noop": False, "error": ""}


def test_canary_in_progress_of_a_canary_step():
    release = rev(3, "deployed", "c50", canary(50),
                  description="kubeha.webapp canary 2/3: 50% of traffic to reg/kubeha/web:v2")
    assert revisions.canary_in_progress(release) == {
        "weight": 50, "image": "v2", "revision": 3,
        "description": "kubeha.webapp canary 2/3: 50% of traffic to reg/kubeha/web:v2"}


def test_canary_in_progress_gives_the_digest_when_set_as_the_chart_runs_it():
    digest = "sha256:" + "a" * 64
    release = rev(2, "deployed", "c10", canary(10, tag="v2", digest=digest))
    assert revisions.canary_in_progress(release)["image"] == digest


def test_canary_in_progress_weight_unset_is_the_charts_0():
    release = rev(2, "deployed", "c", {"canary": {"enabled": True, "image": {"tag": "v2"}}})
    assert revisions.canary_in_progress(release)["weight"] == 0


def test_no_canary_in_progress_without_the_canary_track():
    assert revisions.canary_in_progress(rev(1, "deployed", "v1")) is None
    off = rev(2, "deployed", "v2", {"canary": {"enabled": False, "weight": 50, "image": {"tag": "v2"}}})
    assert revisions.canary_in_progress(off) is None
    assert revisions.canary_in_progress(canary_upgrade()[-1]) is None
