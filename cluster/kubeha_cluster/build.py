"""Building what a cluster runs, once per version: the binaries (cluster/lib/build.sh), the image
archives (cluster/lib/images.sh), the image store and the registries' storages (the images and the
chart pushed into them), all kept in the build cache.

One build at a time holds the cache's lock; the scripts are told so (KUBEHA_BUILD_LOCK_HELD) so
they do not wait for it themselves.
"""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from . import imagestore, registrystore
from .locks import exclusive
from .output import say
from .topology import CACHE, CLUSTER_DIR, VERSIONS, bin_dir, helm3_bin, helm_bin, kube_bin

KUBE_COMPONENTS = ("kubectl", "kube-apiserver", "kube-controller-manager", "kube-scheduler",
                   "kubelet", "kube-proxy")


@dataclass(frozen=True)
class Images:
    archives: list[Path]  # docker archives, named by the hash of their inputs
    store: Path  # all of them imported into one containerd root (see imagestore)
    registries: dict[str, Path]  # each registry's storage, what the build pushed (see registrystore)


def missing() -> Images:
    """Build what is missing (binaries, image archives, the image store) and return the images."""
    with _cache_lock():
        if not _kube_built() or not helm_bin().exists() or not helm3_bin().exists():
            say("building binaries (cached after the first time; log lines show progress)")
        _binaries()
        out = subprocess.run([str(CLUSTER_DIR / "lib" / "images.sh"), "build"], check=True,
                             text=True, stdout=subprocess.PIPE, env=_lock_held_env()).stdout
        archives = [Path(p) for p in out.split()]
        _link_tools()
        return Images(archives, imagestore.ensure_store(archives, say),
                      registrystore.ensure(archives, say))


def ensure_tools() -> None:
    """The pinned kubectl, helm (4) and helm3 in bin_dir(), built first if they are missing (no images: a
    client of the cluster needs only these)."""
    if not helm_bin().exists() or not helm3_bin().exists() or not _kube_built():
        with _cache_lock():
            _binaries(stdout=sys.stderr)
    _link_tools()


def _cache_lock():
    return exclusive(CACHE / ".build.lock", "the build cache")


def _binaries(stdout=None) -> None:
    """Build what is missing from the cache (callers hold the build lock)."""
    done = subprocess.run([str(CLUSTER_DIR / "lib" / "build.sh"), "all"], stdout=stdout,
                          env=_lock_held_env())
    if done.returncode != 0:  # build.sh has printed which binary failed and its log's last lines
        raise SystemExit(f"kubeha-cluster: building the binaries failed (exit {done.returncode}); "
                         f"build logs are in {CACHE / 'logs'}")


def _lock_held_env() -> dict[str, str]:
    """Environment telling build.sh that its caller holds the build lock (it must not wait for
    it again: a second flock of the same file would wait for its own caller forever)."""
    return {**os.environ, "KUBEHA_BUILD_LOCK_HELD": "1",
            # the cluster's own version (asked for, or recorded by its `up`)
            "KUBEHA_KUBERNETES_VERSION": VERSIONS["KUBERNETES_VERSION"]}


def _kube_built() -> bool:
    """Every component is its own binary in the cache (not a link to an older multi-call one)."""
    return all((kube_bin() / c).is_file() and not (kube_bin() / c).is_symlink() for c in KUBE_COMPONENTS)


def _link_tools() -> None:
    d = bin_dir()
    d.mkdir(parents=True, exist_ok=True)
    targets = {"helm": helm_bin(), "helm3": helm3_bin()}
    for name in KUBE_COMPONENTS:
        targets[name] = kube_bin() / name
    for name, target in targets.items():
        link = d / name
        if link.is_symlink() and os.readlink(link) == str(target):
            continue
        tmp = d / f".{name}.{os.getpid()}.tmp"  # per process: two callers may link at once
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(target)
        os.replace(tmp, link)
