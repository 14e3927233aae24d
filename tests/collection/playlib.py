"""Helpers of the kubeha.webapp collection tests (used by conftest.py and the tests).

The playbooks run for real (the venv's ansible-playbook, the repository's ansible.cfg and local
inventory) against the real local cluster; tests then look at the cluster itself - helm history,
the Deployment, the pods' images, what the Service answers - not at Ansible's output alone.
Each test module works in a namespace of its own (kubeha-coll-<id>), deleted at the end.
"""
from __future__ import annotations

import collections
import json
import os
import re
import secrets
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
PLAYBOOKS = ROOT / "playbooks"
LOCAL_INVENTORY = ROOT / "inventories" / "local"

RECAP_RE = re.compile(
    r"^(?P<host>\S+)\s+:\s+ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)"
    r"\s+failed=(?P<failed>\d+)\s+skipped=(?P<skipped>\d+)\s+rescued=(?P<rescued>\d+)\s+ignored=(?P<ignored>\d+)",
    re.M,
)


def cluster_inventory(d: Path) -> Path:
    """The local inventory in ``d`` with its main host on the cluster the tests run on
    (KUBEHA_CLUSTER, KUBEHA_CLUSTER_INDEX, as the `cluster` fixture): its hosts.yml names the
    cluster `kubeha`."""
    shutil.copytree(LOCAL_INVENTORY / "group_vars", d / "group_vars")
    shutil.copy(LOCAL_INVENTORY / "tool-paths.yml", d / "tool-paths.yml")
    host = {"kubeha_cluster_name": os.environ.get("KUBEHA_CLUSTER", "kubeha"),
            "kubeha_cluster_index": int(os.environ.get("KUBEHA_CLUSTER_INDEX", "0")),
            # group_vars finds it beside the inventory, which is not in the checkout here
            "kubeha_cluster_cli": str(ROOT / "cluster" / "kubeha-cluster")}
    hosts = {"all": {"children": {"clusters": {"children": {"local": {"hosts": {"kubeha-local": host}}}}}}}
    (d / "hosts.yml").write_text(yaml.safe_dump(hosts))
    return d


@dataclass
class PlayRun:
    argv: list[str]
    rc: int
    output: str
    seconds: float
    recap: dict[str, dict[str, int]] = field(default_factory=dict)

    def counts(self, host: str = "kubeha-local") -> dict[str, int]:
        assert host in self.recap, f"no recap for {host}:\n{self.tail()}"
        return self.recap[host]

    @property
    def changed(self) -> int:
        return self.counts()["changed"]

    def tail(self, lines: int = 80) -> str:
        return "\n".join(self.output.splitlines()[-lines:])

    def flat(self) -> str:
        """The output with YAML line folding undone (messages are searched in it)."""
        return " ".join(self.output.split())


def ansible_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        PATH=f"{VENV_BIN}:{env.get('PATH', '')}",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra or {})
    return env


def run_module(module: str, args: dict, *extra: str) -> tuple[dict, str]:
    """One module task on the implicit localhost (`ansible localhost -m`, connection local, the
    controller's Python): its result, with `failed` read from the status, and the whole output.
    The ad-hoc command's own callback (minimal) prints it as JSON after `localhost | STATUS =>`
    (`-o`, the oneline callback, is deprecated since ansible-core 2.21)."""
    p = subprocess.run([str(VENV_BIN / "ansible"), "localhost", "-m", module, "-a", json.dumps(args),
                        *extra], cwd=PLAYBOOKS, env=ansible_env({"ANSIBLE_CALLBACK_RESULT_FORMAT": "json"}),
                       capture_output=True, text=True, timeout=120)
    m = re.search(r"^localhost \| (?P<status>[A-Z!]+) => ", p.stdout, re.M)
    assert m, p.stdout + p.stderr
    result, _ = json.JSONDecoder().raw_decode(p.stdout, m.end())
    result["failed"] = m.group("status") == "FAILED!"
    return result, p.stdout + p.stderr


def run_playbook(playbook: str | Path, extra_vars: dict, *args: str, inventory: Path | None = None,
                 env: dict[str, str] | None = None, timeout: float = 900, cwd: Path = ROOT,
                 venv_bin: Path = VENV_BIN) -> PlayRun:
    # A path, a collection playbook (kubeha.webapp.deploy), or the name of one in playbooks/.
    if isinstance(playbook, Path) or "." in playbook:
        path = playbook
    else:
        path = PLAYBOOKS / f"{playbook}.yml"
    argv = [str(venv_bin / "ansible-playbook"), str(path), "-e", json.dumps(extra_vars), *args]
    if inventory is not None:
        argv += ["-i", str(inventory)]
    start = time.monotonic()
    proc = subprocess.run(argv, cwd=cwd, env=ansible_env(env), text=True, capture_output=True,
                          timeout=timeout)
    out = proc.stdout + proc.stderr
    recap = {m["host"]: {k: int(v) for k, v in m.groupdict().items() if k != "host"}
             for m in RECAP_RE.finditer(out)}
    return PlayRun(argv=argv, rc=proc.returncode, output=out, seconds=time.monotonic() - start,
                   recap=recap)


