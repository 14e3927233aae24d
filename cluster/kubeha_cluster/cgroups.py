"""The cgroup parent of each node's pods (cgroup v1, cgroupfs driver): kubelet requires it to
exist in every hierarchy; `down` removes it again."""
from __future__ import annotations

from pathlib import Path

ROOT = Path("/sys/fs/cgroup")


def _hierarchies(with_unified: bool = False) -> list[Path]:
    # The cgroup2 tree mounted beside the v1 hierarchies ("unified") takes no controller
    # settings, but the runtime still makes directories there that must go on removal.
    return [h for h in ROOT.iterdir() if h.is_dir() and not h.is_symlink()
            and (with_unified or h.name != "unified")]


def create(parent: str) -> None:
    for h in _hierarchies():
        path = h
        for part in parent.strip("/").split("/"):
            child = path / part
            child.mkdir(exist_ok=True)
            if h.name == "cpuset":  # a v1 cpuset starts empty: inherit the parent's CPUs and memory nodes
                for f in ("cpuset.cpus", "cpuset.mems"):
                    if not (child / f).read_text().strip():
                        (child / f).write_text((path / f).read_text())
            path = child


def pids(parent: str) -> set[int]:
    found: set[int] = set()
    for h in _hierarchies():
        root = h / parent.strip("/")
        if root.is_dir():
            for procs in root.rglob("cgroup.procs"):
                try:
                    found.update(int(p) for p in procs.read_text().split())
                except OSError:
                    pass
    return found


def remove(parent: str, only_if_empty: bool = False) -> None:
    for h in _hierarchies(with_unified=True):
        root = h / parent.strip("/")
        if not root.is_dir():
            continue
        for d in [] if only_if_empty else sorted((p for p in root.rglob("*") if p.is_dir()),
                                                 key=lambda p: len(p.parts), reverse=True):
            try:
                d.rmdir()
            except OSError:
                pass
        try:
            root.rmdir()
        except OSError:
            pass
