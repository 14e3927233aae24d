#!/usr/bin/env python3
"""Zero downtime under load: constant-rate HTTP load (vegeta, built from its Go module) against
the webapp chart's LoadBalancer address, or through the cluster's shared Gateway to the release's
HTTPRoute, while one disruption happens, then the figures: requests, failed requests (goal 0),
rate, p50/p99 latency.

  bench/zero_downtime.py [--rate 250] [--duration 30] [scenario ...]
  scenarios: upgrade rollback scale delete-pod drain-node
             (default: all, in that order; during the upgrade the same rate goes through the
             Gateway too, printed as upgrade-gateway)

Runs against the cluster named by KUBEHA_CLUSTER/KUBEHA_CLUSTER_INDEX (needs 2 workers). Every
request goes to the release's LoadBalancer address or the Gateway's, inside the cluster's own
node range; each attack is bounded in rate and duration and stops by itself.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = str(ROOT / "cluster" / "kubeha-cluster")
CHART = ROOT / "charts" / "webapp"
LOCAL_VALUES = CHART / "ci" / "local-values.yaml"
MAX_RATE, MAX_DURATION = 1000, 120  # bounds of any attack this script sends


def cli(*args: str) -> str:
    return subprocess.run([CLI, *args], check=True, text=True, capture_output=True).stdout.strip()


def vegeta_bin() -> str:
    cache = Path(os.environ.get("KUBEHA_CACHE") or
                 Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kubeha")
    versions = dict(line.split("=", 1) for line in (ROOT / "cluster" / "versions.env").read_text().splitlines()
                    if "=" in line and not line.startswith("#"))
    path = cache / "bin" / f"vegeta-{versions['VEGETA_VERSION']}" / "vegeta"
    if not path.exists():
        subprocess.run([str(ROOT / "cluster" / "lib" / "build.sh"), "vegeta"], check=True)
    return str(path)


@dataclass
class Result:
    scenario: str
    requests: int = 0
    failed: int = 0
    rate: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    status_codes: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    action_s: float = 0.0    # how long the disruption itself took (all of it under load)

    def line(self) -> str:
        return (f"{self.scenario:12} action={self.action_s:.0f}s requests={self.requests} failed={self.failed} "
                f"rate={self.rate:.0f}/s p50={self.p50_ms:.1f}ms p99={self.p99_ms:.1f}ms "
                f"max={self.max_ms:.0f}ms codes={self.status_codes}"
                + (f" errors={self.errors[:3]}" if self.errors else ""))


def attack(url: str, rate: int, duration: float, scenario: str, action=None, action_at: float = 3.0,
           settle: float = 5.0, timeout: float = 2.0, host: str = "") -> Result:
    """Send `rate` GETs per second to `url` (keep-alive connections, as a real client pool would),
    with `host` as their Host header when given (a Gateway routes by it).
    Without `action`: for `duration` seconds. With one: `action()` starts `action_at` seconds in,
    and the load goes on until `settle` seconds after it returned (the whole disruption is under
    load), at most MAX_DURATION seconds. Returns the figures."""
    return attack_each({scenario: (url, host)}, rate, duration, action, action_at, settle, timeout)[scenario]


def attack_each(targets: dict[str, tuple[str, str]], rate: int, duration: float, action=None,
                action_at: float = 3.0, settle: float = 5.0, timeout: float = 2.0) -> dict[str, Result]:
    """attack() on several targets at once ({name: (url, Host header)}), `rate` per second each,
    all during the same disruption: one upgrade proves both paths (LoadBalancer and Gateway).
    Returns the figures by name."""
    if not (0 < rate <= MAX_RATE and 0 < duration <= MAX_DURATION):
        raise ValueError(f"attack bounded to {MAX_RATE}/s and {MAX_DURATION}s")
    with tempfile.TemporaryDirectory() as tmp:
        procs = {}
        for name, (url, host) in targets.items():
            target_file = Path(tmp) / f"{name}.targets"
            target_file.write_text(f"GET {url}\n" + (f"Host: {host}\n" if host else ""))
            procs[name] = subprocess.Popen(
                [vegeta_bin(), "attack", f"-rate={rate}/1s",
                 f"-duration={MAX_DURATION if action else duration}s",
                 f"-timeout={timeout}s", f"-targets={target_file}", f"-output={Path(tmp) / name}.bin",
                 "-max-workers=200"], stderr=subprocess.PIPE, text=True)
        action_s = 0.0
        try:
            if action is not None:
                time.sleep(action_at)
                t0 = time.monotonic()
                try:
                    action()
                finally:
                    action_s = time.monotonic() - t0
                    time.sleep(settle)
                    for proc in procs.values():
                        proc.send_signal(signal.SIGINT)  # vegeta stops and writes what it has
            for proc in procs.values():
                proc.wait(timeout=MAX_DURATION + timeout + 30)
        finally:
            for proc in procs.values():
                if proc.poll() is None:
                    proc.kill()
        return {name: figures(name, Path(tmp) / f"{name}.bin", action_s) for name in targets}


def figures(scenario: str, results: Path, action_s: float) -> Result:
    """The Result of one vegeta output file."""
    report = json.loads(subprocess.run([vegeta_bin(), "report", "-type=json", str(results)],
                                       check=True, text=True, capture_output=True).stdout)
    codes = {k: v for k, v in (report.get("status_codes") or {}).items()}
    ok = codes.get("200", 0)
    lat = report["latencies"]
    return Result(scenario=scenario, requests=report["requests"], failed=report["requests"] - ok,
                  rate=report["rate"], p50_ms=lat["50th"] / 1e6, p99_ms=lat["99th"] / 1e6,
                  max_ms=lat["max"] / 1e6, status_codes=codes, errors=report.get("errors") or [],
                  action_s=action_s)


class Release:
    """A release of the webapp chart (local values) behind a LoadBalancer Service, and an
    HTTPRoute on the cluster's shared Gateway (its namespace labelled as the Gateway admits)."""

    def __init__(self, kubectl, helm, namespace: str, name: str = "zd"):
        self.kubectl, self.helm, self.namespace, self.name = kubectl, helm, namespace, name
        facts = json.loads(cli("facts"))
        self.gateway, self.gateway_ip = facts["gateway"], facts["gateway_ip"]
        self.hostname = f"{name}-{namespace}.kubeha.test"
        key, value = route_label(self.gateway)
        kubectl("label", "namespace", namespace, f"{key}={value}", "--overwrite")

    def upgrade(self, *sets: str) -> None:
        args = ["upgrade", "--install", self.name, str(CHART), "-n", self.namespace,
                "-f", str(LOCAL_VALUES), "--reset-then-reuse-values", "--set", "service.type=LoadBalancer",
                "--set", "httpRoute.enabled=true",
                "--set", f"httpRoute.parentRefs[0].name={self.gateway['name']}",
                "--set", f"httpRoute.parentRefs[0].namespace={self.gateway['namespace']}",
                "--set", f"httpRoute.hostnames[0]={self.hostname}"]
        for s in sets:
            args += ["--set", s]
        self.helm(*args, "--wait", "--timeout", "300s")

    def rollback(self, revision: int) -> None:
        self.helm("rollback", self.name, str(revision), "-n", self.namespace, "--wait", "--timeout", "300s")

    def address(self) -> str:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            svc = json.loads(self.kubectl("-n", self.namespace, "get", "svc", "-l",
                                          f"app.kubernetes.io/instance={self.name}", "-o", "json"))["items"][0]
            ingress = svc["status"].get("loadBalancer", {}).get("ingress") or []
            if ingress:
                return f"http://{ingress[0]['ip']}:{svc['spec']['ports'][0]['port']}/"
            time.sleep(0.5)
        raise RuntimeError("the Service got no LoadBalancer address")

    def gateway_target(self) -> tuple[str, str]:
        """(URL, Host header) of the release's route on the Gateway, once the Gateway serves it."""
        url = f"http://{self.gateway_ip}:{self.gateway['http_port']}/"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            req = urllib.request.Request(url, headers={"Host": self.hostname})
            try:
                with urllib.request.urlopen(req, timeout=2) as r:
                    if r.status == 200:
                        return url, self.hostname
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"the Gateway does not serve {self.hostname}")

    def pods(self) -> list[dict]:
        return json.loads(self.kubectl("-n", self.namespace, "get", "pods", "-l",
                                       f"app.kubernetes.io/instance={self.name}", "-o", "json"))["items"]

    def settled(self, timeout: float = 120) -> None:
        """Wait until no pod of the release is terminating any more (the disruption is over)."""
        deadline = time.monotonic() + timeout
        while any(p["metadata"].get("deletionTimestamp") for p in self.pods()):
            if time.monotonic() > deadline:
                raise RuntimeError("pods still terminating")
            time.sleep(0.5)

    def revision(self) -> int:
        return int(json.loads(self.helm("status", self.name, "-n", self.namespace, "-o", "json"))["version"])