class App:
    """One release of the web app in a namespace of its own, and ways to look at it."""

    def __init__(self, cluster, namespace: str, release: str = "webapp", tmp: Path | None = None):
        self.cluster = cluster
        self.namespace = namespace
        self.release = release
        self.name = release if "webapp" in release else f"{release}-webapp"
        self.tmp = tmp
        # The local inventory holds two clusters; these tests look at the main one only
        # (molecule/multi-cluster runs the playbooks against both).
        self.vars: dict = {"webapp_namespace": namespace, "webapp_release": release,
                           "kubeha_clusters": "kubeha-local"}
        if tmp is not None:
            self.vars["webapp_deployer_kubeconfig"] = str(tmp / f"{namespace}-deployer.yaml")

    # -- running playbooks ------------------------------------------------------------------
    def play(self, playbook: str, *args: str, expect_ok: bool | None = True, **extra) -> PlayRun:
        run = run_playbook(playbook, {**self.vars, **extra}, *args)
        if expect_ok is True:
            assert run.rc == 0, f"{playbook} failed (rc {run.rc}):\n{run.tail()}"
        elif expect_ok is False:
            assert run.rc != 0, f"{playbook} was expected to fail:\n{run.tail()}"
        return run

    # -- looking at the cluster -------------------------------------------------------------
    def kubectl_json(self, *args: str):
        out = self.cluster.kubectl(*args, "-o", "json").stdout
        return json.loads(out)

    def history(self) -> list[dict]:
        proc = self.cluster.helm("history", self.release, "-n", self.namespace, "-o", "json",
                                 check=False)
        if proc.returncode != 0:
            return []
        return json.loads(proc.stdout)

    def revision(self) -> int:
        hist = self.history()
        return max((h["revision"] for h in hist), default=0)

    def values(self) -> dict:
        out = self.cluster.helm("get", "values", self.release, "-n", self.namespace, "-o", "json").stdout
        return json.loads(out) or {}

    def deployment(self) -> dict:
        return self.kubectl_json("get", "deployment", self.name, "-n", self.namespace)

    def pods(self) -> list[dict]:
        data = self.kubectl_json("get", "pods", "-n", self.namespace, "-l",
                                 f"app.kubernetes.io/name=webapp,app.kubernetes.io/instance={self.release}")
        return [p for p in data["items"] if not p["metadata"].get("deletionTimestamp")]

    def pod_images(self) -> set[str]:
        return {c["image"] for p in self.pods() for c in p["spec"]["containers"]}

    def wait_settled(self, timeout: float = 90) -> None:
        """Until no pod of the release is terminating (old pods of a rollout go after a pause)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            data = self.kubectl_json("get", "pods", "-n", self.namespace, "-l",
                                     f"app.kubernetes.io/instance={self.release}")
            if not any(p["metadata"].get("deletionTimestamp") for p in data["items"]):
                return
            time.sleep(1)

    def node_port(self) -> int:
        svc = self.kubectl_json("get", "service", self.name, "-n", self.namespace)
        return svc["spec"]["ports"][0]["nodePort"]

    def get_body(self, attempts: int = 10) -> str:
        """GET / through the NodePort on the node address, as a user of the app would."""
        url = f"http://{self.cluster.node_ip}:{self.node_port()}/"
        last = None
        for _ in range(attempts):
            try:
                with urllib.request.urlopen(url, timeout=5) as resp:
                    return resp.read().decode()
            except Exception as exc:  # the Service may be between endpoints for a moment
                last = exc
                time.sleep(1)
        raise AssertionError(f"{url} did not answer: {last}")

    def bodies(self, n: int = 6) -> set[str]:
        """Versions answered by n requests (several pods)."""
        return {re.sub(r" host=\S+", "", self.get_body()).strip() for _ in range(n)}

    def namespace_exists(self) -> bool:
        return self.cluster.kubectl("get", "namespace", self.namespace, check=False).returncode == 0


def new_namespace(prefix: str = "kubeha-coll") -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


def delete_namespace(cluster, namespace: str) -> None:
    cluster.kubectl("delete", "namespace", namespace, "--ignore-not-found", "--wait=false", check=False)


# -- many refused runs in one ansible-playbook -----------------------------------------------
# The role each playbook runs first: a bad argument is refused there.
PLAYBOOK_ROLE = {"deploy": "install", "scale": "scale", "upgrade": "upgrade", "rollback": "rollback",
                 "verify": "verify", "uninstall": "uninstall", "bootstrap": "bootstrap"}
CASE_MARK = "@@case "


def run_cases(cases: list[tuple[str, dict]], play_vars: dict, *, inventory: Path | None = None,
              tmp: Path, timeout: float = 1800) -> list[tuple[bool, str]]:
    """Run each (playbook, vars) case as the role that playbook runs, one after the other in a
    single ansible-playbook (starting one costs tens of seconds on a small machine), each in a
    block whose rescue lets the next one run. Returns, per case, whether it failed and its part
    of the output (the error the role printed)."""
    tasks = []
    for i, (playbook, extra) in enumerate(cases):
        tasks.append({
            "name": f"Case {i}",
            "block": [
                {"name": f"{CASE_MARK}{i}", "ansible.builtin.debug": {"msg": f"{playbook} with {extra}"}},
                # The shared settings' checks, which the playbook runs as a dependency of its role
                # (a play runs a dependency once; an include runs it every time).
                {"name": "Shared settings", "ansible.builtin.include_role": {"name": "kubeha.webapp.webapp"},
                 "vars": extra},
                {"name": "Run the role", "ansible.builtin.include_role": {
                    "name": f"kubeha.webapp.{PLAYBOOK_ROLE[playbook]}"}, "vars": extra},
                {"name": "The role passed", "ansible.builtin.set_fact": {f"case_{i}_passed": True}},
            ],
            "rescue": [{"name": "The role failed", "ansible.builtin.set_fact": {f"case_{i}_failed": True}}],
        })
    auth = {"kubeconfig": "{{ webapp_kubeconfig }}", "context": "{{ webapp_context | default('', true) or omit }}"}
    play = [{
        "name": "Refused arguments, one case after the other",
        "hosts": "{{ kubeha_clusters | default('clusters') }}",
        "gather_facts": False,
        "vars": {k: v for k, v in play_vars.items() if k != "kubeha_clusters"},
        "module_defaults": {"group/kubeha.webapp.k8s": auth,
                            "group/kubeha.webapp.helm": {**auth, "binary_path": "{{ webapp_helm_binary }}"}},
        "tasks": ([{"name": f"{CASE_MARK}start", "ansible.builtin.debug": {"msg": "cases"}}] + tasks
                  + [{"name": f"{CASE_MARK}end", "ansible.builtin.debug": {"msg": "done"}}]),
    }]
    # `hosts:` is templated before play vars exist: the cluster selection goes as an extra var.
    hosts = {"kubeha_clusters": play_vars.get("kubeha_clusters", "clusters")}
    path = tmp / "cases.yml"
    path.write_text(json.dumps(play, indent=1))
    # The playbook lives outside the repository: the collection comes from ansible.cfg's path.
    run = run_playbook(path, hosts, inventory=inventory or LOCAL_INVENTORY, timeout=timeout)
    parts = re.split(r"TASK \[" + re.escape(CASE_MARK) + r"(\d+|end)\]", run.output)
    out = {}
    for j in range(1, len(parts) - 1, 2):
        if parts[j] != "end":
            out[int(parts[j])] = parts[j + 1]
    assert len(out) == len(cases), f"not every case ran:\n{run.tail(60)}"
    return [("The role failed" in out[i], " ".join(out[i].split())) for i in range(len(cases))]


# -- traffic through the Gateway ---------------------------------------------------------------
@dataclass
class GatewayLoad:
    """Requests to the cluster's Gateway (`address`) with a route's hostname, `rate` a second, from
    when the context starts until it ends (at most `limit` seconds): each answer's time, status and
    version (the word after the app's name in its body)."""
    address: str
    host: str
    rate: int = 60
    limit: float = 240.0
    answers: list = field(default_factory=list)

    def __post_init__(self):
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._send, args=(k, 6), daemon=True) for k in range(6)]

    def _send(self, k, n):
        start, i = self.t0, 0
        while not self._stop.is_set():
            due = start + (i * n + k) / self.rate
            if due - start > self.limit:
                return
            time.sleep(max(0.0, due - time.monotonic()))
            i += 1
            req = urllib.request.Request(f"http://{self.address}/", headers={"Host": self.host})
            try:
                with urllib.request.urlopen(req, timeout=5) as resp:
                    body = resp.read().decode()
                    answer = (resp.status, body.split()[1] if " " in body else body)
            except urllib.error.HTTPError as e:
                answer = (e.code, "")
            except OSError as e:
                answer = ("error", type(e).__name__)
            self.answers.append((time.monotonic() - start,) + answer)

    def __enter__(self):
        self.t0 = time.monotonic()
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc):
        time.sleep(1)  # the last second after the play counts too
        self._stop.set()
        for t in self._threads:
            t.join()

    def failed(self):
        return [a for a in self.answers if a[1] != 200]

    def versions(self):
        return collections.Counter(a[2] for a in self.answers if a[1] == 200)


def traefik_metrics_urls(cluster) -> list[str]:
    """The Prometheus endpoints of the cluster's Traefik pods, as the local inventory names them."""
    ips = cluster.kubectl("-n", "kubeha-ingress", "get", "pods", "-l", "app=traefik", "--field-selector",
                          "status.phase=Running", "-o", "jsonpath={.items[*].status.podIP}").stdout.split()
    return [f"http://{ip}:8082/metrics" for ip in ips]
