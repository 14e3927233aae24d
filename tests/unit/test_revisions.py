"""Which revision a rollback goes back to (plugins/module_utils/revisions.py), on helm histories
as release_info reports them: failed upgrades, superseded revisions, and the copies of the
current state an automatic rollback leaves behind."""
from __future__ import annotations

from ansible_collections.kubeha.webapp.plugins.module_utils import revisions


def rev(n, status, state):
    """One history entry; ``state`` stands for what the revision runs (manifest and values)."""
    return {"revision": n, "status": status, "manifest_sha256": "m-" + state, "values_sha256": "v-" + state}


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
