"""The collection's modules run inside Ansible's worker when the task runs on the controller with
the controller's Python, and as a module process otherwise: either way the same validation, the
same result, the same secrecy of no_log arguments. Run against a loopback server and a closed
loopback port, except helm_rollback's test (marked cluster), which rolls real releases back with the
pinned helm on the local cluster, in a namespace of its own (kubeha-inproc-<hex>)."""
from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from playlib import ROOT, VENV_BIN, App, ansible_env, delete_namespace, new_namespace, run_module

sys.path.insert(0, str(ROOT / "playbooks" / "collections"))  # the collection, as Ansible imports it
from ansible_collections.kubeha.webapp.plugins.plugin_utils.in_process import InProcessModule, ModuleExit  # noqa: E402

# Ansible prints this line when it starts a module's own Python process (-vvv).
MODULE_PROCESS = "EXEC /bin/sh -c"


def run(module: str, args: dict, interpreter: Path | None = None) -> tuple[dict, str]:
    extra = ["-vvv"] + (["-e", f"ansible_python_interpreter={interpreter}"] if interpreter else [])
    return run_module(module, args, *extra)


@pytest.fixture
def url(server):
    """A loopback server answering 200 "kubeha-web version=v1"."""
    return server[1]


@pytest.fixture(scope="module")
def other_python(tmp_path_factory) -> Path:
    """The venv's Python under another name: a different interpreter to Ansible, same packages (a
    script: a link would start Python outside the venv)."""
    script = tmp_path_factory.mktemp("py") / "python3"
    script.write_text(f'#!/bin/sh\nexec {VENV_BIN / "python3"} "$@"\n')
    script.chmod(0o755)
    return script


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_local_task_runs_in_the_worker_and_returns_what_the_module_returns(url, other_python):
    args = dict(endpoints=[dict(name="nodeport", url=url)], expected_body="version=v1", retries=2)
    here, here_out = run("kubeha.webapp.http_check", args)
    module, module_out = run("kubeha.webapp.http_check", args, interpreter=other_python)
    assert MODULE_PROCESS not in here_out
    assert MODULE_PROCESS in module_out and str(other_python) in module_out
    for res in (here, module):
        (ep,) = res["results"]
        assert ep["ok"] and ep["status"] == 200 and ep["body"] == "kubeha-web version=v1", res
    assert here["results"] == module["results"]
    assert here["changed"] is module["changed"] is False


@pytest.mark.parametrize("args, message", [
    (dict(endpoints=[], retries="many"), "argument 'retries' is of type str"),
    (dict(endpoints=[], colour="blue"), "Unsupported parameters for (kubeha.webapp.http_check) module: colour"),
    (dict(retries=2), "missing required arguments: endpoints"),
])
def test_a_wrong_argument_reads_the_same_in_the_worker_and_in_a_module(args, message, other_python):
    here, _ = run("kubeha.webapp.http_check", args)
    module, _ = run("kubeha.webapp.http_check", args, interpreter=other_python)
    assert here.get("failed") and module.get("failed")
    assert message in here["msg"], here["msg"]
    assert here["msg"] == module["msg"]


def test_a_no_log_argument_never_shows_in_the_output(other_python):
    secret = "kubeha-test-token-5f1c"
    args = dict(release_name="webapp", release_namespace="webapp", host=f"https://127.0.0.1:{closed_port()}",
                api_key=secret, validate_certs=False)
    for interpreter in (None, other_python):
        res, out = run("kubeha.webapp.release_info", args, interpreter=interpreter)
        assert res.get("failed"), res
        assert "127.0.0.1" in res["msg"]  # it did try, and says where
        assert secret not in out


def test_a_task_with_its_own_environment_runs_as_a_module(url, tmp_path):
    """`environment` reaches a module's process only, so such a task is not run in the worker."""
    playbook = tmp_path / "env.yml"
    playbook.write_text(
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
        "    - kubeha.webapp.http_check:\n"
        f"        endpoints: [{{name: nodeport, url: '{url}'}}]\n"
        "      environment: {KUBEHA_TEST: '1'}\n")
    p = subprocess.run([str(VENV_BIN / "ansible-playbook"), str(playbook), "-vvv"], cwd=ROOT / "playbooks",
                       env=ansible_env(), capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    assert MODULE_PROCESS in p.stdout


def module_names() -> list[str]:
    return sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("*.py") if p.stem != "__init__")


