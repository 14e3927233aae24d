"""Every molecule scenario passes on the real local cluster (its verifiers check the cluster and
the HTTP answers). Each scenario deploys into a namespace of its own (molecule-<scenario>)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted(p.parent.name for p in (ROOT / "molecule").glob("*/molecule.yml"))

pytestmark = pytest.mark.cluster


def test_there_are_the_scenarios_of_the_shipping_and_topology_issues():
    assert {"default", "upgrade-rollback", "scale", "multi-cluster"} <= set(SCENARIOS)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_molecule_scenario_passes(cluster, scenario, request):
    if scenario == "multi-cluster":
        request.getfixturevalue("every_cluster")
    env = dict(os.environ, NO_COLOR="1", PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    p = subprocess.run(["molecule", "test", "-s", scenario], cwd=ROOT, env=env, text=True,
                       capture_output=True, timeout=1500)
    tail = "\n".join((p.stdout + p.stderr).splitlines()[-60:])
    assert p.returncode == 0, f"molecule test -s {scenario} failed:\n{tail}"
    if scenario == "multi-cluster":
        # Both clusters in one play: the summary shows which Kubernetes each runs.
        assert re.search(r"kubeha-local\s+v1\.37\.\d+\s", p.stdout), tail
        assert re.search(r"kubeha-local-b\s+v1\.35\.\d+\s", p.stdout), tail
