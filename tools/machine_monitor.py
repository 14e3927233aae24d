"""What the machine was doing while the suite ran: one line a minute in reports/machine.log.

Usage: python tools/machine_monitor.py --while-pid PID reports/machine.log   (make test starts it)
       python tools/machine_monitor.py --summary reports/machine.log          (one line, at the end)

The same suite takes 30 minutes on one 2-core machine and hours on another of the same size: the
difference is the machine (CPU stolen by its host, every system call slower), not the tests. Each
line gives the CPU in use (% of one core), the share stolen by the host, the load average, the
cost of one system call (a tight getpid loop: about 0.4 us on a healthy machine) and the busiest
commands, so that a slow run says why.
"""
from __future__ import annotations

import argparse
import collections
import os
import statistics
import sys
import time

HZ = os.sysconf("SC_CLK_TCK")
CORES = os.cpu_count() or 1


def per_command() -> dict[str, tuple[str, int]]:
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            stat = open(f"/proc/{pid}/stat").read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        out[pid] = (stat[stat.index("(") + 1:stat.rindex(")")], int(fields[11]) + int(fields[12]))
    return out


def cpu_times() -> list[int]:
    with open("/proc/stat") as f:
        return [int(x) for x in f.readline().split()[1:]]


def syscall_us(n: int = 20000) -> float:
    start = time.perf_counter()
    for _ in range(n):
        os.getpid()
    return (time.perf_counter() - start) / n * 1e6


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def monitor(log: str, while_pid: int, every: float, echo_every: int) -> None:
    """Sample until while_pid exits; every echo_every-th line also goes to stderr, so that a run
    stopped by its time limit has said what its machine was like."""
    procs, cpu = per_command(), cpu_times()
    samples = 0
    with open(log, "a") as out:
        while alive(while_pid):
            time.sleep(every)
            procs2, cpu2 = per_command(), cpu_times()
            delta = [b - a for a, b in zip(cpu, cpu2)]
            total = sum(delta) or 1
            idle = delta[3] + delta[4]  # idle + iowait
            busy = 100 * CORES * (total - idle - delta[7]) / total
            steal = 100 * CORES * delta[7] / total
            by_comm: collections.Counter[str] = collections.Counter()
            for pid, (comm, ticks) in procs2.items():
                before = procs.get(pid)
                by_comm[comm] += ticks - (before[1] if before and before[0] == comm else 0)
            top = " ".join(f"{c}={100 * t / HZ / every:.0f}%" for c, t in by_comm.most_common(6) if t > 0)
            load = open("/proc/loadavg").read().split()[0]
            line = (f"{time.strftime('%H:%M:%S')} busy={busy:.0f}% steal={steal:.0f}% load={load} "
                    f"syscall={syscall_us():.2f}us top: {top}")
            out.write(line + "\n")
            out.flush()
            samples += 1
            if echo_every and samples % echo_every == 0:
                sys.stderr.write(f"\n[machine] {line}\n")
            procs, cpu = procs2, cpu2


def summary(log: str) -> str:
    rows = []
    with open(log) as f:
        for line in f:
            kv = dict(p.split("=", 1) for p in line.split(" top:")[0].split()[1:])
            rows.append(kv)
    if not rows:
        return "machine: no samples"

    def med(key: str) -> float:
        return statistics.median(float(r[key].rstrip("%us")) for r in rows)

    return (f"machine, {len(rows)} samples: median busy {med('busy'):.0f}% of one core (of {CORES * 100}%), "
            f"stolen by the host {med('steal'):.0f}%, load {med('load'):.1f}, one system call "
            f"{med('syscall'):.2f} us (healthy: ~0.4); per sample: {log}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("log")
    ap.add_argument("--while-pid", type=int)
    ap.add_argument("--every", type=float, default=60)
    ap.add_argument("--echo-every", type=int, default=10, help="samples between lines on stderr (0: none)")
    ap.add_argument("--summary", action="store_true")
    a = ap.parse_args()
    if a.summary:
        print(summary(a.log) if os.path.exists(a.log) else f"machine: {a.log} missing")
        return 0
    if not a.while_pid:
        ap.error("--while-pid or --summary")
    monitor(a.log, a.while_pid, a.every, a.echo_every)
    return 0


if __name__ == "__main__":
    sys.exit(main())