@pytest.mark.parametrize("name", module_names())
def test_every_module_runs_in_the_worker_and_refuses_what_its_process_refuses(name, other_python):
    """Each module's action reaches the one action plugin (meta/runtime.yml), which runs that very
    module (its refusal reads as its own process's) and in the worker: a module whose action is
    not routed, or whose main() takes no module_class, runs as a module and fails this."""
    args = {"kubeha_no_such_option": 1}
    here, here_out = run(f"kubeha.webapp.{name}", args)
    module, _ = run(f"kubeha.webapp.{name}", args, interpreter=other_python)
    assert MODULE_PROCESS not in here_out, f"kubeha.webapp.{name} ran as a module:\n{here_out}"
    assert here["failed"] and module["failed"]
    assert here["msg"] == module["msg"]


CHART = ROOT / "charts" / "webapp"
LOCAL_VALUES = CHART / "ci" / "local-values.yaml"


@pytest.fixture(scope="module")
def two_revisions(cluster) -> tuple[str, dict[str, str]]:
    """A namespace of its own holding, for each way of running helm_rollback, a release of the
    chart with two revisions (kubeha/web:v1, then v2), installed by helm; deleted afterwards."""
    namespace = new_namespace("kubeha-inproc")
    releases = {where: f"inproc-{where}" for where in ("worker", "module")}
    cluster.kubectl("create", "namespace", namespace)
    try:
        for release in releases.values():
            for extra in ([], ["--set", "image.tag=v2"]):
                cluster.helm("upgrade", "--install", release, str(CHART), "-n", namespace,
                             "-f", str(LOCAL_VALUES), *extra, "--wait", "--timeout", "3m", timeout=240)
        yield namespace, releases
    finally:
        delete_namespace(cluster, namespace)


def unusable_kubeconfig(path: Path) -> Path:
    """A kubeconfig whose API server is a closed loopback port: helm reaches no cluster with it."""
    path.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "nowhere",
        "clusters": [{"name": "nowhere", "cluster": {"server": f"https://127.0.0.1:{closed_port()}"}}],
        "contexts": [{"name": "nowhere", "context": {"cluster": "nowhere", "user": "nobody"}}],
        "users": [{"name": "nobody", "user": {"token": "none"}}]}))
    return path


@contextlib.contextmanager
def files_written_in(directory: Path):
    """What the files of `directory` held while the block ran (name -> last text read), watched
    every few milliseconds: a file helm uses while the module runs lives for far longer."""
    seen: dict[str, str] = {}
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            for entry in os.scandir(directory):
                try:
                    text = Path(entry.path).read_text()
                except OSError:  # a directory, or gone already
                    continue
                if text or entry.name not in seen:
                    seen[entry.name] = text
            stop.wait(0.005)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield seen
    finally:
        stop.set()
        watcher.join()


def holds(text: str, kubeconfig: dict) -> bool:
    try:
        return json.loads(text) == kubeconfig
    except ValueError:
        return False


