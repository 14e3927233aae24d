"""Process supervision: each component runs detached with a pid file and a log file.

`stop` only signals a process whose pid file this tool wrote *and* whose command line still
matches, so a recycled pid never gets a stray signal.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path


CPU_HIERARCHY = Path("/sys/fs/cgroup/cpu")


def join_cpu_group(pid: int, group: str) -> None:
    """Move a process (and so everything it starts later) into a cgroup of the v1 cpu hierarchy;
    nothing happens where that hierarchy is missing or read-only."""
    if not CPU_HIERARCHY.is_dir():
        return
    try:
        d = CPU_HIERARCHY / group.strip("/")
        d.mkdir(parents=True, exist_ok=True)
        (d / "cgroup.procs").write_text(f"{pid}\n")
    except OSError:
        pass


class Proc:
    def __init__(self, name: str, argv: list[str], run_dir: Path, log_dir: Path,
                 netns: str | None = None, env: dict[str, str] | None = None,
                 cpu_group: str | None = None):
        self.name, self.argv, self.netns, self.env = name, argv, netns, env
        self.cpu_group = cpu_group
        self.pidfile = run_dir / "pids" / f"{name}.pid"
        self.logfile = log_dir / f"{name}.log"

    def pid(self) -> int | None:
        try:
            pid = int(self.pidfile.read_text().split()[0])
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            # While a process is in execve (nsenter becoming the component) its cmdline reads
            # empty for a moment: look again rather than call a starting process dead.
            for _ in range(20):
                if cmdline:
                    break
                time.sleep(0.01)
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            cmdline = cmdline.split(b"\0")
        except (OSError, ValueError, IndexError):
            return None
        if Path(self.argv[0]).name.encode() not in b" ".join(cmdline):
            return None
        if Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z"):
            return None
        return pid

    def running(self) -> bool:
        return self.pid() is not None

    def start(self) -> None:
        if self.running():
            return
        self.pidfile.parent.mkdir(parents=True, exist_ok=True)
        self.logfile.parent.mkdir(parents=True, exist_ok=True)
        argv = self.argv
        if self.netns:
            argv = ["nsenter", f"--net=/run/netns/{self.netns}", "--", *argv]
        env = dict(os.environ, **(self.env or {}))
        with open(self.logfile, "ab") as log:
            log.write(f"\n=== {time.strftime('%F %T')} start: {' '.join(argv)}\n".encode())
            log.flush()
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                 start_new_session=True, env=env, close_fds=True)
        self.pidfile.write_text(f"{p.pid}\n")
        if self.cpu_group:
            join_cpu_group(p.pid, self.cpu_group)

    def exited_early(self) -> str | None:
        """The tail of the log when the process died, else None."""
        if self.running():
            return None
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-15:])
        except OSError:
            return "(no log)"

    def stop(self, timeout: float = 10) -> bool:
        pid = self.pid()
        if pid is None:
            self.pidfile.unlink(missing_ok=True)
            return False
        try:
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.pid() == pid:
                time.sleep(0.1)
            if self.pid() == pid:
                os.kill(pid, signal.SIGKILL)
                while self.pid() == pid:
                    time.sleep(0.05)
        except ProcessLookupError:
            pass
        self.pidfile.unlink(missing_ok=True)
        return True


def stop_child(proc: subprocess.Popen, grace: float = 20) -> None:
    """Stop a short-lived daemon the build started (SIGTERM, then SIGKILL after `grace` s)."""
    proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run(*argv: str, check: bool = True, netns: str | None = None, input: str | None = None,
        timeout: float = 60) -> subprocess.CompletedProcess:
    if netns:
        argv = ("nsenter", f"--net=/run/netns/{netns}", "--", *argv)
    try:
        p = subprocess.run(list(argv), text=True, capture_output=True, input=input, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"{' '.join(argv)} did not finish within {timeout:.0f}s") from None
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({p.returncode}): {p.stderr.strip() or p.stdout.strip()}")
    return p
