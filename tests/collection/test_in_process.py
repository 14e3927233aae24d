"""The collection's modules run inside Ansible's worker when the task runs on the controller with
the controller's Python, and as a module process otherwise: either way the same validation, the
same result, the same secrecy of no_log arguments. Run against a loopback server and a closed
loopback port (no cluster needed)."""
from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

from playlib import ROOT, VENV_BIN, ansible_env, run_module

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
