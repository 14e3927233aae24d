"""Keep the test suite's tools in memory while it runs.

Some machines reclaim memory pages that were not touched for about a minute (for example a VM
whose kernel runs DAMON's proactive "pageout"), the page cache of the files a program reads
included. The suite starts thousands of short Python processes (ansible-playbook, each module,
molecule, pytest-testinfra) and helm/kubectl runs, each reading the same files again; on such a
machine every one of them reads them back from disk. Measured on a 2-core VM of that kind: one
`ansible localhost -m kubernetes.core.k8s_info` took 65 s with the files evicted and 20 s with
them in memory.

This maps the given files and directories and locks them in memory (mlock), then waits until
the process given with --while-pid ends (or it is stopped), and exits; the kernel unlocks them.

    python tools/keep_resident.py --while-pid PID PATH...
"""
from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import mmap
import os
import signal
import sys
import time

LIBC = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
LIBC.mmap.restype = ctypes.c_void_p
LIBC.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
MCL_CURRENT = 1
MAP_FAILED = ctypes.c_void_p(-1).value


# What a run reads again and again: code (sources are read too: ansible ships module and
# module_utils sources to each task) and the YAML ansible-core and the linters load.
SUFFIXES = (".py", ".pyc", ".so", ".yml", ".yaml")
# Of the many collections the `ansible` package carries, the ones the project uses.
COLLECTIONS = {"kubernetes", "ansible"}


def files_under(paths: list[str]):
    """The files worth keeping below each path: code and YAML, no test suites; of a Python
    installation that is not a virtualenv, not its site-packages (the virtualenv has its own)."""
    for top in paths:
        top = os.path.realpath(top)
        if os.path.isfile(top):
            yield top
            continue
        is_venv = os.path.exists(os.path.join(top, "pyvenv.cfg"))
        for root, dirs, names in os.walk(top):
            if os.path.basename(root) == "ansible_collections":
                dirs[:] = [d for d in dirs if d in COLLECTIONS]
            dirs[:] = [d for d in dirs if d not in ("test", "tests") and (is_venv or d != "site-packages")]
            for name in names:
                if name.endswith(SUFFIXES) or ".so." in name:
                    yield os.path.join(root, name)


def map_file(path: str) -> int:
    """Map one regular, non-empty file read-only; return its size (0 if skipped)."""
    try:
        if os.path.islink(path) or not os.path.isfile(path):
            return 0
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return 0
    try:
        size = os.fstat(fd).st_size
        if size == 0:
            return 0
        addr = LIBC.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
        return 0 if addr in (None, MAP_FAILED) else size
    finally:
        os.close(fd)  # the mapping keeps the file


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--while-pid", type=int, required=True, help="exit when this process ends")
    ap.add_argument("paths", nargs="+")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    t0 = time.monotonic()
    count = total = 0
    for path in files_under(args.paths):
        size = map_file(path)
        count += size > 0
        total += size
    if LIBC.mlockall(MCL_CURRENT) != 0:
        print(f"[keep-resident] mlockall failed ({os.strerror(ctypes.get_errno())}); "
              "the files stay mapped only", file=sys.stderr)
    print(f"[keep-resident] {count} files, {total / 2**20:.0f} MiB kept in memory "
          f"({time.monotonic() - t0:.0f}s to load)", file=sys.stderr, flush=True)
    while True:
        try:
            os.kill(args.while_pid, 0)
        except ProcessLookupError:
            return 0
        time.sleep(5)


if __name__ == "__main__":
    sys.exit(main())
