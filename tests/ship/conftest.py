"""What the publishing checks share: the collection as `ansible-galaxy collection build` makes it,
installed the way users install it, and the venv of the publishing tools (`make venv-ship`)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
def ship_bin() -> Path:
    """The bin directory of requirements-ship.txt's venv (galaxy-importer, checkov), built once."""
    made = subprocess.run(["make", "-s", "--no-print-directory", "venv-ship"], cwd=ROOT, text=True,
                          capture_output=True, timeout=1800)
    assert made.returncode == 0, made.stdout + made.stderr
    return Path(made.stdout.split()[-1]) / "bin"


@pytest.fixture(scope="session")
def tarball(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("built")
    build = subprocess.run([str(VENV_BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(work),
                            str(ROOT)], cwd=work, text=True, capture_output=True, timeout=300)
    assert build.returncode == 0, build.stdout + build.stderr
    (built,) = work.glob("kubeha-webapp-*.tar.gz")
    return built


@pytest.fixture(scope="session")
def collections_path(tarball) -> Path:
    """A collections path holding only the built kubeha.webapp."""
    path = tarball.parent / "collections"
    # Not the repository's ansible.cfg (`make` exports it): its collections path holds the checkout
    # as kubeha.webapp, and ansible-galaxy would take that for the collection installed already.
    env = {k: v for k, v in os.environ.items() if k != "ANSIBLE_CONFIG"}
    inst = subprocess.run([str(VENV_BIN / "ansible-galaxy"), "collection", "install", "--offline", "--no-deps",
                           "--force", "-p", str(path), str(tarball)], cwd=tarball.parent, env=env, text=True,
                          capture_output=True, timeout=300)
    assert inst.returncode == 0 and (path / "ansible_collections/kubeha/webapp").is_dir(), inst.stdout + inst.stderr
    return path
