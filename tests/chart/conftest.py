"""Fixtures for the webapp chart's offline tests: render the chart with the pinned helm.

`helm` is the pinned helm binary: $KUBEHA_HELM when set (handy while developing), else the
project's `helm_bin` (cluster/kubeha-cluster bin-dir). Renders are cached for the whole session,
so many tests can look at one render without running helm again.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from chartlib import CHART, CI_DIR, KUBE_VERSION, Manifests, RenderError  # noqa: E402


@pytest.fixture(scope="session")
def helm(request) -> Path:
    override = os.environ.get("KUBEHA_HELM")
    path = Path(override) if override else Path(request.getfixturevalue("helm_bin"))
    assert path.is_file(), f"helm not found at {path}"
    return path


@pytest.fixture(scope="session")
def helm3(tool_bin) -> Path:
    """Helm 3, built beside the pinned helm 4 for users who have not moved to helm 4."""
    path = Path(tool_bin) / "helm3"
    assert path.is_file(), f"helm 3 not found at {path}"
    return path


class Renderer:
    """Runs `helm template` on the chart; results are cached by arguments."""

    def __init__(self, helm: Path, workdir: Path):
        self.helm = helm
        self.workdir = workdir
        self._cache: dict[tuple, subprocess.CompletedProcess] = {}

    def _values_file(self, values: dict) -> Path:
        text = yaml.safe_dump(values, sort_keys=True)
        path = self.workdir / f"values-{hashlib.sha256(text.encode()).hexdigest()[:16]}.yaml"
        if not path.exists():
            path.write_text(text)
        return path

    def run(self, *files: str | Path, values: dict | None = None, sets: tuple[str, ...] = (),
            release: str = "web", namespace: str = "shop", chart: Path = CHART,
            extra: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
        argv = [str(self.helm), "template", release, str(chart), "--namespace", namespace,
                "--kube-version", KUBE_VERSION]
        for f in files:
            f = Path(f)
            argv += ["-f", str(f if f.is_absolute() else CI_DIR / f)]
        if values is not None:
            argv += ["-f", str(self._values_file(values))]
        for s in sets:
            argv += ["--set", s]
        argv += list(extra)
        key = tuple(argv)
        if key not in self._cache:
            self._cache[key] = subprocess.run(argv, text=True, capture_output=True, timeout=60)
        return self._cache[key]

    def __call__(self, *files, **kw) -> Manifests:
        proc = self.run(*files, **kw)
        if proc.returncode != 0:
            raise RenderError(proc)
        return Manifests(proc.stdout)

    def error(self, *files, **kw) -> str:
        """Render values that must be refused; returns helm's error text."""
        proc = self.run(*files, **kw)
        assert proc.returncode != 0, f"helm template accepted bad values:\n{proc.stdout[:2000]}"
        assert proc.stdout.strip() == "", "a refused render must print no manifest"
        return proc.stderr


@pytest.fixture(scope="session")
def render(helm: Path, tmp_path_factory) -> Renderer:
    return Renderer(helm, tmp_path_factory.mktemp("values"))


@pytest.fixture(scope="session")
def notes_chart(tmp_path_factory) -> Path:
    """A copy of the chart that also renders its NOTES.txt into a ConfigMap.

    `helm template` never renders NOTES.txt, and `helm install --dry-run` needs a cluster. The
    copy renders the very same NOTES.txt text with `tpl`, against the same values and helpers.
    """
    copy = tmp_path_factory.mktemp("notes") / "webapp"
    shutil.copytree(CHART, copy)
    shutil.copy(CHART / "templates" / "NOTES.txt", copy / "NOTES.txt")
    (copy / "templates" / "zz-notes-preview.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes-preview\n"
        "data:\n  notes: {{ tpl (.Files.Get \"NOTES.txt\") . | quote }}\n"
    )
    return copy


@pytest.fixture(scope="session")
def notes(render: Renderer, notes_chart: Path):
    """notes(*files, values=..., ...) -> the NOTES text `helm install` would print."""

    def _notes(*files, **kw) -> str:
        out = render(*files, chart=notes_chart, extra=("--show-only", "templates/zz-notes-preview.yaml"), **kw)
        return out.one("ConfigMap")["data"]["notes"]

    return _notes
