#!/usr/bin/env python3
"""A failed upgrade under load: the collection's upgrade.yml sets an image that cannot serve
while vegeta sends constant-rate requests to the release's LoadBalancer address. Prints, per
bad image: requests, failed requests (goal 0), p99, and the time from the first pod of the bad
image to the old version serving alone again (goal <= 15 s), and until the bad pods are gone.

  bench/failed_upgrade.py [--rate 250] [scenario ...]
  scenarios: broken (starts, never ready: rolled back), missing (a tag the cluster's registry
             does not have: refused by the image check before anything changes), and against a
             release that pulls at every pod start (imagePullPolicy Always), the pre-change
             image check switched off:
             absent (a tag in no registry), private (the private registry's image, without its
             pull secret), registry-down (the registry stopped while the upgrade pulls); each is
             rolled back on ErrImagePull/ImagePullBackOff   (default: all)

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


@dataclass(frozen=True)
class Scenario:
    tag: str                    # the tag of the bad image (how its pods are told apart)
    always_pull: bool = False    # against the release that pulls at every pod start
    private: bool = False        # the image of the private registry (no pull secret given)
    stop_registry: bool = False  # the public registry is stopped while the upgrade runs

    def upgrade_vars(self, registry: dict) -> dict:
        extra = {"upgrade_image_tag": self.tag}
        if self.always_pull:
            extra["webapp_image_check"] = False  # what the rollout watch does is measured here
        if self.private:
            extra["upgrade_image_repository"] = f"{registry['private']}/kubeha/web"
        return extra


SCENARIOS = {
    "broken": Scenario("broken"),
    "missing": Scenario("v0-not-in-the-registry"),
    "absent": Scenario("v0-in-no-registry", always_pull=True),
    "private": Scenario("v2", always_pull=True, private=True),
    "registry-down": Scenario("v2", always_pull=True, stop_registry=True),
}


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
    image_before: str
    image_after: str
    bad_pods: BadPods
    play_output: str = ""

    def line(self) -> str:
        b = self.bad_pods
        pods = ("no bad pod was ever created" if b.first_seen is None else
                f"first bad pod -> old version alone {b.since_first(b.restored)} "
                f"(bad pods gone after {b.since_first(b.gone)})")
        return (f"{self.scenario:8} requests={self.load.requests} failed={self.load.failed} "
                f"p99={self.load.p99_ms:.1f}ms play_rc={self.play_rc} revision {self.revision_before}->"
                f"{self.revision_after} serving={self.image_after} {pods}")


def serving(rel: zd.Release) -> str:
    """The images the release's pods run, comma-separated."""
    return ",".join(sorted({p["spec"]["containers"][0]["image"] for p in rel.pods()}))


def registry() -> dict:
    """The cluster's registries (cluster facts: public, private, ca_file, ...)."""
    return json.loads(zd.cli("facts"))["registry"]


def failed_upgrade(rel: zd.Release, url: str, scenario: str, rate: int) -> Outcome:
    bad = SCENARIOS[scenario]
    before, image_before = rel.revision(), serving(rel)
    stop, seen, runs = threading.Event(), BadPods(), []
    watcher = threading.Thread(target=watch, args=(rel, bad.tag, stop, seen), daemon=True)
    watcher.start()

    def upgrade():
        if bad.stop_registry:
            zd.cli("registry-stop", "public")
        try:
            runs.append(play("upgrade", webapp_namespace=rel.namespace, **bad.upgrade_vars(registry())))
        finally:
            if bad.stop_registry:
                zd.cli("registry-start", "public")
    try:
        load = zd.attack(url, rate, 30, scenario, upgrade)
    finally:
        stop.set()
        watcher.join()
    if runs and os.environ.get("KUBEHA_BENCH_PLAY_LOG"):  # the play's own output, for a breakdown
        Path(os.environ["KUBEHA_BENCH_PLAY_LOG"]).write_text(runs[0].stdout + runs[0].stderr)
    return Outcome(scenario=scenario, load=load, play_rc=runs[0].returncode if runs else -1,
                   revision_before=before, revision_after=rel.revision(),
                   image_before=image_before, image_after=serving(rel), bad_pods=seen,
                   play_output=(runs[0].stdout + runs[0].stderr) if runs else "")


def deployed(namespace: str, always_pull: bool = False) -> tuple[zd.Release, str]:
    """The web app (v1, 4 replicas) installed by deploy.yml, its image from the cluster's public
    registry (the local inventory's); its LoadBalancer URL. always_pull: pulled at every pod
    start (imagePullPolicy Always), instead of when a node lacks it."""
    extra = {"kubeha_extra_values": {"image": {"pullPolicy": "Always"}}} if always_pull else {}
    p = play("deploy", webapp_namespace=namespace, install_replicas=4, **extra)
    if p.returncode != 0:
        raise RuntimeError("deploy.yml failed:\n" + "\n".join(p.stdout.splitlines()[-30:]))
    kubectl, helm = zd.tools()
    rel = zd.Release(kubectl, helm, namespace, name="webapp")
    return rel, rel.address()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rate", type=int, default=250, help="requests per second (default 250)")
    ap.add_argument("scenario", nargs="*", help=f"any of {', '.join(SCENARIOS)} (default: all)")
    args = ap.parse_args()
    args.scenario = args.scenario or list(SCENARIOS)
    if unknown := set(args.scenario) - set(SCENARIOS):
        ap.error(f"unknown scenario {', '.join(sorted(unknown))}; choose from {', '.join(SCENARIOS)}")
    for always_pull in (False, True):
        names = [n for n in args.scenario if SCENARIOS[n].always_pull == always_pull]
        if not names:
            continue
        ns = f"kubeha-failup-{uuid.uuid4().hex[:6]}"
        try:
            rel, url = deployed(ns, always_pull)
            print(f"== failed upgrade under load: {args.rate} req/s against {url} (upgrade.yml, namespace {ns}"
                  f"{', images pulled at every pod start' if always_pull else ''})", flush=True)
            for name in names:
                print(failed_upgrade(rel, url, name, args.rate).line(), flush=True)
        finally:
            play("uninstall", webapp_namespace=ns, uninstall_confirm=True, uninstall_delete_namespace=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