def scenarios(rel: Release, kubectl, rate: int, duration: float):
    """(name, prepare, action, after) for each disruption."""
    def upgrade_prepare():
        rel.upgrade("image.tag=v1", "replicas=4")

    def drain():
        pods = rel.pods()
        node = sorted({p["spec"]["nodeName"] for p in pods})[-1]
        kubectl("drain", node, "--ignore-daemonsets", "--delete-emptydir-data", "--force", "--timeout=120s")
        cli("node-stop", node)
        drain.node = node

    def drain_after():
        node = getattr(drain, "node", None)
        if node:
            cli("node-start", node)
            kubectl("uncordon", node)

    def then_settled(f):
        def g():
            f()
            rel.settled()
        return g

    return {
        "upgrade": (upgrade_prepare, then_settled(lambda: rel.upgrade("image.tag=v2")), None),
        "rollback": (None, then_settled(lambda: rel.rollback(rel.revision() - 1)), None),
        "scale": (lambda: rel.upgrade("replicas=10"), then_settled(lambda: rel.upgrade("replicas=2")), None),
        "delete-pod": (lambda: rel.upgrade("replicas=4"), then_settled(
            lambda: kubectl("-n", rel.namespace, "delete", "pod", rel.pods()[0]["metadata"]["name"],
                            "--wait=false")), None),
        "drain-node": (None, then_settled(drain), drain_after),
    }


