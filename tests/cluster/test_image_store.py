"""Images reach every node from one store imported once: each node holds every image, and what a
node does with its copy (here: removing an image) leaves the store and the other nodes whole."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import CLUSTER_NAME  # tests/cluster/conftest.py

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "cluster"))
from kubeha_cluster import imagestore  # noqa: E402
from kubeha_cluster.cleanup import unmount_below  # noqa: E402

pytestmark = pytest.mark.cluster

STATE = Path("/var/lib/kubeha")


def store() -> Path:
    # This containerd's stores (a checkout on another containerd keeps its own beside them).
    stores = [s for s in (imagestore.CACHE / "images").glob(f"{imagestore.store_prefix()}*") if (s / "complete").exists()]
    assert len(stores) == 1, f"one complete image store expected, found {stores}"
    return stores[0]


def refs(address: Path) -> set[str]:
    out = subprocess.run(["ctr", f"--address={address}", "-n", "k8s.io", "images", "ls", "-q"],
                         capture_output=True, text=True, check=True, timeout=30).stdout
    return set(out.split())


def fingerprint(root: Path) -> str:
    """Names, sizes and contents of every file below root."""
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file() and not p.is_symlink():
            h.update(f"{p.relative_to(root)} {p.stat().st_size}\n".encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def test_every_node_holds_every_image_of_the_store(cluster):
    archives = (store() / "archives").read_text().split()
    assert len(archives) >= 11, archives
    socks = sorted((STATE / CLUSTER_NAME / "run" / "nodes").glob("*/containerd.sock"))
    assert socks, f"no node of cluster {CLUSTER_NAME} runs a containerd"
    for sock in socks:
        held = refs(sock)
        for ref in ("docker.io/kubeha/web:v1", "docker.io/kubeha/web:v2", "docker.io/kubeha/web:broken",
                    "docker.io/kubeha/web:crash", "docker.io/kubeha/web:bad", "docker.io/kubeha/web:slow",
                    "docker.io/kubeha/client:v1", "registry.k8s.io/pause:3.10"):
            assert ref in held, f"{sock.parent.name} lacks {ref}: {sorted(held)}"
        assert len(held) >= len(archives), f"{sock.parent.name}: {sorted(held)} for {archives}"


def test_removing_an_image_from_a_node_copy_leaves_the_store_whole(cluster, tmp_path):
    src = store()
    before = fingerprint(src)
    root = tmp_path / "root"
    imagestore.give_to_node(src, root, tmp_path / "imported-images")
    assert (tmp_path / "imported-images").read_text() == (src / "archives").read_text()
    state = Path(f"/run/kubeha-test-store-{os.getpid()}")
    state.mkdir(parents=True, exist_ok=True)
    sock = state / "containerd.sock"
    (state / "config.toml").write_text(f"""version = 2
root = "{root}"
state = "{state / 'state'}"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "{sock}"
[ttrpc]
  address = "{state / 'ttrpc.sock'}"
""")
    daemon = subprocess.Popen(["containerd", f"--config={state / 'config.toml'}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not sock.exists():
            assert daemon.poll() is None and time.monotonic() < deadline, "containerd did not start"
            time.sleep(0.05)
        assert "docker.io/kubeha/web:crash" in refs(sock)
        subprocess.run(["ctr", f"--address={sock}", "-n", "k8s.io", "images", "rm", "--sync",
                        "docker.io/kubeha/web:crash"], check=True, capture_output=True, timeout=60)
        assert "docker.io/kubeha/web:crash" not in refs(sock)
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)
        unmount_below(state)
        subprocess.run(["rm", "-rf", str(state)], check=False)
    assert fingerprint(src) == before, "the node's removal changed the shared store"
