"""What kubeha-cluster writes for its registries, read back as containerd and the registry read it:
no cluster needed."""
from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "cluster"))
from kubeha_cluster import components, registry, registrystore  # noqa: E402
from kubeha_cluster.topology import Cluster  # noqa: E402


def test_hosts_toml_lets_containerd_pull_over_tls_trusting_the_registry_ca_only():
    hosts = tomllib.loads(registry.hosts_toml("10.247.0.1:5001", Path("/ca/registry.crt")))
    # the server's own settings, and no [host] entry that containerd would try before it
    assert hosts == {"server": "https://10.247.0.1:5001", "capabilities": ["pull", "resolve"],
                     "ca": "/ca/registry.crt"}


def test_each_node_containerd_looks_for_registry_hosts_in_its_own_certs_d():
    node = Cluster(name="kreg", index=3).nodes[0]
    cfg = tomllib.loads(components.containerd_config_text(node))
    assert cfg["version"] == 3
    images = cfg["plugins"]["io.containerd.cri.v1.images"]
    assert images["registry"] == {"config_path": str(node.dir / "certs.d")}


def test_the_registries_listen_on_the_bridge_whatever_the_cluster_index():
    c = Cluster(name="kreg", index=3)
    assert (c.registry("public"), c.registry("private")) == ("10.247.0.1:5000", "10.247.0.1:5001")


def test_only_the_private_registry_asks_for_credentials_and_both_speak_tls():
    tls = (Path("/pki/tls.crt"), Path("/pki/tls.key"))
    public = yaml.safe_load(registry.config(Path("/s/public"), "10.217.0.1:5000", tls=tls))
    private = yaml.safe_load(registry.config(Path("/s/private"), "10.217.0.1:5001", tls=tls,
                                             htpasswd=Path("/state/htpasswd")))
    assert "auth" not in public
    assert private["auth"] == {"htpasswd": {"realm": "kubeha", "path": "/state/htpasswd"}}
    for cfg, addr in ((public, "10.217.0.1:5000"), (private, "10.217.0.1:5001")):
        assert cfg["http"]["addr"] == addr
        assert cfg["http"]["tls"] == {"certificate": "/pki/tls.crt", "key": "/pki/tls.key"}
    assert private["storage"]["filesystem"] == {"rootdirectory": "/s/private"}


def test_each_image_is_pushed_from_the_archive_images_sh_named_for_it():
    archives = [Path(f"/c/images/{n}") for n in
                ("kubeha_web_v1-aaa.tar", "kubeha_web_v2-bbb.tar", "kubeha_client_v1-ccc.tar")]
    assert registrystore.archive_of("kubeha/web:v1", archives) == archives[0]
    assert registrystore.archive_of("kubeha/client:v1", archives) == archives[2]
    with pytest.raises(RuntimeError, match="0 archives for kubeha/web:crash"):
        registrystore.archive_of("kubeha/web:crash", archives)


def web_images_sh_builds() -> tuple[list[str], list[str]]:
    """The kubeha/web tags images.sh builds, and those built in a mode of their own name."""
    loop = re.search(r"for tag in ([^;]+); do\n\s*case \$tag in ([^)]+)\) mode=\$tag ;;",
                     (ROOT / "cluster" / "lib" / "images.sh").read_text())
    assert loop, "images.sh's loop over the kubeha/web tags is not where this test reads it"
    return loop.group(1).split(), loop.group(2).split("|")


def test_the_public_registry_serves_every_kubeha_web_image_images_sh_builds():
    tags, _ = web_images_sh_builds()
    web = registrystore.WEB + ":"
    assert sorted(r for r in registrystore.IMAGES["public"] if r.startswith(web)) == sorted(web + t for t in tags)
    assert set(registrystore.IMAGES["private"]) <= set(registrystore.IMAGES["public"])


def test_every_failure_image_is_built_in_a_mode_the_web_app_documents():
    tags, own_mode = web_images_sh_builds()
    # the failures the delivery strategies are tested against: never ready, crashing, ready but
    # answering 500, ready but slow
    assert {"broken", "crash", "bad", "slow"} <= set(own_mode) <= set(tags)
    doc = (ROOT / "cluster" / "images" / "web" / "main.go").read_text().split("package main")[0]
    for mode in ["ok", *own_mode]:
        assert f"//\tmode={mode} " in doc, f"main.go's doc comment does not describe mode={mode}"


def test_a_storage_is_named_for_what_was_pushed_into_it(monkeypatch, tmp_path):
    names = ["kubeha_web_v1-a1.tar", "kubeha_web_v2-a2.tar", "kubeha_web_broken-a3.tar",
             "kubeha_web_crash-a4.tar", "kubeha_web_bad-a6.tar", "kubeha_web_slow-a7.tar",
             "kubeha_client_v1-a5.tar"]
    archives = [Path("/c", n) for n in names]
    chart = tmp_path / "webapp"
    chart.mkdir()
    (chart / "Chart.yaml").write_text("name: webapp\nversion: 0.2.0\n")
    monkeypatch.setattr(registrystore, "CHART", chart)
    public, private = (registrystore.storage_path(n, archives) for n in ("public", "private"))
    assert public != private
    # a rebuilt image (another archive hash) is a new storage of both registries
    rebuilt = [Path("/c/kubeha_web_v1-b1.tar"), *archives[1:]]
    assert registrystore.storage_path("public", rebuilt) != public
    assert registrystore.storage_path("private", rebuilt) != private
    # a changed chart file re-pushes the public storage only (the chart lives there)
    (chart / "values.yaml").write_text("replicas: 3\n")
    assert registrystore.storage_path("public", archives) != public
    assert registrystore.storage_path("private", archives) == private
