"""flake8 finds nothing in the repository's Python: the collection's plugins, the tests, the tools,
the bench, the cluster CLI and the molecule scenarios (settings in .flake8)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FLAKE8 = Path(sys.executable).parent / "flake8"
# Not the repository's own code: the venv, caches, and the link through which Ansible sees the
# collection (playbooks/collections/ansible_collections/kubeha/webapp is the repository again).
NOT_OURS = {".venv", ".git", ".ansible", ".cache", ".pytest_cache", "build", "reports", "playbooks"}


def python_dirs() -> list[str]:
    """Every top-level directory with Python in it, so that a new one is linted without a change here."""
    return sorted(d.name for d in ROOT.iterdir()
                  if d.is_dir() and d.name not in NOT_OURS and next(d.rglob("*.py"), None))


def test_every_directory_with_python_is_linted():
    assert {"plugins", "tests", "tools", "bench", "cluster"} <= set(python_dirs())


def test_flake8_reports_nothing():
    p = subprocess.run([str(FLAKE8), *python_dirs()], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr


def test_flake8_holds_lines_to_the_project_limit(tmp_path):
    # The settings are read (the repository's .flake8, not flake8's 79 columns): 160 passes, 161 not.
    (tmp_path / "lines.py").write_text(f"A = '{'x' * 154}'\nB = '{'x' * 155}'\n")
    p = subprocess.run([str(FLAKE8), "--config", str(ROOT / ".flake8"), str(tmp_path / "lines.py")],
                       capture_output=True, text=True, timeout=120)
    assert p.stdout.splitlines() == [f"{tmp_path / 'lines.py'}:2:161: E501 line too long (161 > 160 characters)"]
