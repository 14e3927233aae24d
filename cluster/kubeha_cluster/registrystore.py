"""What the clusters' registries serve, pushed once by the build into registry storages kept in
the build cache.

Pushing belongs to the build, not to `up` (a warm `up` stays within seconds): for each storage the
build starts a short-lived registry on 127.0.0.1, copies the image archives into it with skopeo
(docker-archive → docker://, what a release pipeline does with a registry client) and, into the
public one, the chart as an OCI artifact with `helm package` + `helm push`. A storage is named by
the hash of what was pushed into it (the archives' names carry the hash of their inputs, the
chart its directory's content hash), so a changed image or chart makes a new one. `up` gives each
cluster a copy of its own (registry.py).
"""
from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import yaml

from . import registry
from .procs import run, stop_child
from .topology import CACHE, REPO, VERSIONS, helm_bin, registry_bin

STORAGE_FORMAT = "2"  # bump when what is pushed, or how, changes
CHART = REPO / "charts" / "webapp"
WEB, CLIENT = VERSIONS["WEB_IMAGE"], VERSIONS["CLIENT_IMAGE"]
# The images each registry serves, under the same repository names as the image store's.
IMAGES = {"public": [f"{WEB}:v1", f"{WEB}:v2", f"{WEB}:broken", f"{WEB}:crash", f"{WEB}:bad",
                     f"{WEB}:slow", CLIENT],
          "private": [f"{WEB}:v1", f"{WEB}:v2"]}
WITH_CHART = {"public"}
PUSH_TIMEOUT = 600  # one skopeo copy on a very busy machine


def chart() -> dict:
    """The chart's Chart.yaml (its name and version name the OCI artifact)."""
    return yaml.safe_load((CHART / "Chart.yaml").read_text())


def chart_digest() -> str:
    """Hash of every file of the chart directory, by path and content."""
    h = hashlib.sha256()
    for f in sorted(p for p in CHART.rglob("*") if p.is_file()):
        h.update(f"{f.relative_to(CHART)}\0".encode())
        h.update(f.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def archive_of(ref: str, archives: list[Path]) -> Path:
    """The docker archive images.sh made for `ref` (named <ref with / and : as _>-<hash>.tar)."""
    stem = ref.replace("/", "_").replace(":", "_")
    found = [a for a in archives if a.name.rsplit("-", 1)[0] == stem]
    if len(found) != 1:
        raise RuntimeError(f"images.sh gave {len(found)} archives for {ref}: {[str(a) for a in archives]}")
    return found[0]


def storage_path(name: str, archives: list[Path]) -> Path:
    parts = [STORAGE_FORMAT, VERSIONS["REGISTRY_VERSION"], name,
             *sorted(archive_of(ref, archives).name + " " + ref for ref in IMAGES[name])]
    if name in WITH_CHART:
        parts += [VERSIONS["HELM_VERSION"], chart_digest()]
    key = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]
    return CACHE / "registry" / f"{name}-{key}"


def ensure(archives: list[Path], say) -> dict[str, Path]:
    """Each registry's storage in the cache (the directory a registry serves), pushed now if it is
    not there yet. Callers hold the build lock. Older storages of the same registry are removed
    (running clusters serve copies of their own)."""
    out = {}
    for name in IMAGES:
        entry = storage_path(name, archives)
        if not (entry / "complete").exists():
            for old in entry.parent.glob(f"{name}-*"):
                shutil.rmtree(old, ignore_errors=True)
            _push(name, entry, archives, say)
        out[name] = entry / "storage"
    return out


def _push(name: str, entry: Path, archives: list[Path], say) -> None:
    t0 = time.monotonic()
    tmp = entry.with_name(entry.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    pushed = []
    try:
        with _serving(tmp / "storage") as host:
            for ref in IMAGES[name]:
                run("skopeo", "copy", "--quiet", "--dest-tls-verify=false",
                    f"docker-archive:{archive_of(ref, archives)}", f"docker://{host}/{ref}",
                    timeout=PUSH_TIMEOUT)
                pushed.append(ref)
            if name in WITH_CHART:
                pushed.append(_push_chart(host))
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    (tmp / "pushed").write_text("".join(f"{p}\n" for p in pushed))
    (tmp / "complete").write_text(time.strftime("%F %T\n"))
    tmp.rename(entry)
    say(f"registry storage {entry.name}: pushed {', '.join(pushed)} in {time.monotonic() - t0:.1f}s")


def _push_chart(host: str) -> str:
    """helm package + helm push (helm 4) of the chart to oci://<host>/charts; returns the reference."""
    with tempfile.TemporaryDirectory(prefix="kubeha-chart-") as d:
        # Helm's registry login, cache and repositories in a directory of this push only.
        env = {**os.environ, **{k: f"{d}/{k.lower()}" for k in
                                ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME")}}
        c = chart()
        tgz = Path(d) / f"{c['name']}-{c['version']}.tgz"
        for args in (["package", str(CHART), "-d", d], ["push", str(tgz), f"oci://{host}/charts", "--plain-http"]):
            p = subprocess.run([str(helm_bin()), *args], capture_output=True, text=True, env=env, timeout=120)
            if p.returncode != 0:
                raise RuntimeError(f"helm {' '.join(args)} failed: {p.stderr.strip()}")
        return f"charts/{c['name']}:{c['version']}"


@contextmanager
def _serving(storage: Path):
    """A registry on 127.0.0.1 (plain HTTP: nothing but this build talks to it) over `storage`,
    for as long as the block runs; yields its HOST:PORT."""
    with socket.socket() as s:  # a free port, taken again by the registry a moment later
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    host = f"127.0.0.1:{port}"
    config = storage.parent / "push-config.yml"
    config.write_text(registry.config(storage, host))
    log = CACHE / "logs" / "registry-push.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        daemon = subprocess.Popen([str(registry_bin()), "serve", str(config)], stdout=out, stderr=out,
                                  stdin=subprocess.DEVNULL, start_new_session=True,
                                  env={**os.environ, **registry.ENV})
    try:
        deadline = time.monotonic() + 30
        while not _answers(host):
            if daemon.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the registry the build pushes into did not start on {host}; see {log}")
            time.sleep(0.1)
        yield host
    finally:
        stop_child(daemon)
        config.unlink(missing_ok=True)


def _answers(host: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://{host}/v2/", timeout=1):
            return True
    except OSError:
        return False
