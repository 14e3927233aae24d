"""Shared fixtures: the real local cluster and the tools built for it.

Tests that need Kubernetes take the `cluster` fixture. It brings the project's local cluster up
(idempotent: a running cluster is reused) and hands out its kubeconfig and the pinned tools.
There is no fake API anywhere: no cluster, no test.
"""
from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CLUSTER_CLI = ROOT / "cluster" / "kubeha-cluster"


def _cli(*args: str) -> str:
    return subprocess.run(
        [str(CLUSTER_CLI), *args], check=True, text=True, capture_output=True
    ).stdout.strip()


@dataclass
class Cluster:
    kubeconfig: Path
    bin_dir: Path
    node_ip: str

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["KUBECONFIG"] = str(self.kubeconfig)
        env["PATH"] = f"{self.bin_dir}:{env['PATH']}"
        return env

    def run(self, *argv: str, check: bool = True, timeout: float = 300, input: str | None = None):
        """Run a command (kubectl, helm, ...) against the cluster; returns CompletedProcess."""
        proc = subprocess.run(
            list(argv), env=self.env(), text=True, capture_output=True,
            timeout=timeout, input=input,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"{' '.join(argv)} exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
            )
        return proc

    def kubectl(self, *args: str, **kw):
        return self.run("kubectl", *args, **kw)

    @functools.cached_property
    def registries(self) -> dict:
        """The cluster's registries, as `kubeha-cluster facts` names them (public, private,
        ca_file, chart, chart_version, username, password)."""
        return json.loads(_cli("facts"))["registry"]

    @property
    def registry(self) -> str:
        """HOST:PORT of the cluster's public registry, where the local inventory's images come from."""
        return self.registries["public"]

    def image(self, tag: str, repository: str = "kubeha/web") -> str:
        """An image reference as the local inventory names it: in the cluster's public registry."""
        return f"{self.registry}/{repository}:{tag}"

    def helm(self, *args: str, **kw):
        return self.run("helm", *args, **kw)


def pytest_collection_modifyitems(config, items):
    """Side by side (pytest-xdist, `make test` passes --dist loadfile), a module's tests stay
    together on one worker and in order: they share module fixtures (a release deployed once) and
    some walk one release through steps."""
    for item in items:
        if item.nodeid.startswith("tests/topology/"):
            item.add_marker(pytest.mark.multinode)
    # Workers take groups in collection order (make test turns xdist's reordering off): the
    # modules that take minutes start first, so that none of them is left to run alone at the end.
    # The tests that need every cluster of the local inventory come last: the other clusters are
    # brought up for them only (make test takes them down again before the disruptive phase).

    def order(item):
        if item.nodeid.startswith(LAST):
            return len(LONG_FIRST) + 2
        if item.nodeid.startswith(NEED_EVERY_CLUSTER):
            return len(LONG_FIRST) + 1
        return next((i for i, m in enumerate(LONG_FIRST) if item.nodeid.startswith(m)), len(LONG_FIRST))
    items.sort(key=order)


# The longest modules of the suite, longest first (module times in reports/junit-*.xml).
LONG_FIRST = (
    "tests/ship/test_molecule.py",
    "tests/collection/test_lifecycle.py",
    "tests/collection/test_canary_upgrade.py",
    "tests/chart/test_chart_on_cluster.py",
    "tests/collection/test_bad_arguments.py",
    "tests/collection/test_least_privilege.py",
    "tests/collection/test_concurrent_runs.py",
    "tests/collection/test_promotion.py",
    "tests/collection/test_installed_collection.py",
    "tests/ship/test_sanity.py",
)


# Tests that use the local inventory's other clusters too (they take the `every_cluster` fixture).
NEED_EVERY_CLUSTER = (
    "tests/ship/test_molecule.py::test_molecule_scenario_passes[multi-cluster]",
)


# Crashes the main cluster and takes it down: after every other test.
LAST = ("tests/cluster/test_cli.py::test_the_cluster_recovers_from_a_crash",)


_TIMES: dict[str, float] = {}


def pytest_runtest_logreport(report):
    """Append each test's time (setup + call + teardown) to reports/test-times.tsv as it finishes,
    and each failure to reports/failures.txt, so that a run stopped half way still says where its
    time went and what failed."""
    # Side by side, the controller writes the lines (workers' reports reach it too).
    if os.environ.get("PYTEST_XDIST_WORKER") or not (ROOT / "reports").is_dir():
        return
    _TIMES[report.nodeid] = _TIMES.get(report.nodeid, 0.0) + report.duration
    if report.failed:
        # Written now, not at the end: a run stopped by its time limit still says why tests failed.
        with (ROOT / "reports" / "failures.txt").open("a") as f:
            f.write(f"==== {report.nodeid} ({report.when})\n{report.longreprtext[-6000:]}\n")
        tail = "\n".join(report.longreprtext.splitlines()[-12:])
        sys.__stderr__.write(f"\n[failed] {report.nodeid} ({report.when}):\n{tail}\n")
    if report.when == "teardown":
        with (ROOT / "reports" / "test-times.tsv").open("a") as f:
            f.write(f"{_TIMES.pop(report.nodeid):.1f}\t{report.nodeid}\n")


@pytest.fixture(scope="session")
def every_cluster(cluster) -> None:
    """Every cluster of inventories/local up: the main one through `cluster`, the others here
    (scripts/each-cluster; idempotent)."""
    subprocess.run([str(ROOT / "scripts" / "each-cluster"), "--others", "up"], check=True)


@pytest.fixture(scope="session")
def tool_bin() -> Path:
    """Directory holding the pinned helm, kubectl and friends (built into the cache)."""
    return Path(_cli("bin-dir"))


@pytest.fixture(scope="session")
def helm_bin(tool_bin: Path) -> Path:
    return tool_bin / "helm"


@pytest.fixture(scope="session")
def cluster(tool_bin: Path) -> Cluster:
    subprocess.run([str(CLUSTER_CLI), "up"], check=True)
    return Cluster(
        kubeconfig=Path(_cli("kubeconfig")), bin_dir=tool_bin, node_ip=_cli("node-ip")
    )
