"""Filter plugins load where nothing but the collection itself is installed: ansible-doc and
galaxy-importer load them without the collection's dependencies (kubernetes.core), and a filter
that cannot load loses the documentation of every filter in its file. So a filter may import only
module_utils that need nothing but the standard library."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FILTER_FILES = sorted(p.stem for p in (ROOT / "plugins" / "filter").glob("*.py"))


@pytest.fixture(scope="module")
def bare_collections(tmp_path_factory):
    """A collections directory holding kubeha.webapp alone."""
    root = tmp_path_factory.mktemp("bare")
    (root / "ansible_collections" / "kubeha").mkdir(parents=True)
    (root / "ansible_collections" / "kubeha" / "webapp").symlink_to(ROOT)
    return root


@pytest.mark.parametrize("name", FILTER_FILES)
def test_filter_file_loads_with_the_standard_library_alone(bare_collections, name):
    # -S: no site-packages, so neither ansible nor kubernetes.core can be imported by accident
    p = subprocess.run([sys.executable, "-S", "-c",
                        f"import ansible_collections.kubeha.webapp.plugins.filter.{name} as f; "
                        "print(sorted(f.FilterModule().filters()))"],
                       env={"PYTHONPATH": str(bare_collections)}, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("['")
