#!/usr/bin/env python3
"""Canary and blue/green upgrades under load: upgrade.yml with upgrade_strategy=canary or blue_green while constant-rate requests
go through the cluster's shared Gateway to the release's route. Prints, per scenario: requests,
failed requests and their share of the whole run, the time from the first failed request to the
last (traffic back on the stable track), the p99 of the requests the stable version answered
before and during the upgrade, and what the play said.

  bench/canary.py [--rate 250] [scenario ...]
  scenarios: bad (kubeha/web:bad, ready but answering 500, by canary: aborted at 10%; goals:
             <= 1% failed, <= 5 s from the first failed request to the last; its preview checks ask
             /healthz, which it answers well), bad-preview (the same, the preview asking /: removed
             before any user request reaches it), bad-rolling (the
             same image by a rolling update, for comparison), good (v2 through 10 -> 50 -> 100:
             0 failed), slow (kubeha/web:slow, 800 ms answers: aborted on latency, the stable
             version's p99 unchanged), bg-good (v2 by blue/green: verified on its preview, every
             request switched at once, 0 failed), bg-switch-back (the same, with a latency threshold
             no answer meets: switched back, 0 failed; the time users were on the new version is
             detection plus switch back, goal <= 2 s for the switch back), bg-slow (kubeha/web:slow by
             blue/green: switched back on latency, 0 failed)   (default: all)

Runs the playbooks with the local inventory against its main cluster (kubeha-local), as the admin.
Every request goes to the Gateway's address inside the cluster's node range; the load is bounded
in rate and time and stops by itself.
"""
from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import failed_upgrade as fu  # noqa: E402
import zero_downtime as zd  # noqa: E402

MAX_RATE, MAX_SECONDS = 500, 300
# The canary's settings for the bench: the role's defaults but a shorter pause.
CANARY = {"upgrade_strategy": "canary", "upgrade_canary_pause_seconds": 10}
BLUE_GREEN = {"upgrade_strategy": "blue_green", "upgrade_blue_green_hold_seconds": 10}


@dataclass(frozen=True)
class Scenario:
    tag: str
    strategy: dict
    expect_ok: bool


SCENARIOS = {
    # The preview's checks ask /healthz, which bad answers well: user requests (/) reach it, and
    # the analysis judges them. bad-preview: the preview asks / and catches it before any user does.
    "bad": Scenario("bad", dict(CANARY, verify_path="/healthz", verify_expected_body=""), False),
    "bad-preview": Scenario("bad", CANARY, False),
    "bad-rolling": Scenario("bad", {"upgrade_strategy": "rolling"}, False),
    "good": Scenario("v2", CANARY, True),
    "slow": Scenario("slow", CANARY, False),
    "bg-good": Scenario("v2", BLUE_GREEN, True),
    "bg-switch-back": Scenario("v2", dict(BLUE_GREEN, upgrade_canary_max_p99_ms=0.001), False),
    "bg-slow": Scenario("slow", BLUE_GREEN, False),
}


@dataclass
class Answers:
    """Each answer: seconds since the load started, status, version (empty for an error), ms."""
    rows: list = field(default_factory=list)

    def failed(self):
        return [r for r in self.rows if r[1] != 200]

    def p99(self, version: str, start: float = 0.0, end: float = float("inf")) -> float:
        ms = sorted(r[3] for r in self.rows if r[2] == version and start <= r[0] < end)
        return ms[min(len(ms) - 1, int(0.99 * len(ms)))] if ms else float("nan")


