"""Checks that need no cluster: lint, argument validation, the plugins' logic, the built collection."""
from __future__ import annotations

import json
import subprocess
import sys
import tarfile

import pytest
import yaml

from playlib import ROOT, VENV_BIN, ansible_env, run_cases


ROLES = ["webapp", "deploy", "install", "scale", "upgrade", "rollback", "verify", "uninstall", "bootstrap"]


def test_ansible_lint_production_profile_passes():
    proc = subprocess.run([str(VENV_BIN / "ansible-lint"), "--profile", "production"], cwd=ROOT,
                          env=ansible_env(), text=True, capture_output=True, timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert "Profile 'production' was required, and it passed" in out


def test_yamllint_passes():
    proc = subprocess.run([str(VENV_BIN / "yamllint"), "-s", "."], cwd=ROOT, text=True,
                          capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("role", ROLES)
def test_every_role_has_an_argument_spec_covering_its_defaults(role):
    spec = yaml.safe_load((ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text())
    options = spec["argument_specs"]["main"]["options"]
    defaults = yaml.safe_load((ROOT / "roles" / role / "defaults" / "main.yml").read_text()) or {}
    assert set(defaults) <= set(options), f"undocumented defaults: {set(defaults) - set(options)}"
    for name, opt in options.items():
        assert name.startswith(role + "_"), f"{name} is not prefixed with {role}_"
        assert opt.get("description"), f"{name} has no description"
        assert opt.get("type"), f"{name} has no type"
        if name in defaults and "default" in opt:
            assert opt["default"] == defaults[name], f"{name}: spec default {opt['default']!r} != {defaults[name]!r}"


@pytest.fixture(scope="module")
def offline_inventory(tmp_path_factory):
    """A cluster host whose kubeconfig does not exist: nothing can reach any cluster."""
    d = tmp_path_factory.mktemp("inv")
    (d / "hosts.yml").write_text(yaml.safe_dump({"all": {"children": {"clusters": {"hosts": {"offline": {
        "ansible_connection": "local",
        "ansible_python_interpreter": sys.executable,
        "webapp_kubeconfig": str(d / "missing-kubeconfig"),
        "install_image_repository": "kubeha/web",
        "install_image_tag": "v1",
    }}}}}}))
    return d / "hosts.yml"


OFFLINE_CASES = [
    ("scale", {"scale_replicas": "abc"}, ["scale_replicas", "int"]),
    ("scale", {"scale_replicas": -3}, ["scale_replicas=-3"]),
    ("scale", {"scale_replicas": 0}, ["scale_replicas=0", "scale_allow_zero"]),
    ("upgrade", {"upgrade_image_tag": "-bad"}, ["upgrade_image_tag=", "is not an image tag"]),
    ("upgrade", {"upgrade_image_tag": "v2", "upgrade_values": {"image": {"tag": "v3"}}},
     ["upgrade_values must not set image"]),
    ("deploy", {"install_image_repository": "kubeha/web:v1"}, ["install_image_repository=", "is not an image repository"]),
    ("deploy", {"install_image_tag": "", "install_image_digest": ""}, ["set install_image_tag or install_image_digest"]),
    ("deploy", {"install_replicas": "two"}, ["install_replicas", "int"]),
    ("deploy", {"webapp_namespace": "Prod"}, ["webapp_namespace=Prod", "DNS label"]),
    ("deploy", {"webapp_history_max": -1}, ["webapp_history_max must be >= 0"]),
    ("rollback", {"rollback_revision": -5}, ["rollback_revision=-5"]),
    ("verify", {"verify_checks": "clusterip,ping"}, ["verify_checks", "ping"]),
    ("verify", {"verify_expected_status": 42}, ["verify_expected_status=42"]),
    ("verify", {"verify_client_image_pull_policy": "Sometimes"}, ["verify_client_image_pull_policy"]),
    ("uninstall", {}, ["uninstall_confirm is false"]),
    ("deploy", {}, ["webapp_kubeconfig=", "missing-kubeconfig does not exist"]),
    ("bootstrap", {"bootstrap_service_account": "Deployer!"}, ["bootstrap_service_account=Deployer!"]),
]


@pytest.fixture(scope="module")
def offline_results(offline_inventory, tmp_path_factory):
    return run_cases([(playbook, extra) for playbook, extra, _ in OFFLINE_CASES], {},
                     inventory=offline_inventory, tmp=tmp_path_factory.mktemp("cases"))


@pytest.mark.parametrize("index", range(len(OFFLINE_CASES)),
                         ids=[f"{c[0]}-{json.dumps(c[1], sort_keys=True)}" for c in OFFLINE_CASES])
def test_bad_arguments_are_refused_before_any_cluster_access(offline_results, index):
    failed, out = offline_results[index]
    assert failed, f"{OFFLINE_CASES[index]} was not refused:\n{out[-3000:]}"
    for text in OFFLINE_CASES[index][2]:
        assert text in out, f"{text!r} not in:\n{out[-3000:]}"
    # Refused before the preflight read: nothing tried to talk to a cluster.
    assert "Preflight | read the release" not in out


# -- the built collection ----------------------------------------------------------------------

@pytest.fixture(scope="session")
def built_collection(tmp_path_factory):
    out = tmp_path_factory.mktemp("build")
    proc = subprocess.run([str(VENV_BIN / "ansible-galaxy"), "collection", "build", "--output-path",
                           str(out), str(ROOT)], env=ansible_env(), text=True, capture_output=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (tarball,) = out.glob("kubeha-webapp-*.tar.gz")
    return tarball


def test_built_collection_holds_the_chart_and_no_tests(built_collection):
    with tarfile.open(built_collection) as tar:
        names = tar.getnames()
    for must in ("MANIFEST.json", "meta/runtime.yml", "charts/webapp/Chart.yaml",
                 "roles/upgrade/meta/argument_specs.yml", "plugins/modules/rollout_status.py",
                 "playbooks/deploy.yml", "inventories/local/hosts.yml"):
        assert must in names, f"{must} missing from {built_collection.name}"
    for name in names:
        assert not name.startswith(("tests/", ".venv", "cluster/", "bench/", "playbooks/collections",
                                    "Makefile", "scripts/", ".ansible/")), name


def test_installed_collection_resolves_roles_playbooks_and_docs(built_collection, tmp_path):
    dest = tmp_path / "collections"
    env = ansible_env({"ANSIBLE_COLLECTIONS_PATH": str(dest), "ANSIBLE_CONFIG": str(tmp_path / "none.cfg")})
    proc = subprocess.run([str(VENV_BIN / "ansible-galaxy"), "collection", "install", "--offline", "--no-deps",
                           "-p", str(dest), str(built_collection)], env=env, text=True, capture_output=True,
                          timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    installed = dest / "ansible_collections" / "kubeha" / "webapp"
    assert (installed / "charts" / "webapp" / "Chart.yaml").is_file()
    for playbook in ("deploy", "upgrade", "rollback", "verify", "scale", "uninstall", "bootstrap"):
        proc = subprocess.run([str(VENV_BIN / "ansible-playbook"), "--syntax-check", f"kubeha.webapp.{playbook}",
                               "-i", "localhost,"], env=env, text=True, capture_output=True, timeout=120, cwd=tmp_path)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = subprocess.run([str(VENV_BIN / "ansible-doc"), "-t", "role", "kubeha.webapp.upgrade"], env=env,
                          text=True, capture_output=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0 and "upgrade_image_tag" in proc.stdout, proc.stdout + proc.stderr
    for module in ("rollout_status", "release_info", "helm_rollback", "helm_revision", "http_check",
                   "incluster_check", "self_heal_check", "route_status"):
        proc = subprocess.run([str(VENV_BIN / "ansible-doc"), "-t", "module", f"kubeha.webapp.{module}"],
                              env=env, text=True, capture_output=True, timeout=120, cwd=tmp_path)
        assert proc.returncode == 0 and "EXAMPLES" in proc.stdout, proc.stdout + proc.stderr
