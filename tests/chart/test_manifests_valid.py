"""Rendered manifests are valid Kubernetes objects for the pinned version, and lint is clean.

kubernetes-validate (offline JSON schemas of the Kubernetes API, strict: unknown fields are
errors) checks every object of every values matrix against the cluster's Kubernetes minor
version; `helm lint --strict` runs over each matrix. The HTTPRoutes, a Gateway API kind that
kubernetes-validate has no schema for, are checked against the pinned Gateway API CRDs instead
(test_httproute_schema.py, over the same matrices and VARIANTS).
"""
from __future__ import annotations

import subprocess
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from chartlib import CHART, CI_VALUES, KUBE_MINOR, KUBE_VERSION, VENV_BIN, ci_id

# Extra renders beyond the ci matrices: the other shapes each optional kind can take.
VARIANTS = {
    "nodeport-unpinned": {"service": {"type": "NodePort"}},
    "autoscaling-defaults": {"autoscaling": {"enabled": True}},
    "pdb-defaults": {"podDisruptionBudget": {"enabled": True}},
    "pdb-percent": {"podDisruptionBudget": {"enabled": True, "minAvailable": "50%"}},
    "networkpolicy-defaults": {"networkPolicy": {"enabled": True}},
    "ingress-defaults": {"ingress": {"enabled": True}},
    "ingress-without-host": {"ingress": {"enabled": True, "hosts": [{"paths": [{"path": "/"}]}]}},
    "serviceaccount-created": {"serviceAccount": {"create": True}},
    "config-env-only": {"config": {"env": {"A": "1"}}},
    "memory-backed-tmp": {"writableDirs": [{"name": "tmp", "mountPath": "/tmp", "medium": "Memory", "sizeLimit": "16Mi"}]},
    "httproute-minimal": {"httpRoute": {"enabled": True, "parentRefs": [{"name": "edge"}]}},
    "httproute-redirect-to-https": {"httpRoute": {
        "enabled": True, "parentRefs": [{"name": "edge", "sectionName": "http"}], "hostnames": ["shop.example.com"],
        "rules": [{"filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}]}]}},
    "httproute-without-matches": {"httpRoute": {
        "enabled": True, "parentRefs": [{"name": "edge"}],
        "rules": [{"timeouts": {"request": "0s", "backendRequest": "1m"}},
                  {"matches": [{"method": "POST"}], "backendRefs": [{"name": "writer", "port": 8080, "weight": 0}]}]}},
    "networkpolicy-gateway-namespace": {"networkPolicy": {"enabled": True, "allowGateway": {"namespace": "gateway-system"}}},
    "canary-without-route": {"canary": {"enabled": True, "image": {"tag": "6.15.0"}}, "networkPolicy": {"enabled": True}},
    "canary-with-route": {"canary": {"enabled": True, "image": {"tag": "6.15.0"}, "weight": 25},
                          "httpRoute": {"enabled": True, "parentRefs": [{"name": "edge"}]}, "networkPolicy": {"enabled": True}},
    "canary-preview": {"canary": {"enabled": True, "image": {"tag": "6.15.0"}, "preview": {"hostnames": ["preview.example.com"]}},
                       "httpRoute": {"enabled": True, "parentRefs": [{"name": "edge"}], "hostnames": ["shop.example.com"], "rules": [
                           {"matches": [{"path": {"value": "/api"}, "method": "GET"}], "timeouts": {"request": "10s"}},
                           {"filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https"}}]}]}},
}

# Kinds without a schema in kubernetes-validate, validated by their own CRD's schema elsewhere.
CRD_KINDS = {"HTTPRoute"}

# A manifest the validator must refuse: proves a failure would be seen.
BROKEN = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: broken
spec:
  replica: 2
  selector:
    matchLabels: {app: broken}
  template:
    metadata:
      labels: {app: broken}
    spec:
      containers:
        - name: app
          image: example/app:1
          lifecycle:
            preStop:
              sleep: {seconds: "ten"}
"""


@pytest.fixture(scope="module")
def validation(render, tmp_path_factory):
    """Renders every matrix and variant to a file, validates them all in one run.

    Returns {file stem: (number of documents, [validator lines about that file])}.
    """
    out_dir = tmp_path_factory.mktemp("rendered")
    files: dict[str, tuple[Path, int]] = {}

    def write(stem, manifests):
        docs = [d for d in manifests.docs if d["kind"] not in CRD_KINDS]
        path = out_dir / f"{stem}.yaml"
        path.write_text(manifests.text if len(docs) == len(manifests.docs) else yaml.safe_dump_all(docs, sort_keys=False))
        files[stem] = (path, len(docs))

    for matrix in CI_VALUES:
        write(f"ci-{ci_id(matrix)}", render(matrix))
    for name, values in VARIANTS.items():
        write(f"variant-{name}", render(values=values))
    broken = out_dir / "broken.yaml"
    broken.write_text(BROKEN)
    files["broken"] = (broken, 1)

    proc = subprocess.run(
        [str(VENV_BIN / "kubernetes-validate"), "-k", f"{KUBE_MINOR}.0", "--strict",
         *[str(p) for p, _ in files.values()]],
        text=True, capture_output=True, timeout=300,
    )
    assert proc.stderr.strip() == "", proc.stderr
    lines = defaultdict(list)
    for line in proc.stdout.splitlines():
        level, _, rest = line.partition(" ")
        filename = rest.split(" ", 1)[0]
        lines[Path(filename).stem].append(line)
    return {stem: (count, lines[stem]) for stem, (_, count) in files.items()}


@pytest.mark.parametrize("stem", [f"ci-{ci_id(m)}" for m in CI_VALUES] + [f"variant-{v}" for v in VARIANTS])
def test_rendered_objects_are_valid_for_the_pinned_kubernetes(validation, stem):
    count, lines = validation[stem]
    problems = [line for line in lines if not line.startswith("INFO ")]
    assert problems == [], "\n".join(problems)
    # Every object was really checked (a kind without a schema would only warn).
    passed = [line for line in lines if " passed for resource " in line and f"against version {KUBE_MINOR}" in line]
    assert len(passed) == count, "\n".join(lines)


def test_the_validator_refuses_an_invalid_manifest(validation):
    _, lines = validation["broken"]
    assert any(line.startswith("ERROR ") for line in lines), lines


@pytest.mark.parametrize("matrix", CI_VALUES, ids=ci_id)
def test_helm_lint_strict_passes(helm, matrix):
    proc = subprocess.run(
        [str(helm), "lint", "--strict", "--kube-version", KUBE_VERSION, str(CHART), "-f", str(matrix)],
        text=True, capture_output=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 chart(s) linted, 0 chart(s) failed" in proc.stdout
    assert "[WARNING]" not in proc.stdout and "[ERROR]" not in proc.stdout


def test_helm_lint_strict_refuses_bad_values(helm, tmp_path):
    bad = tmp_path / "bad-values.yaml"
    bad.write_text("replicaCount: 3\n")
    proc = subprocess.run(
        [str(helm), "lint", "--strict", "--kube-version", KUBE_VERSION, str(CHART), "-f", str(bad)],
        text=True, capture_output=True, timeout=120,
    )
    assert proc.returncode != 0
    assert "additional properties 'replicaCount' not allowed" in proc.stdout + proc.stderr
