"""checkov's Kubernetes checks on the chart's default render (`helm template` with no values, as
a user's first look at it) fail only the checks charts/webapp/README.md explains, and skip only
the ones the test pod's annotations give a reason for."""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "charts" / "webapp" / "README.md").read_text()

# The failures the README's "Static analysis" section explains: no namespace of its own, the image
# by tag, no NetworkPolicy unless the user names who may reach the app.
EXPLAINED = {"CKV_K8S_21", "CKV_K8S_43", "CKV2_K8S_6"}
# Probes on the helm test pod, which runs once and exits (its checkov.io/skip annotations).
SKIPPED = {"CKV_K8S_8", "CKV_K8S_9"}


@pytest.fixture(scope="module")
def results(ship_bin, helm_bin, tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("checkov")
    render = work / "default.yaml"
    rendered = subprocess.run([str(helm_bin), "template", "webapp", str(ROOT / "charts" / "webapp")],
                              text=True, capture_output=True, timeout=120)
    assert rendered.returncode == 0, rendered.stderr
    render.write_text(rendered.stdout)
    # exit code 1: some check failed; the JSON report says which (the tests below name them)
    p = subprocess.run([str(ship_bin / "checkov"), "-f", str(render), "--framework", "kubernetes",
                        "--compact", "--output", "json", "--skip-download"], cwd=work, text=True,
                       capture_output=True, timeout=600)
    assert p.returncode in (0, 1) and p.stdout.startswith("{"), p.stdout + p.stderr
    return json.loads(p.stdout)["results"]


def ids(checks: list[dict]) -> set[str]:
    return {c["check_id"] for c in checks}


def test_the_default_render_fails_only_the_explained_checks(results):
    assert ids(results["failed_checks"]) == EXPLAINED
    assert len(ids(results["passed_checks"])) > 30  # checkov did look at the workloads


def test_the_readme_explains_each_failed_and_skipped_check(results):
    section = re.search(r"^## Static analysis\n(.*?)^## ", README, re.S | re.M)
    assert section, "charts/webapp/README.md has no '## Static analysis' section"
    for check in ids(results["failed_checks"]) | ids(results["skipped_checks"]):
        assert f"**{check}**" in section.group(1), f"the README does not explain {check}"


def test_only_the_test_pods_probes_are_skipped_each_with_its_reason(results):
    assert ids(results["skipped_checks"]) == SKIPPED
    skipped = results["skipped_checks"]
    assert {c["resource"] for c in skipped} == {"Pod.default.webapp-test"}
    assert all("helm test pod" in c["check_result"]["suppress_comment"] for c in skipped)
