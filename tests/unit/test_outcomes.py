"""What a failed change says became of the release (plugins/module_utils/outcomes.py)."""
from __future__ import annotations

from ansible_collections.kubeha.webapp.plugins.module_utils.outcomes import failed_change_outcome

ROLLED_BACK = {"changed": True, "to_revision": 3, "revision": 5}
COMPLETE = {"status": "complete", "message": "3 of 3 updated replicas are available"}


def test_rolled_back_and_serving_again():
    assert failed_change_outcome(ROLLED_BACK, COMPLETE) == (
        "rolled back to revision 3 (now revision 5), which is serving again")
    assert failed_change_outcome(ROLLED_BACK, COMPLETE, verified=True).endswith(
        "which is serving again and passes verification")


def test_rolled_back_but_the_old_revision_fails_its_verification_too():
    assert failed_change_outcome(ROLLED_BACK, COMPLETE, reverify_error="clusterip: 503", verified=True) == (
        "rolled back to revision 3 (now revision 5), which is serving again but does not pass verification "
        "either: clusterip: 503")


def test_a_rollback_that_does_not_roll_out_is_not_called_serving():
    out = failed_change_outcome(ROLLED_BACK, {"status": "failed", "message": "pod web-1: CrashLoopBackOff"})
    assert out == ("rolled back to revision 3 (now revision 5), BUT the rollback did not roll out either: "
                   "pod web-1: CrashLoopBackOff")
    assert "serving" not in out


def test_not_rolled_back_says_why():
    skipped = {"changed": False, "skipped": True}
    assert failed_change_outcome(skipped, check_mode=True) == "not rolled back (check mode)"
    assert failed_change_outcome(None, last_good=None) == "not rolled back (no earlier good revision)"
    assert failed_change_outcome(skipped, last_good=4) == "not rolled back (webapp_apply_rollback is off)"


def test_nothing_to_roll_back_when_the_last_good_revision_is_still_current():
    assert failed_change_outcome({"changed": False}, last_good=4) == (
        "nothing to roll back (revision 4 is still the current one)")
