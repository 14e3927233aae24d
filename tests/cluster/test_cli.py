"""The kubeha-cluster command: idempotent, clear about what is wrong before it changes anything,
recovers from a crashed run, and `down` leaves the host as it found it."""
from __future__ import annotations

import ipaddress
import json
import os
import re
import signal
import socket
import subprocess
from pathlib import Path

import pytest
from conftest import CLI, CLUSTER_INDEX, CLUSTER_NAME  # tests/cluster/conftest.py

pytestmark = pytest.mark.cluster


def cli(*args, env=None, timeout=1200):
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


# The preflight tests below give a cluster that must never start (kubeha-pf) the last index of
# the address plan, whose API port, bridge and routes they check: they cannot when the cluster
# under test has that index itself.
SPARE_INDEX = 3
borrows_spare_index = pytest.mark.skipif(
    CLUSTER_INDEX == SPARE_INDEX, reason=f"the cluster under test has index {SPARE_INDEX}, which these tests borrow")


def other_cluster(name: str, index: int) -> dict[str, str]:
    """Environment selecting a cluster beside the main one: own name, ranges, port and state."""
    return {"KUBEHA_CLUSTER": name, "KUBEHA_CLUSTER_INDEX": str(index)}


def pids_of(name: str) -> dict[str, int]:
    pid_dir = Path("/var/lib/kubeha") / name / "run" / "pids"
    return {p.stem: int(p.read_text()) for p in pid_dir.glob("*.pid")} if pid_dir.exists() else {}


