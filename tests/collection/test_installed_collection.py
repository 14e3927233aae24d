"""The built collection, installed like a user would, deploys from its own copy of the chart.

ansible-galaxy builds the tarball from the repository, installs it into an empty collections path,
and the collection's own playbook kubeha.webapp.deploy runs from a directory outside the
repository with no ansible.cfg: nothing of the checkout is used but the local inventory. (Every
playbook resolves its roles, modules and chart the same way; deploy runs the most of them.)
The same tarball installed next to the oldest ansible-core that meta/runtime.yml declares
(`make venv-oldest`, kubernetes.core and ansible.utils from requirements.txt's `ansible`) deploys
too: the declared range is run, not claimed.
"""
from __future__ import annotations

import subprocess
import sysconfig
from pathlib import Path

import pytest
import yaml

from playlib import ROOT, VENV_BIN, App, ansible_env, delete_namespace, new_namespace, run_playbook

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    work = tmp_path_factory.mktemp("installed")
    env = ansible_env({"ANSIBLE_CONFIG": str(work / "ansible.cfg")})
    (work / "ansible.cfg").write_text(
        f"[defaults]\ncollections_path = {work / 'collections'}\ninterpreter_python = auto_silent\n"
        "callback_result_format = yaml\n"
    )
    build = subprocess.run([str(VENV_BIN / "ansible-galaxy"), "collection", "build", "--output-path",
                            str(work), str(ROOT)], env=env, text=True, capture_output=True, timeout=300, cwd=work)
    assert build.returncode == 0, build.stdout + build.stderr
    (tarball,) = work.glob("kubeha-webapp-*.tar.gz")
    inst = subprocess.run([str(VENV_BIN / "ansible-galaxy"), "collection", "install", "--offline", "--no-deps",
                           "-p", str(work / "collections"), str(tarball)], env=env, text=True,
                          capture_output=True, timeout=300, cwd=work)
    assert inst.returncode == 0, inst.stdout + inst.stderr
    return work, env


def _oldest_venv_bin() -> Path:
    made = subprocess.run(["make", "-s", "--no-print-directory", "venv-oldest"], cwd=ROOT, text=True,
                          capture_output=True, timeout=900)
    assert made.returncode == 0, made.stdout + made.stderr
    return Path(made.stdout.split()[-1]) / "bin"


def test_installed_collection_deploys_and_verifies(cluster, installed):
    work, env = installed
    ns = new_namespace()
    app = App(cluster, ns)
    try:
        run = run_playbook("kubeha.webapp.deploy", app.vars, inventory=ROOT / "inventories" / "local",
                           env=env, cwd=work)
        assert run.rc == 0, run.tail()
        assert app.revision() == 1 and app.pod_images() == {app.cluster.image("v1")}
        assert app.bodies() == {"kubeha-web version=v1"}
        assert "clusterip ok" in run.flat() and "nodeport ok" in run.flat()
    finally:
        delete_namespace(cluster, ns)


def test_the_oldest_declared_ansible_core_deploys_with_the_installed_collection(cluster, installed):
    work, env = installed
    oldest = _oldest_venv_bin()
    declared = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())["requires_ansible"]
    version = subprocess.run([str(oldest / "ansible"), "--version"], text=True, capture_output=True, check=True).stdout
    assert declared == ">=2.19.0" and version.startswith("ansible [core 2.19."), version
    # kubernetes.core and ansible.utils: the ones requirements.txt's `ansible` package carries.
    packaged = Path(sysconfig.get_paths()["purelib"])
    assert (packaged / "ansible_collections" / "kubernetes" / "core").is_dir()
    cfg = work / "oldest.cfg"
    cfg.write_text((work / "ansible.cfg").read_text().replace(
        f"collections_path = {work / 'collections'}", f"collections_path = {work / 'collections'}:{packaged}"))
    ns = new_namespace()
    app = App(cluster, ns)
    try:
        run = run_playbook("kubeha.webapp.deploy", app.vars, inventory=ROOT / "inventories" / "local",
                           env={**env, "ANSIBLE_CONFIG": str(cfg), "PATH": f"{oldest}:{env['PATH']}"},
                           cwd=work, venv_bin=oldest)
        assert run.rc == 0, run.tail()
        assert app.pod_images() == {app.cluster.image("v1")} and "clusterip ok" in run.flat()
    finally:
        delete_namespace(cluster, ns)
