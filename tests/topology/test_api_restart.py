"""The API server restarts in the middle of upgrade.yml, under load (250 requests per second
through the LoadBalancer address): the Service keeps answering (kube-proxy's rules and the pods
do not need the API server), and the collection rides out the outage: the upgrade completes and
v2 serves, the release deployed (not left pending) at its new revision, and running the same
upgrade again changes nothing."""
from __future__ import annotations

import subprocess
import time

import pytest
from topolib import cli

import failed_upgrade as fu  # bench/, on the path through conftest.py
import zero_downtime as zd

pytestmark = [pytest.mark.cluster, pytest.mark.disruptive]

RATE = 250


def test_an_api_server_restart_during_upgrade_drops_no_request_and_the_upgrade_completes(deployed_by_collection):
    rel, url = deployed_by_collection
    before = rel.revision()
    runs: list[subprocess.CompletedProcess] = []

    def upgrade_with_an_api_restart():
        with fu.play_in_background("upgrade", webapp_namespace=rel.namespace, upgrade_image_tag="v2") as bg:
            deadline = time.monotonic() + 120
            while not any(p["spec"]["containers"][0]["image"].endswith(":v2") for p in rel.pods()):
                assert time.monotonic() < deadline, "the rollout to v2 never started"
                time.sleep(0.2)
            cli("restart", "kube-apiserver")
        runs.append(bg.result)

    load = zd.attack(url, RATE, 30, "api-restart", upgrade_with_an_api_restart)
    print(load.line())
    run = runs[0]
    tail = "\n".join((run.stdout + run.stderr).splitlines()[-40:])
    assert load.failed == 0, load.line()
    assert run.returncode == 0, tail
    assert rel.revision() == before + 1, tail
    assert fu.release_status(rel) == "deployed", tail
    rel.settled()
    assert {p["spec"]["containers"][0]["image"] for p in rel.pods()} == {f"{fu.registry()['public']}/kubeha/web:v2"}
    again = fu.play("upgrade", webapp_namespace=rel.namespace, upgrade_image_tag="v2")
    assert again.returncode == 0 and rel.revision() == before + 1, again.stdout[-3000:]