@pytest.fixture
def short_tmpdir():
    """A TMPDIR with a short path: ansible-core 2.21 puts its local RPC server's socket there, and
    a Unix socket's path is at most 107 bytes (below pytest's tmp_path it is longer, and ansible
    stops with "Local RPC server did not start")."""
    path = Path(tempfile.mkdtemp(prefix="kh-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.cluster
def test_helm_rollback_rolls_a_release_back_in_the_worker_as_a_module_does(
        cluster, helm_bin, two_revisions, other_python, tmp_path, short_tmpdir, monkeypatch):
    namespace, releases = two_revisions
    kubeconfig = yaml.safe_load(cluster.kubeconfig.read_text())
    tmpdir = short_tmpdir
    # Around the tasks, helm reaches no cluster and looks in another namespace: only the
    # kubeconfig and namespace that helm_rollback hands it lead to the release. Its copy of the
    # kubeconfig goes to the temporary directory, watched here.
    monkeypatch.setenv("KUBECONFIG", str(unusable_kubeconfig(tmp_path / "unusable-kubeconfig")))
    monkeypatch.setenv("HELM_NAMESPACE", "default")
    monkeypatch.setenv("TMPDIR", str(tmpdir))
    for name in ("K8S_AUTH_KUBECONFIG", "K8S_AUTH_CONTEXT", "HELM_KUBECONTEXT"):
        monkeypatch.delenv(name, raising=False)
    results = {}
    for where, interpreter in (("worker", None), ("module", other_python)):
        release = releases[where]
        app = App(cluster, namespace, release)
        assert [h["revision"] for h in app.history()] == [1, 2]
        assert {c["image"] for c in app.deployment()["spec"]["template"]["spec"]["containers"]} == {"kubeha/web:v2"}
        # A revision named: revision 0 (the previous good one) reads the release records from the API.
        args = dict(release_name=release, release_namespace=namespace, binary_path=str(helm_bin),
                    kubeconfig=str(cluster.kubeconfig), revision=1)
        with files_written_in(tmpdir) as seen:
            res, out = run("kubeha.webapp.helm_rollback", args, interpreter=interpreter)
        assert (MODULE_PROCESS in out) is (where == "module"), f"helm_rollback did not run in the {where}:\n{out}"
        assert not res.get("failed"), res

        # The release in the namespace named was rolled back: a new revision with revision 1's
        # values and image.
        history = app.history()
        assert [(h["revision"], h["status"]) for h in history] == [(1, "superseded"), (2, "superseded"), (3, "deployed")]
        assert history[-1]["description"] == "Rollback to 1"
        assert app.values()["image"]["tag"] == "v1"
        assert {c["image"] for c in app.deployment()["spec"]["template"]["spec"]["containers"]} == {"kubeha/web:v1"}

        # helm got a copy of the kubeconfig, removed once the module answered.
        copies = [name for name, text in seen.items() if holds(text, kubeconfig)]
        assert copies, f"no copy of the kubeconfig in {tmpdir} while helm_rollback ran in the {where}: {sorted(seen)}"
        left = [p.name for p in tmpdir.rglob("*") if p.is_file() and holds(p.read_text(errors="replace"), kubeconfig)]
        assert left == [], f"helm_rollback in the {where} left its copy of the kubeconfig behind"

        results[where] = {k: res[k] for k in ("changed", "from_revision", "to_revision", "revision", "stdout")}
        results[where]["command"] = res["command"].replace(str(helm_bin), "helm").replace(release, "RELEASE")
    assert results["worker"] == results["module"] == dict(
        # helm 4 installed the releases server-side: it is told to force the conflicts there.
        changed=True, from_revision=2, to_revision=1, revision=3,
        command="helm rollback RELEASE 1 --server-side=auto --force-conflicts",
        stdout="Rollback was a success! Happy Helming!\n")


def answer(module, call):
    """What call(module) returns, or what the module fails with (AnsibleModule prints it and exits)."""
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            return call(module)
    except ModuleExit as done:
        result = done.result
    except SystemExit:
        result = json.loads(printed.getvalue())
    return {k: result.get(k) for k in ("failed", "msg", "rc", "stdout", "stderr", "cmd")}


# What the modules ask of AnsibleModule (run_command for helm, get_bin_path to find it).
CALLS = {
    "a string is split, ~ and $VARS expanded": lambda m: m.run_command("echo '$HOME/a b' ~"),
    "data ends with a newline": lambda m: m.run_command(["cat"], data="values"),
    "binary data as given": lambda m: m.run_command(["cat"], data="values", binary_data=True),
    "environ_update reaches the command": lambda m: m.run_command(
        ["sh", "-c", "echo $HELM_NAMESPACE"], environ_update={"HELM_NAMESPACE": "kubeha-test"}),
    "in cwd": lambda m: m.run_command(["pwd"], cwd="/"),
    "a failed command returns its rc": lambda m: m.run_command("sh -c 'echo out; echo err >&2; exit 3'"),
    "check_rc fails with stderr": lambda m: m.run_command("sh -c 'echo out; echo err >&2; exit 3'", check_rc=True),
    "a missing command fails": lambda m: m.run_command(["/nonexistent/kubeha-helm", "version"]),
    "get_bin_path finds": lambda m: m.get_bin_path("sh"),
    "get_bin_path in opt_dirs": lambda m: m.get_bin_path("true", opt_dirs=["/bin"]),
    "get_bin_path misses": lambda m: m.get_bin_path("kubeha-no-such-tool"),
    "get_bin_path required fails": lambda m: m.get_bin_path("kubeha-no-such-tool", required=True),
}


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
def test_the_worker_runs_commands_as_ansible_module_does(call):
    with patch_module_args({}):
        expected = answer(AnsibleModule(argument_spec={}), call)
        assert answer(InProcessModule({}, {}, "kubeha.webapp.helm_rollback"), call) == expected