def load(host: str, address: str, rate: int, action, before: float = 5.0, after: float = 3.0) -> tuple[Answers, float, float]:
    """`rate` GETs a second to the Gateway with the route's Host, from `before` seconds before
    `action()` until `after` seconds after it returned (at most MAX_SECONDS); the answers and when
    the action started and ended."""
    if not 0 < rate <= MAX_RATE:
        raise ValueError(f"load bounded to {MAX_RATE}/s")
    answers, stop, workers = Answers(), threading.Event(), 16
    t0 = time.monotonic()

    def send(k):
        i = 0
        while not stop.is_set():
            due = t0 + (i * workers + k) / rate
            if due - t0 > MAX_SECONDS:
                return
            time.sleep(max(0.0, due - time.monotonic()))
            i += 1
            sent = time.monotonic()
            req = urllib.request.Request(f"http://{address}/", headers={"Host": host})
            try:
                with urllib.request.urlopen(req, timeout=5) as resp:
                    body = resp.read().decode().split()
                    row = (resp.status, body[1] if len(body) > 1 else "")
            except urllib.error.HTTPError as e:
                row = (e.code, "")
            except OSError as e:
                row = (type(e).__name__, "")
            answers.rows.append((sent - t0,) + row + ((time.monotonic() - sent) * 1000.0,))
    threads = [threading.Thread(target=send, args=(k,), daemon=True) for k in range(workers)]
    for t in threads:
        t.start()
    time.sleep(before)
    started = time.monotonic() - t0
    try:
        action()
    finally:
        ended = time.monotonic() - t0
        time.sleep(after)
        stop.set()
        for t in threads:
            t.join()
    return answers, started, ended


def run(namespace: str, host: str, address: str, name: str, rate: int, stable: str) -> str:
    s = SCENARIOS[name]
    plays = []
    answers, started, ended = load(host, address, rate, lambda: plays.append(
        fu.play("upgrade", webapp_namespace=namespace, upgrade_image_tag=s.tag, **s.strategy)))
    p = plays[0]
    failed = answers.failed()
    window = f"{failed[-1][0] - failed[0][0]:.1f}s" if failed else "-"
    share = 100.0 * len(failed) / max(1, len(answers.rows))
    new = [r[0] for r in answers.rows if r[2] == "version=" + s.tag]
    # Until the promotion, the time users were on the new version (all of it, once promoted).
    on_new = f"{new[-1] - new[0]:.1f}s" if new else "-"
    # The summary's problem line (why the canary was aborted, or the upgrade rolled back).
    said = next((line.strip() for line in p.stdout.splitlines()
                 if line.strip().startswith("kubeha-local: ") and ("aborted" in line or "rolled back" in line
                                                                   or "failed" in line)), "")
    return (f"{name:11} requests={len(answers.rows)} failed={len(failed)} ({share:.2f}%) first->last failed={window} "
            f"stable {stable} p99 before={answers.p99('version=' + stable, 0, started):.0f}ms "
            f"during={answers.p99('version=' + stable, started, ended):.0f}ms on {s.tag}={on_new} play={ended - started:.0f}s "
            f"rc={p.returncode} {'(as expected)' if (p.returncode == 0) == s.expect_ok else '(UNEXPECTED)'}"
            + (f"\n{'':11} {said[:300]}" if said else ""))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rate", type=int, default=250, help="requests per second (default 250)")
    ap.add_argument("scenario", nargs="*", help=f"any of {', '.join(SCENARIOS)} (default: all)")
    args = ap.parse_args()
    names = args.scenario or list(SCENARIOS)
    if unknown := set(names) - set(SCENARIOS):
        ap.error(f"unknown scenario {', '.join(sorted(unknown))}; choose from {', '.join(SCENARIOS)}")
    ns = f"kubeha-canary-{uuid.uuid4().hex[:6]}"
    try:
        p = fu.play("deploy", webapp_namespace=ns, install_replicas=4)
        if p.returncode != 0:
            raise RuntimeError("deploy.yml failed:\n" + "\n".join(p.stdout.splitlines()[-30:]))
        host = f"webapp-{ns}.kubeha.test"
        address = json.loads(zd.cli("facts"))["gateway_ip"]
        print(f"== canary under load: {args.rate} req/s through the Gateway to {host} (upgrade.yml, namespace {ns})",
              flush=True)
        for name in names:
            print(run(ns, host, address, name, args.rate, "v1"), flush=True)
            if SCENARIOS[name].expect_ok:  # back to v1 for the next scenario
                fu.play("upgrade", webapp_namespace=ns, upgrade_image_tag="v1")
    finally:
        fu.play("uninstall", webapp_namespace=ns, uninstall_confirm=True, uninstall_delete_namespace=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
