#!/usr/bin/env python3
"""A failed upgrade under load: the collection's upgrade.yml sets an image that cannot serve
while vegeta sends constant-rate requests to the release's LoadBalancer address. Prints, per
bad image: requests, failed requests (goal 0), p99, and the time from the first pod of the bad
image to the old version serving alone again (goal <= 15 s), and until the bad pods are gone.

  bench/failed_upgrade.py [--rate 250] [scenario ...]
  scenarios: broken (starts, never ready: rolled back), missing (a tag no node has: refused
             before anything changes)   (default: both)

Runs the playbooks with the local inventory against its main cluster (kubeha-local). Every
request goes to the release's LoadBalancer address inside the cluster's node range; the load is
bounded in rate and time and stops by itself.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import zero_downtime as zd  # noqa: E402

ROOT = zd.ROOT
VENV_BIN = ROOT / ".venv" / "bin"
BAD_TAGS = {"broken": "broken", "missing": "v0-not-on-any-node"}


def play(playbook: str, **extra) -> subprocess.CompletedProcess:
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               PATH=f"{VENV_BIN}:{os.environ['PATH']}")
    return subprocess.run([str(VENV_BIN / "ansible-playbook"), str(ROOT / "playbooks" / f"{playbook}.yml"),
                           "-e", json.dumps({"kubeha_clusters": "kubeha-local", **extra})],
                          cwd=ROOT, env=env, text=True, capture_output=True, timeout=900)


def release_status(rel: zd.Release) -> str:
    """helm's status of the release: deployed, failed, pending-upgrade, ..."""
    return json.loads(rel.helm("status", rel.name, "-n", rel.namespace, "-o", "json"))["info"]["status"]


class play_in_background:
    """Context manager: start a playbook (like play()), and on exit wait for it; `result` is
    then its CompletedProcess."""

    def __init__(self, playbook: str, **extra):
        self.playbook, self.extra, self.result = playbook, extra, None

    def __enter__(self):
        self.thread = threading.Thread(target=lambda: setattr(self, "result", play(self.playbook, **self.extra)))
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.thread.join()
        return False


@dataclass
class BadPods:
    """When the first pod of the bad image appeared; when the old version served alone again
    (the Deployment back on the old image with every replica available, no bad pod left that
    is not already terminating: a bad pod never became ready, so it never had traffic); and
    when the last bad pod was gone (its termination includes the chart's preStop pause)."""
    first_seen: float | None = None
    restored: float | None = None
    gone: float | None = None

    def since_first(self, t: float | None) -> str:
        return "-" if self.first_seen is None or t is None else f"{t - self.first_seen:.1f}s"


def watch(rel: zd.Release, tag: str, stop: threading.Event, seen: BadPods) -> None:
    while not stop.is_set():
        try:
            pods, deploy = rel.pods(), json.loads(rel.kubectl("-n", rel.namespace, "get", "deploy",
                                                              "webapp", "-o", "json"))
        except RuntimeError:
            pods = None  # an API hiccup: look again
        if pods is not None:
            now = time.monotonic()
            bad = [p for p in pods if p["spec"]["containers"][0]["image"].endswith(f":{tag}")]
            if bad and seen.first_seen is None:
                seen.first_seen = now
            if seen.first_seen is not None:
                st, spec = deploy["status"], deploy["spec"]
                back = (not spec["template"]["spec"]["containers"][0]["image"].endswith(f":{tag}")
                        and st.get("observedGeneration") == deploy["metadata"]["generation"]
                        and st.get("updatedReplicas") == st.get("availableReplicas") == spec["replicas"]
                        and all(p["metadata"].get("deletionTimestamp") for p in bad))
                if back and seen.restored is None:
                    seen.restored = now
                if not bad and seen.gone is None:
                    seen.gone = now
        stop.wait(0.2)


@dataclass
class Outcome:
    scenario: str
    load: zd.Result
    play_rc: int
    revision_before: int
    revision_after: int
    image_after: str
    bad_pods: BadPods

    def line(self) -> str:
        b = self.bad_pods
        pods = ("no bad pod was ever created" if b.first_seen is None else
                f"first bad pod -> old version alone {b.since_first(b.restored)} "
                f"(bad pods gone after {b.since_first(b.gone)})")
        return (f"{self.scenario:8} requests={self.load.requests} failed={self.load.failed} "
                f"p99={self.load.p99_ms:.1f}ms play_rc={self.play_rc} revision {self.revision_before}->"
                f"{self.revision_after} serving={self.image_after} {pods}")


def failed_upgrade(rel: zd.Release, url: str, scenario: str, rate: int) -> Outcome:
    tag = BAD_TAGS[scenario]
    before = rel.revision()
    stop, seen, runs = threading.Event(), BadPods(), []
    watcher = threading.Thread(target=watch, args=(rel, tag, stop, seen), daemon=True)
    watcher.start()
    try:
        load = zd.attack(url, rate, 30, scenario, lambda: runs.append(
            play("upgrade", webapp_namespace=rel.namespace, upgrade_image_tag=tag)))
    finally:
        stop.set()
        watcher.join()
    if runs and os.environ.get("KUBEHA_BENCH_PLAY_LOG"):  # the play's own output, for a breakdown
        Path(os.environ["KUBEHA_BENCH_PLAY_LOG"]).write_text(runs[0].stdout + runs[0].stderr)
    images = {p["spec"]["containers"][0]["image"] for p in rel.pods()}
    return Outcome(scenario=scenario, load=load, play_rc=runs[0].returncode if runs else -1,
                   revision_before=before, revision_after=rel.revision(),
                   image_after=",".join(sorted(images)), bad_pods=seen)


def deployed(namespace: str) -> tuple[zd.Release, str]:
    """The web app (v1, 4 replicas) installed by deploy.yml; its LoadBalancer URL."""
    p = play("deploy", webapp_namespace=namespace, install_replicas=4)
    if p.returncode != 0:
        raise RuntimeError("deploy.yml failed:\n" + "\n".join(p.stdout.splitlines()[-30:]))
    kubectl, helm = zd.tools()
    rel = zd.Release(kubectl, helm, namespace, name="webapp")
    return rel, rel.address()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rate", type=int, default=250, help="requests per second (default 250)")
    ap.add_argument("scenario", nargs="*", help=f"any of {', '.join(BAD_TAGS)} (default: all)")
    args = ap.parse_args()
    args.scenario = args.scenario or list(BAD_TAGS)
    if unknown := set(args.scenario) - set(BAD_TAGS):
        ap.error(f"unknown scenario {', '.join(sorted(unknown))}; choose from {', '.join(BAD_TAGS)}")
    ns = f"kubeha-failup-{uuid.uuid4().hex[:6]}"
    try:
        rel, url = deployed(ns)
        print(f"== failed upgrade under load: {args.rate} req/s against {url} (upgrade.yml, namespace {ns})",
              flush=True)
        for name in args.scenario:
            print(failed_upgrade(rel, url, name, args.rate).line(), flush=True)
        return 0
    finally:
        play("uninstall", webapp_namespace=ns, uninstall_confirm=True, uninstall_delete_namespace=True)


if __name__ == "__main__":
    sys.exit(main())
