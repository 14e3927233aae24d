"""One writer at a time: commands that change a cluster (or the build cache) hold a lock file.

Two `up`s of the same cluster at once (two terminals, or test workers starting together) would
otherwise both start etcd and the API server; the second one now waits and then finds the
cluster up. Reading commands (status, kubeconfig, node-ip) take no lock.
"""
from __future__ import annotations

import fcntl
import sys
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def exclusive(path: Path, what: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"[kubeha-cluster] waiting: another command is changing {what} ({path})",
                  file=sys.stderr, flush=True)
            fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
