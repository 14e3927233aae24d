"""The chart works the same with helm 3 as with the pinned helm 4.

Users who have not moved to helm 4 install the chart with helm 3. `helm lint --strict` passes
with helm 3 for every values matrix, helm 3 renders the very same objects as helm 4, and it
refuses bad values through the same schema.
"""
from __future__ import annotations

import subprocess

import pytest
import yaml

from chartlib import CHART, CI_VALUES, KUBE_VERSION, ci_id


def _version(helm) -> str:
    return subprocess.run([str(helm), "version", "--short"], text=True, capture_output=True,
                          check=True).stdout.strip()


def _objects(helm, *args) -> list:
    proc = subprocess.run([str(helm), "template", "web", str(CHART), "--namespace", "shop",
                           "--kube-version", KUBE_VERSION, *args],
                          text=True, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return sorted((d for d in yaml.safe_load_all(proc.stdout) if d),
                  key=lambda d: (d["kind"], d["metadata"]["name"]))


def test_the_two_helms_are_helm_3_and_helm_4(helm, helm3):
    assert _version(helm).startswith("v4."), _version(helm)
    assert _version(helm3).startswith("v3."), _version(helm3)


@pytest.mark.parametrize("matrix", CI_VALUES, ids=ci_id)
def test_helm3_lints_strict_and_renders_what_helm4_renders(helm, helm3, matrix):
    lint = subprocess.run([str(helm3), "lint", "--strict", "--kube-version", KUBE_VERSION,
                           str(CHART), "-f", str(matrix)], text=True, capture_output=True, timeout=120)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert "[WARNING]" not in lint.stdout and "[ERROR]" not in lint.stdout
    three = _objects(helm3, "-f", str(matrix))
    assert three, "helm 3 rendered nothing"
    assert three == _objects(helm, "-f", str(matrix))


def test_helm3_refuses_values_the_schema_refuses(helm3, tmp_path):
    bad = tmp_path / "bad-values.yaml"
    bad.write_text("replicaCount: 3\n")
    proc = subprocess.run([str(helm3), "template", "web", str(CHART), "-f", str(bad)],
                          text=True, capture_output=True, timeout=120)
    assert proc.returncode != 0
    assert "additional properties 'replicaCount' not allowed" in proc.stderr
