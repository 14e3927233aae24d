"""Two runs against one release at the same time: one operation at a time, and nobody told "done"
for a state the cluster is not in.

Each changing playbook holds the release's lock (the Lease kubeha-lock-<release> in its
namespace) from its first read to its last check. A run started a second after another waits for
it, then reads the release as the first one left it; with a short webapp_lock_wait it stops
instead, naming the holder, and changes nothing. A run killed while it holds the lock stops
renewing it, and the next run takes it over once it has gone unrenewed for its duration.
The module walks one release through these steps, in order.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time

import pytest

from playlib import PLAYBOOKS, VENV_BIN, ansible_env, run_playbook

pytestmark = pytest.mark.cluster

LEASE = "kubeha-lock-webapp"


def _leases(app) -> list[dict]:
    return app.kubectl_json("get", "leases", "-n", app.namespace)["items"]


def _image(app) -> str:
    return app.deployment()["spec"]["template"]["spec"]["containers"][0]["image"]


def _one_second_apart(app, first: dict, second: dict):
    """Two upgrade.yml runs, the second started one second after the first; both results."""
    runs = {}

    def play(key, extra):
        runs[key] = run_playbook("upgrade", {**app.vars, **extra})

    started = threading.Thread(target=play, args=("first", first))
    started.start()
    time.sleep(1)
    play("second", second)
    started.join()
    return runs["first"], runs["second"]


@pytest.fixture(scope="module")
def deployed(app):
    app.play("deploy")
    assert _image(app) == app.cluster.image("v1")
    assert _leases(app) == [], "the lock is given back at the end of a run"
    return app


def test_an_upgrade_started_a_second_after_another_waits_then_reads_what_the_first_left(deployed):
    app = deployed
    revision = app.revision()
    first, second = _one_second_apart(app, {"upgrade_image_tag": "v2"}, {"upgrade_image_tag": "v1"})
    assert first.rc == 0, first.tail()
    assert second.rc == 0, second.tail()
    flat = second.flat()
    # (The YAML output doubles the quotes around the play's name.)
    assert "waited" in flat and "Upgrade the web app" in flat and "operation upgrade, cluster kubeha-local" in flat, \
        second.tail()
    # The second run saw v2 (the first run's result) and brought v1 back: not "no change".
    assert f"{app.cluster.image('v2')} -> {app.cluster.image('v1')}" in flat, second.tail()
    app.wait_settled()
    assert _image(app) == app.cluster.image("v1") and app.pod_images() == {app.cluster.image("v1")}
    assert [h["revision"] for h in app.history()][-2:] == [revision + 1, revision + 2]
    assert _leases(app) == []


def test_a_run_that_may_not_wait_long_enough_stops_naming_the_holder_and_changes_nothing(deployed):
    app = deployed
    revision = app.revision()
    first, second = _one_second_apart(app, {"upgrade_image_tag": "v2"},
                                      {"upgrade_image_tag": "v1", "webapp_lock_wait": 2})
    assert first.rc == 0, first.tail()
    assert second.rc != 0, second.tail()
    flat = second.flat()
    assert "is locked by another run:" in flat, second.tail()
    assert "Upgrade the web app" in flat and "operation upgrade, cluster kubeha-local) since" in flat
    assert "Waited 2 s (webapp_lock_wait)" in flat
    # Only the first run changed the release.
    assert app.revision() == revision + 1
    assert _image(app) == app.cluster.image("v2")
    assert _leases(app) == []


def test_the_lock_of_a_killed_run_expires_by_itself_and_the_next_run_takes_it_over(deployed):
    app = deployed
    argv = [str(VENV_BIN / "ansible-playbook"), str(PLAYBOOKS / "upgrade.yml"), "-e",
            json.dumps({**app.vars, "upgrade_image_tag": "v2", "webapp_lock_duration": 6})]
    killed = subprocess.Popen(argv, env=ansible_env(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not _leases(app):  # killed as soon as it holds the lock, before helm runs
            assert killed.poll() is None and time.monotonic() < deadline, "the run never took the lock"
            time.sleep(0.1)
    finally:
        os.killpg(killed.pid, signal.SIGKILL)
        killed.wait()
    (left,) = _leases(app)
    assert left["spec"]["leaseDurationSeconds"] == 6
    # The next run (one that changes nothing, the quickest) takes over the lock once it expired.
    run = app.play("scale", scale_replicas=2)
    assert "took over the expired lock of" in run.flat(), run.tail()
    assert _leases(app) == []


def test_check_mode_takes_no_lock_and_its_summary_keeps_rows_whole_and_is_written_as_json(deployed, tmp_path):
    app = deployed
    document = tmp_path / "summary.json"
    run = app.play("scale", "--check", scale_replicas=3, webapp_summary_json=str(document))
    assert _leases(app) == []
    assert app.deployment()["spec"]["replicas"] == 2
    # The row is one line however wide it is (the YAML output folds list items at 80 columns).
    (row,) = [line for line in run.output.splitlines()
              if line.strip().startswith("kubeha-local ") and f"{app.namespace}/webapp" in line]
    assert "would change" in row, run.tail()
    assert len(row) > 80
    summary = json.loads(document.read_text())
    assert summary["play"] == "Scale the web app" and summary["check_mode"] is True and summary["ok"] is True
    (cluster,) = summary["clusters"]
    assert cluster["cluster"] == "kubeha-local" and cluster["result"] == "would change"
    assert cluster["image"] == app.cluster.image("v2")
