"""Progress lines for the person running a command: on stderr, so that stdout carries only what a
command prints for its caller (a path, an address, the facts)."""
from __future__ import annotations

import sys


def say(msg: str) -> None:
    print(f"[kubeha-cluster] {msg}", file=sys.stderr, flush=True)
