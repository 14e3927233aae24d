"""One summary line for the whole suite, which `make test` runs in two phases (side by side,
then the disruptive tests one at a time), each writing its own JUnit XML in reports/.

Usage: python tools/test_summary.py reports/junit-*.xml
Prints e.g. "kubeha suite: 396 passed, 0 failed, 0 errors, 0 skipped in 18.4 min
(side-by-side 10.2 min, disruptive 8.2 min)".
"""
from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def phase(path: Path) -> dict[str, float]:
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root)
    total = {k: sum(float(s.get(k, 0)) for s in suites) for k in ("tests", "failures", "errors", "skipped", "time")}
    return total


def main(paths: list[str]) -> int:
    if not paths:
        print("no JUnit XML given (make test writes reports/junit-*.xml)", file=sys.stderr)
        return 2
    phases = {Path(p).stem.removeprefix("junit-"): phase(Path(p)) for p in sorted(paths)}
    tests, failed, errors, skipped, secs = (sum(p[k] for p in phases.values())
                                            for k in ("tests", "failures", "errors", "skipped", "time"))
    parts = ", ".join(f"{name} {p['time'] / 60:.1f} min" for name, p in phases.items())
    passed = tests - failed - errors - skipped
    print(f"kubeha suite: {passed:.0f} passed, {failed:.0f} failed, {errors:.0f} errors, "
          f"{skipped:.0f} skipped in {secs / 60:.1f} min ({parts})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
