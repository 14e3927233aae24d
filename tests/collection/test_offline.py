"""Checks that need no cluster: lint, argument validation, the plugins' logic, the built collection."""
from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

from playlib import ROOT, VENV_BIN, ansible_env, run_cases

sys.path.insert(0, str(ROOT / "playbooks" / "collections"))

from ansible_collections.kubeha.webapp.plugins.filter import images, summary, verify  # noqa: E402

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


# -- plugin logic (pure functions) -----------------------------------------------------------

def test_image_normalize_matches_how_nodes_list_images():
    assert images.image_normalize("kubeha/web:v1") == "docker.io/kubeha/web:v1"
    assert images.image_normalize("busybox") == "docker.io/library/busybox:latest"
    assert images.image_normalize("registry.example.com:5000/a/b:1") == "registry.example.com:5000/a/b:1"
    assert images.image_normalize("localhost/kubeha/web:v1") == "localhost/kubeha/web:v1"
    nodes = [{"status": {"images": [{"names": ["docker.io/kubeha/web:v1", "localhost/kubeha/web:v1"]},
                                    {"names": None}]}}]
    assert images.image_on_nodes(nodes, "kubeha/web:v1")
    assert not images.image_on_nodes(nodes, "kubeha/web:v9")
    assert images.images_like(nodes, "kubeha/web:v9") == ["docker.io/kubeha/web:v1"]
    names = ["docker.io/kubeha/web:v2", "registry.k8s.io/pause:3.10"]  # as release_info returns them
    assert images.image_on_nodes(names, "kubeha/web:v2") and not images.image_on_nodes(names, "web:v2")


def live(svc_type="NodePort", node_port=30080, ingresses=()):
    return {"live": {
        "service": {"name": "webapp", "type": svc_type, "cluster_ip": "10.0.0.1",
                    "ports": [{"port": 80, "node_port": node_port}], "load_balancer": []},
        "ingresses": list(ingresses),
        "pods": [{"host_ip": "10.1.0.1"}, {"host_ip": "10.1.0.2"}, {"host_ip": "10.1.0.1"}],
    }}


def test_verify_plan_picks_checks_from_the_service_type():
    base = {"namespace": "shop", "path": "/", "checks": []}
    plan = verify.verify_plan(live("ClusterIP", None), base)
    assert plan["run"] == ["replicas", "clusterip"]
    assert plan["incluster"] == [{"name": "clusterip", "url": "http://webapp.shop.svc:80/"}]
    plan = verify.verify_plan(live("NodePort"), {**base, "node_addresses": ["10.9.0.1"],
                                                 "nodeport_localhost": True})
    assert [e["url"] for e in plan["controller"]] == ["http://10.9.0.1:30080/", "http://127.0.0.1:30080/"]
    # Nodes not readable: the nodes running the app's pods, said so.
    plan = verify.verify_plan(live("NodePort"), {**base, "nodes": ["10.5.0.1", "10.5.0.2"]})
    assert [e["url"] for e in plan["controller"]] == ["http://10.5.0.1:30080/", "http://10.5.0.2:30080/"]
    plan = verify.verify_plan(live("NodePort"), {**base, "nodes": None})
    assert [e["url"] for e in plan["controller"]] == ["http://10.1.0.1:30080/", "http://10.1.0.2:30080/"]
    assert plan["notes"]
    plan = verify.verify_plan(live("LoadBalancer"), {**base, "node_addresses": ["n"]})
    assert plan["run"] == ["replicas", "clusterip", "nodeport", "loadbalancer"]
    assert "no load balancer address" in plan["errors"]["loadbalancer"]
    ing = {"name": "webapp", "class_name": "nginx", "rules": [{"host": "shop.example.com", "paths": ["/"]}],
           "addresses": ["203.0.113.7"]}
    plan = verify.verify_plan(live("ClusterIP", None, [ing]), base)
    assert plan["controller"] == [{"check": "ingress", "name": "ingress shop.example.com",
                                   "url": "http://203.0.113.7/", "host": "shop.example.com"}]


def test_verify_results_name_the_failing_endpoint():
    plan = {"run": ["nodeport"], "controller": [
        {"check": "nodeport", "name": "nodeport 10.0.0.1:30080", "url": "http://10.0.0.1:30080/"},
        {"check": "nodeport", "name": "nodeport 10.0.0.2:30080", "url": "http://10.0.0.2:30080/"}],
        "incluster": [], "errors": {}}
    controller = {"results": [
        {"name": "nodeport 10.0.0.1:30080", "url": "http://10.0.0.1:30080/", "ok": True, "status": 200},
        {"name": "nodeport 10.0.0.2:30080", "url": "http://10.0.0.2:30080/", "ok": False, "status": 503,
         "body": "not ready", "attempts": 10}]}
    res = verify.verify_results(plan, None, None, controller, None)
    assert res["nodeport"]["result"] == "FAILED 1/2"
    assert "http://10.0.0.2:30080/: status 503, body 'not ready' after 10 attempts" in res["nodeport"]["detail"]


def test_summary_table_aligns_columns():
    lines = summary.summary_table([{"cluster": "a", "revision": "3 deployed"}, {"cluster": "prod-eu"}],
                                  ["cluster", "revision"])
    assert lines[0].split() == ["CLUSTER", "REVISION"]
    assert lines[2].startswith("a        3 deployed")
    assert lines[3] == "prod-eu"


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
    for module in ("rollout_status", "release_info", "helm_rollback", "http_check", "incluster_check",
                   "self_heal_check"):
        proc = subprocess.run([str(VENV_BIN / "ansible-doc"), "-t", "module", f"kubeha.webapp.{module}"],
                              env=env, text=True, capture_output=True, timeout=120, cwd=tmp_path)
        assert proc.returncode == 0 and "EXAMPLES" in proc.stdout, proc.stdout + proc.stderr
