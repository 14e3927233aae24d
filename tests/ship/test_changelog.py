"""The changelog (antsibull-changelog fragments and config) is well-formed."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_changelog_fragments_and_config_pass_antsibull_changelog_lint():
    p = subprocess.run([str(Path(sys.executable).parent / "antsibull-changelog"), "lint"], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and not p.stdout.strip(), p.stdout + p.stderr