def host_traces(name: str, index: int) -> list[str]:
    """Everything of cluster `name` that could be left on the host."""
    # Node namespaces are <cluster>-cp and <cluster>-n<i> (kubeha-b's never match kubeha's).
    node_ns = re.compile(rf"{re.escape(name)}-(cp|n\d+)")
    traces = [f"netns {ns}" for ns in os.listdir("/run/netns") if node_ns.fullmatch(ns)] \
        if os.path.isdir("/run/netns") else []
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
    traces += [f"link {line.split(':')[1].strip()}" for line in links.splitlines()
               if f" kubeha{index}:" in line or f" kh{index}-" in line]
    run_dir = f"/var/lib/kubeha/{name}/run/"
    traces += [f"mount {line.split()[4]}" for line in Path("/proc/self/mountinfo").read_text().splitlines()
               if line.split()[4].startswith(run_dir)]
    traces += [f"cgroup {p}" for p in Path("/sys/fs/cgroup").glob(f"*/kubeha/{name}-*")]
    traces += [f"cgroup {p}" for p in Path("/sys/fs/cgroup").glob(f"*/kubeha/system-{name}")]
    routes = subprocess.run(["ip", "route"], capture_output=True, text=True).stdout
    traces += [f"route {line}" for line in routes.splitlines() if f"10.{218 + 10 * index}." in line]
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmd = (proc / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if f"/var/lib/kubeha/{name}/" in cmd:
                traces.append(f"process {proc.name} {cmd[:80]}")
    return traces


def test_status_says_up_and_exits_zero(cluster):
    p = cli("status")
    assert p.returncode == 0, p.stdout + p.stderr
    assert f"cluster {CLUSTER_NAME}: up" in p.stdout
    assert "kube-apiserver" in p.stdout and "running" in p.stdout


def test_kubeconfig_and_node_ip_print_what_clients_use(cluster):
    kubeconfig = cli("kubeconfig").stdout.strip()
    assert Path(kubeconfig).is_file()
    node_ip = cli("node-ip").stdout.strip()
    nodes = json.loads(cluster.kubectl("--kubeconfig", kubeconfig, "get", "nodes", "-o", "json").stdout)
    addresses = {a["address"] for n in nodes["items"] for a in n["status"]["addresses"]}
    assert node_ip in addresses
    # facts: the same answers at once, read from the file `up` wrote (no Python started).
    facts = json.loads(cli("facts").stdout)
    assert facts["kubeconfig"] == kubeconfig and facts["node_ip"] == node_ip
    assert facts["ingress_ip"] == cli("ingress-ip").stdout.strip()
    assert facts["gateway_ip"] == cli("gateway-ip").stdout.strip()
    assert facts["lb_pool"] == cli("lb-pool").stdout.strip()
    assert Path(facts["bin_dir"], "helm").exists()
    # The range's first address is the Ingress controller's, the second the Gateway's, and MetalLB
    # hands out the rest.
    ingress, gateway = (ipaddress.ip_address(facts[k]) for k in ("ingress_ip", "gateway_ip"))
    first, last = (ipaddress.ip_address(a) for a in facts["lb_pool"].split("-"))
    assert gateway == ingress + 1 and first == gateway + 1 < last
    assert facts["gateway"] == {
        "name": "public", "namespace": "kubeha-ingress",
        "http_listener": "http", "http_port": 80,
        "https_listener": "https", "https_port": 443, "https_hostname": "*.kubeha.test",
        "internal_listener": "internal", "internal_hostname": "*.internal.kubeha.test",
        "ca_file": f"/var/lib/kubeha/{CLUSTER_NAME}/pki/gateway/ca.crt",
        "route_label": "shared-gateway-access=true"}
    assert Path(facts["gateway"]["ca_file"]).is_file()


def test_up_twice_changes_nothing(cluster):
    before = pids_of(CLUSTER_NAME)
    p = cli("up")
    assert p.returncode == 0, p.stderr
    assert "already up" in p.stderr
    assert pids_of(CLUSTER_NAME) == before


def test_two_builds_at_once_both_finish_from_the_cache(cluster):
    # Each build holds the cache's build lock and runs build.sh, which takes that lock too unless
    # told its caller holds it; a build that waits for itself would never return.
    runs = [subprocess.Popen([CLI, "build"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for _ in range(2)]
    outcomes = [(r.wait(timeout=600), r.stderr.read()) for r in runs]
    for code, err in outcomes:
        assert code == 0, err
        assert "another build is running" not in err


@borrows_spare_index
def test_up_refuses_a_taken_api_port_and_creates_nothing():
    env = other_cluster("kubeha-pf", 3)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 6446))
        s.listen()
        p = cli("up", env=env)
    assert p.returncode != 0
    assert "127.0.0.1:6446 is already in use" in p.stderr
    assert host_traces("kubeha-pf", 3) == []


@borrows_spare_index
@pytest.mark.parametrize("index", ["4", "-1", "one"])
def test_an_index_outside_the_address_plan_is_refused_naming_the_indexes_it_allows(index):
    for command in ("facts", "up"):
        p = cli(command, env=other_cluster("kubeha-pf", index))
        assert p.returncode != 0
        assert f"KUBEHA_CLUSTER_INDEX must be a whole number from 0 to 3, not '{index}'" in p.stderr, p.stderr
        assert "Traceback" not in p.stderr
    assert host_traces("kubeha-pf", 3) == []


@borrows_spare_index
def test_up_names_a_missing_command_and_the_package_to_install(tmp_path):
    # A PATH holding every command of this machine except conntrack.
    for d in ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"):
        if os.path.isdir(d):
            for f in os.listdir(d):
                if f != "conntrack" and not (tmp_path / f).exists():
                    (tmp_path / f).symlink_to(os.path.join(d, f))
    p = cli("up", env={**other_cluster("kubeha-pf", 3), "PATH": str(tmp_path)})
    assert p.returncode != 0
    assert "command `conntrack` not found: apt-get install conntrack" in p.stderr
    assert host_traces("kubeha-pf", 3) == []


# The suite's last test (tests/conftest.py orders it so): it crashes the main cluster and takes
# it down. A cluster of its own would cost the small machine a third `up` of several minutes.
@pytest.mark.disruptive
def test_the_cluster_recovers_from_a_crash_and_down_leaves_the_host_clean(cluster):
    name = CLUSTER_NAME
    assert cli("status").returncode == 0
    # Crash: every process the tool started dies at once; pods and shims stay behind.
    for pid in pids_of(name).values():
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    assert cli("status").returncode != 0
    p = cli("up")
    assert p.returncode == 0, p.stderr
    assert "earlier run" in p.stderr
    status = cli("status")
    assert status.returncode == 0 and " Ready " in status.stdout, status.stdout
    down = cli("down")
    assert down.returncode == 0, down.stderr
    assert host_traces(name, CLUSTER_INDEX) == []
