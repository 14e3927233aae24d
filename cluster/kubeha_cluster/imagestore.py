"""One image store imported once, given to every node as hard links.

Importing the image archives (about 650 MB unpacked) into each node's containerd took 8 s of every
warm `up`, for every node at once on two cores. Instead, the archives are imported once into a
store in the build cache, keyed by the archives (their names carry the hash of their inputs) and
containerd's version; `up` gives each node its own copy of that store made of hard links, in
well under a second.

Sharing files between stores is safe because containerd never changes a file it has committed:
content blobs are read-only, unpacked layers are only ever overlayfs lower directories (a
container's writes go to its own upper directory), and removing an image unlinks the node's
names only. The bolt databases are the exception, so each node gets its own copy of them.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from pathlib import Path

from .cleanup import unmount_below
from .procs import run, stop_child
from .topology import CACHE, containerd_bin

STORE_FORMAT = "2"  # bump when the store's layout or the way it is made changes
IMPORT_TIMEOUT = 900  # seconds for one `ctr images import` on a very busy machine


def _containerd_version() -> str:
    return run(str(containerd_bin() / "containerd"), "--version").stdout.strip()


def store_prefix() -> str:
    """Stores are named after the containerd that made them (and reads them on the nodes): a
    checkout on another containerd keeps its own store beside this one."""
    v = _containerd_version().split()
    return f"store-c{v[2] if len(v) > 2 else 'x'}-"


def store_path(archives: list[Path]) -> Path:
    key = hashlib.sha256("\n".join([STORE_FORMAT, _containerd_version(),
                                    *sorted(a.name for a in archives)]).encode()).hexdigest()[:12]
    return CACHE / "images" / f"{store_prefix()}{key}"


def ensure_store(archives: list[Path], say) -> Path:
    """The store holding `archives`, imported now if it is not in the cache yet. Callers hold the
    build lock. Stores of other image sets are removed (nodes keep their own links)."""
    store = store_path(archives)
    if (store / "complete").exists():
        return store
    for old in store.parent.glob(f"{store_prefix()}*"):
        shutil.rmtree(old, ignore_errors=True)
    say(f"importing {len(archives)} image archives into {store} (once for this image set)")
    t0 = time.monotonic()
    tmp = store.with_name(store.name + ".tmp")
    state = Path(f"/run/kubeha-imagestore-{os.getpid()}")
    sock = state / "containerd.sock"
    state.mkdir(parents=True, exist_ok=True)
    config = state / "config.toml"
    # Only what an import needs: no CRI (no pods run here), no snapshotters but overlayfs, which
    # the nodes use.
    config.write_text(f"""version = 3
root = "{tmp / 'root'}"
state = "{state / 'state'}"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.cri.v1.runtime",
  "io.containerd.podsandbox.controller.v1.podsandbox", "io.containerd.sandbox.controller.v1.shim",
  "io.containerd.snapshotter.v1.native", "io.containerd.nri.v1.nri",
  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = "{sock}"
[ttrpc]
  address = "{state / 'ttrpc.sock'}"
""")
    log = CACHE / "logs" / "image-store.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        daemon = subprocess.Popen([str(containerd_bin() / "containerd"),
                                   f"--config={config}"], stdout=out, stderr=out,
                                  stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not sock.exists():
            if daemon.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"kubeha-cluster: containerd for the image store did not start; "
                                 f"see {log}")
            time.sleep(0.05)
        for tar in archives:
            run(str(containerd_bin() / "ctr"), f"--address={sock}", "-n", "k8s.io", "images", "import", str(tar),
                timeout=IMPORT_TIMEOUT)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        stop_child(daemon)
        unmount_below(state)
        shutil.rmtree(state, ignore_errors=True)
    (tmp / "archives").write_text("".join(f"{a}\n" for a in archives))
    (tmp / "complete").write_text(time.strftime("%F %T\n"))
    tmp.rename(store)
    say(f"image store ready in {time.monotonic() - t0:.1f}s")
    return store


def give_to_node(store: Path, root: Path, stamp: Path) -> None:
    """Make `root` (a node's containerd root, not running yet) a copy of the store: hard links
    for the files containerd never changes, real copies of its databases. `stamp` lists the
    archives the node holds, as importing them one by one would have written it."""
    if root.exists():
        shutil.rmtree(root)
    root.parent.mkdir(parents=True, exist_ok=True)
    linked = subprocess.run(["cp", "-al", str(store / "root"), str(root)], capture_output=True)
    if linked.returncode != 0:  # another file system than the cache: copy instead
        shutil.rmtree(root, ignore_errors=True)
        run("cp", "-a", str(store / "root"), str(root), timeout=300)
    for db in root.rglob("*.db"):
        copy = db.with_name(db.name + ".copy")
        shutil.copy2(db, copy)
        copy.replace(db)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(store / "archives", stamp)
