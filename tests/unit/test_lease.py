"""The release lock's decisions: whose Lease it is, when a silent holder's Lease is free to take,
what a waiting run is told, and the Lease a run writes. (Taking it against a real API server, two
runs at once and a killed run: tests/collection/test_concurrent_runs.py.)"""
from __future__ import annotations

import os
import subprocess
import time

from ansible_collections.kubeha.webapp.plugins.module_utils import lease, lease_renewer

DETAILS = {"play": "Upgrade the web app", "cluster": "kubeha", "operation": "upgrade",
           "controller": "root@box pid 41"}
NOW = 1764680462.25  # 2025-12-02T13:01:02.25Z


def live(holder="root@box pid 41", version="7", duration=30):
    body = lease.lease_body("shop", "webapp", holder, DETAILS, duration, NOW)
    body["metadata"].update(resourceVersion=version, uid="u-1")
    return body


def test_a_missing_or_released_lease_is_free():
    assert lease.judge(None, "me", 0) == "free"
    released = live()
    released["spec"]["holderIdentity"] = ""
    assert lease.judge(released, "me", 0) == "free"


def test_this_runs_own_lease_is_mine_however_old():
    assert lease.judge(live(holder="me"), "me", 10_000) == "mine"


def test_another_holders_lease_is_held_until_seen_unchanged_for_its_duration():
    other = live(duration=30)
    assert lease.judge(other, "me", 29.9) == "held"
    assert lease.judge(other, "me", 30) == "expired"


def test_expiry_counts_from_when_this_client_first_saw_the_version_not_from_the_holders_clock():
    observer = lease.Observer()
    assert observer.saw(None, now=90.0) == 0, "no Lease yet: nothing seen for any time"
    first = live(version="7")
    # renewTime says the Lease was renewed long ago (a holder whose clock is behind); what counts is
    # that it has not changed while this client watched.
    first["spec"]["renewTime"] = "2000-01-01T00:00:00.000000Z"
    assert observer.saw(first, now=100.0) == 0
    assert observer.saw(first, now=125.0) == 25.0
    renewed = live(version="8")
    assert observer.saw(renewed, now=131.0) == 0, "a renewal starts the count again"
    assert observer.saw(renewed, now=140.0) == 9.0


def test_a_new_lease_names_its_holder_and_says_who_is_behind_it():
    body = lease.lease_body("shop", "webapp", "root@box pid 41", DETAILS, 30, NOW)
    assert body["metadata"]["name"] == "kubeha-lock-webapp"
    assert body["metadata"]["namespace"] == "shop"
    assert "resourceVersion" not in body["metadata"], "a create is not conditional"
    assert body["spec"] == {"holderIdentity": "root@box pid 41", "leaseDurationSeconds": 30,
                            "renewTime": "2025-12-02T13:01:02.250000Z",
                            "acquireTime": "2025-12-02T13:01:02.250000Z"}
    assert body["metadata"]["annotations"]["kubeha.io/lock-play"] == "Upgrade the web app"


def test_a_renewal_keeps_the_acquire_time_and_is_conditional_on_the_version_read():
    mine = live(holder="me", version="12")
    mine["spec"]["acquireTime"] = "2025-12-02T12:00:00.000000Z"
    mine["spec"]["leaseTransitions"] = 2
    body = lease.lease_body("shop", "webapp", "me", DETAILS, 30, NOW + 10, previous=mine)
    assert body["metadata"]["resourceVersion"] == "12"
    assert body["spec"]["acquireTime"] == "2025-12-02T12:00:00.000000Z"
    assert body["spec"]["leaseTransitions"] == 2
    assert body["spec"]["renewTime"] == "2025-12-02T13:01:12.250000Z"


def test_taking_over_an_expired_lease_starts_a_new_acquire_time_and_counts_a_transition():
    body = lease.lease_body("shop", "webapp", "me", DETAILS, 30, NOW + 60, previous=live(version="12"))
    assert body["spec"]["acquireTime"] == "2025-12-02T13:02:02.250000Z"
    assert body["spec"]["leaseTransitions"] == 1
    assert body["metadata"]["resourceVersion"] == "12"


def test_a_waiting_run_is_told_who_holds_the_lock_from_which_play_and_cluster_since_when():
    text = lease.holder_text(live())
    assert text == ("root@box pid 41 (play 'Upgrade the web app', operation upgrade, cluster kubeha) "
                    "since 2025-12-02T13:01:02.250000Z, last renewed 2025-12-02T13:01:02.250000Z")
    message = lease.refusal("webapp", "shop", live(), 120.4)
    assert message.startswith("release webapp in namespace shop is locked by another run: root@box pid 41")
    assert "Waited 120 s (webapp_lock_wait)" in message
    assert "expire by itself 30 s after its last renewal" in message


def test_the_renewer_finds_the_folder_that_holds_the_collection():
    path = os.sep.join(["", "x", "collections", "ansible_collections", "kubeha", "webapp", "plugins",
                        "module_utils", "lease_renewer.py"])
    assert lease_renewer.collection_root(path) == os.sep.join(["", "x", "collections"])
    zipped = "/tmp/ansible_x/payload.zip/ansible_collections/kubeha/webapp/plugins/module_utils/lease_renewer.py"
    assert lease_renewer.collection_root(zipped) == "/tmp/ansible_x/payload.zip"


def test_the_renewer_stops_with_its_owner_a_zombie_included():
    assert lease_renewer.alive(os.getpid())
    child = subprocess.Popen(["true"])
    child_pid = child.pid
    for _ in range(200):  # until it has exited (not reaped: nobody waits for it yet)
        with open("/proc/%d/stat" % child_pid) as stat:
            if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                break
        time.sleep(0.05)
    assert not lease_renewer.alive(child_pid), "an exited child not yet reaped is not alive"
    child.wait()
    assert not lease_renewer.alive(child_pid)


def test_stopping_the_renewer_never_signals_a_process_that_is_not_one():
    # A pid the renewer had may belong to another process by the time the run gives the lock back.
    assert not lease_renewer.is_renewer(os.getpid())
    assert lease_renewer.stop(os.getpid()) is True
    assert lease_renewer.alive(os.getpid())


def test_the_renewer_is_given_every_collection_path_this_process_loaded_code_from():
    # kubernetes.core (which the collection's module_utils import) may live in another collection
    # path than kubeha.webapp: the renewer needs both.
    import sys
    roots = lease_renewer.collection_roots()
    assert lease_renewer.collection_root(lease_renewer.__file__) in roots
    core = sys.modules["ansible_collections.kubernetes.core.plugins.module_utils.helm_args_common"]
    assert lease_renewer.collection_root(core.__file__) in roots
    assert len(roots) == 2, roots
    assert all(os.path.isdir(os.path.join(root, "ansible_collections")) for root in roots)