def targets(rel: Release, scenario: str, lb_url: str) -> dict[str, tuple[str, str]]:
    """{name: (URL, Host header)} a scenario's load goes to: an upgrade loads the LoadBalancer
    and the Gateway (the release's HTTPRoute) at once; the other disruptions the LoadBalancer."""
    lb = {scenario: (lb_url, "")}
    return {**lb, f"{scenario}-gateway": rel.gateway_target()} if scenario == "upgrade" else lb


def run_scenario(rel: Release, table: dict, name: str, lb_url: str, rate: int,
                 duration: float) -> dict[str, Result]:
    """One disruption of scenarios() under load: its preparation, the attack on its targets()
    while it happens, then what undoes it (a stopped node started again); the figures by name."""
    prepare, action, after = table[name]
    if prepare:
        prepare()
    try:
        return attack_each(targets(rel, name, lb_url), rate, duration, action)
    finally:
        if after:
            after()


def route_label(gateway: dict) -> tuple[str, str]:
    """The namespace label the Gateway's listeners admit routes by (cluster facts)."""
    key, _, value = gateway["route_label"].partition("=")
    return key, value


# What kubectl/helm print when the API server did not answer (as opposed to answering "no").
API_BUSY = ("Unable to connect to the server", "TLS handshake timeout", "connection refused",
            "the server is currently unable to handle the request", "http2: client connection lost",
            "EOF")


def tools():
    env = dict(os.environ)
    env["PATH"] = f"{cli('bin-dir')}:{env['PATH']}"
    env["KUBECONFIG"] = cli("kubeconfig")

    def run(tool):
        def f(*args):
            # The observer asks again while the API server is busy or restarting (the load and the
            # faults these scenarios make on a small machine), for up to a minute; any other error
            # is an answer.
            for attempt in range(12):
                p = subprocess.run([tool, *args], env=env, text=True, capture_output=True, timeout=600)
                if p.returncode == 0:
                    return p.stdout
                if not any(m in p.stderr for m in API_BUSY) or attempt == 11:
                    raise RuntimeError(f"{tool} {' '.join(args)}: {p.stderr.strip()}")
                time.sleep(5)
        return f
    return run("kubectl"), run("helm")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rate", type=int, default=250, help="requests per second (default 250)")
    ap.add_argument("--duration", type=float, default=30,
                    help="seconds of load without a disruption (with one: until 5 s after it ends)")
    ap.add_argument("scenario", nargs="*",
                    default=["upgrade", "rollback", "scale", "delete-pod", "drain-node"])
    args = ap.parse_args()
    kubectl, helm = tools()
    ns = f"kubeha-bench-{uuid.uuid4().hex[:6]}"
    kubectl("create", "namespace", ns)
    rel = Release(kubectl, helm, ns)
    try:
        rel.upgrade("image.tag=v1", "replicas=4")
        url = rel.address()
        print(f"== zero downtime under load: {args.rate} req/s for {args.duration:.0f}s per scenario "
              f"against {url} (release {rel.name} in {ns})", flush=True)
        table = scenarios(rel, kubectl, args.rate, args.duration)
        failed = 0
        for name in args.scenario:
            for r in run_scenario(rel, table, name, url, args.rate, args.duration).values():
                print(r.line(), flush=True)
                failed += r.failed
        print(f"total failed requests: {failed}")
        return 0
    finally:
        kubectl("delete", "namespace", ns, "--wait=false")


if __name__ == "__main__":
    sys.exit(main())
