"""`ansible-test sanity` passes on the collection as built and installed (the form users get)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def installed_collection(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("sanity")
    subprocess.run([VENV_BIN / "ansible-galaxy", "collection", "build", "--output-path", work, ROOT],
                   check=True, capture_output=True, cwd=work)
    tarball = next(work.glob("kubeha-webapp-*.tar.gz"))
    subprocess.run([VENV_BIN / "ansible-galaxy", "collection", "install", "--force", "--no-deps",
                    "-p", work / "cols", tarball], check=True, capture_output=True, cwd=work)
    # The built collection leaves tests/ out; sanity reads its ignore file from there.
    dest = work / "cols/ansible_collections/kubeha/webapp"
    shutil.copytree(ROOT / "tests/sanity", dest / "tests/sanity")
    # The import test loads kubernetes.core's module_utils: give it the copy the venv carries.
    import ansible_collections.kubernetes.core as kcore
    shutil.copytree(list(kcore.__path__)[0], work / "cols/ansible_collections/kubernetes/core")
    # ansible-test bootstraps pip (the version its python_requirements names: 25.2 for
    # ansible-core 2.21) in its test venvs from a host this machine cannot reach; the stand-in
    # installs that pip from the package index.
    import ansible_test._internal.python_requirements as reqs
    pip_version = re.search(r"\bpip='([0-9.]+)'", Path(reqs.__file__).read_text()).group(1)
    cache = Path.home() / ".ansible/test/cache"
    cache.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "tests/ship/get_pip_offline.py", cache / f"get_pip_{pip_version.replace('.', '_')}.py")
    return dest


def test_ansible_test_sanity_passes(installed_collection):
    env = dict(os.environ, PATH=f"{VENV_BIN}:{os.environ['PATH']}")
    # the venv's own Python (3.12+: ansible-core 2.21's controller)
    python = "%d.%d" % sys.version_info[:2]
    p = subprocess.run([VENV_BIN / "ansible-test", "sanity", "--python", python, "--local", "--color", "no"],
                       cwd=installed_collection, env=env, text=True, capture_output=True, timeout=1800)
    errors = [line for line in (p.stdout + p.stderr).splitlines() if line.startswith(("ERROR", "FATAL"))]
    assert p.returncode == 0, "\n".join(errors[-60:])
