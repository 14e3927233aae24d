"""The README's values table is generated from values.yaml and never drifts from it."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from chartlib import CHART, ROOT

TOOL = ROOT / "tools" / "chart_values_doc.py"


def run_tool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(TOOL), *args], text=True, capture_output=True, timeout=60)


@pytest.fixture
def chart_copy(tmp_path) -> Path:
    copy = tmp_path / "webapp"
    shutil.copytree(CHART, copy)
    return copy


def test_the_committed_readme_matches_values_yaml():
    proc = run_tool("--check", "--chart", str(CHART))
    assert proc.returncode == 0, proc.stderr


def test_every_value_has_a_row_with_its_default():
    readme = (CHART / "README.md").read_text()
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert "| `replicas` | integer | `2` |" in readme
    assert f"| `image.repository` | string | `\"{values['image']['repository']}\"` |" in readme
    assert "| `service.type` | string | `\"ClusterIP\"` |" in readme
    assert "| `podSecurityContext` | object | `{\"runAsNonRoot\": true," in readme


def test_check_fails_and_shows_the_difference_when_a_default_changes(chart_copy):
    values = chart_copy / "values.yaml"
    values.write_text(values.read_text().replace("replicas: 2\n", "replicas: 3\n", 1))
    proc = run_tool("--check", "--chart", str(chart_copy))
    assert proc.returncode == 1
    assert "drifted" in proc.stderr
    assert "-| `replicas` | integer | `2` |" in proc.stderr
    assert "+| `replicas` | integer | `3` |" in proc.stderr


def test_check_fails_when_the_table_is_edited_by_hand(chart_copy):
    readme = chart_copy / "README.md"
    readme.write_text(readme.read_text().replace("Number of pods.", "How many pods.", 1))
    proc = run_tool("--check", "--chart", str(chart_copy))
    assert proc.returncode == 1
    assert "+| `replicas` | integer | `2` | Number of pods." in proc.stderr


def test_generating_rewrites_the_table_and_then_check_passes(chart_copy):
    values = chart_copy / "values.yaml"
    values.write_text(values.read_text().replace(
        "# -- Number of pods.", "# -- Number of pods wanted.", 1))
    assert run_tool("--check", "--chart", str(chart_copy)).returncode == 1
    assert run_tool("--chart", str(chart_copy)).returncode == 0
    assert "| `replicas` | integer | `2` | Number of pods wanted." in (chart_copy / "README.md").read_text()
    assert run_tool("--check", "--chart", str(chart_copy)).returncode == 0


def test_an_undocumented_value_fails_both_modes(chart_copy):
    values = chart_copy / "values.yaml"
    values.write_text(values.read_text() + "\nsurprise: true\n")
    for args in (("--check",), ()):
        proc = run_tool(*args, "--chart", str(chart_copy))
        assert proc.returncode == 1
        assert "surprise has no `# --` comment" in proc.stderr


def test_a_schema_key_missing_from_values_yaml_fails(chart_copy):
    schema = chart_copy / "values.schema.json"
    schema.write_text(schema.read_text().replace('"properties": {\n    "global"', '"properties": {\n    "hidden": {"type": "string"},\n    "global"', 1))
    proc = run_tool("--check", "--chart", str(chart_copy))
    assert proc.returncode == 1
    assert "values.schema.json: hidden is settable but not in values.yaml" in proc.stderr
