"""Each cluster's two OCI registries (CNCF Distribution), host processes in the host's network
namespace listening on the cluster bridge's host address, which every node routes to:

- `public` (port 5000) asks for no credentials, as public images do;
- `private` (port 5001) asks for the cluster's registry user (htpasswd, bcrypt), so a pod pulls
  from it only with a real pull Secret.

Both speak TLS with a certificate of the cluster's registry CA (pki.ensure_registry), which every
node's containerd trusts through its certs.d (hosts_toml). Each serves its own copy of the storage
the build filled (registrystore): what a test pushes, or a tag it moves, goes to that copy, never
to the build cache. `registry-stop` leaves a mark, so that `status` still calls the cluster up
and `up` starts the registry again.
"""
from __future__ import annotations

import secrets
import shutil
import ssl
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import yaml

from .health import wait_for
from .output import say
from .procs import Proc, run
from .topology import REGISTRY_PORTS, REGISTRY_USER, Cluster, registry_bin

NAMES = tuple(REGISTRY_PORTS)  # public, private
# Distribution v3 sends traces to an OTLP endpoint unless told not to: nothing listens for them.
ENV = {"OTEL_TRACES_EXPORTER": "none"}


def is_registry(proc_name: str) -> bool:
    return proc_name.startswith("registry-") and proc_name[len("registry-"):] in NAMES


def processes(cluster: Cluster) -> list[Proc]:
    return [Proc(f"registry-{name}", [str(registry_bin()), "serve", str(_config_file(cluster, name))],
                 cluster.run_dir, cluster.logs, env=ENV, cpu_group=cluster.cpu_group)
            for name in NAMES]


def config(storage: Path, addr: str, tls: tuple[Path, Path] | None = None,
           htpasswd: Path | None = None) -> str:
    """A registry's configuration: filesystem storage at `storage`, listening on `addr`, TLS with
    (certificate, key) when given, basic authentication against `htpasswd` when given."""
    http: dict = {"addr": addr, "secret": secrets.token_hex(16),  # signs upload state; one instance
                  "headers": {"X-Content-Type-Options": ["nosniff"]}}
    if tls:
        http["tls"] = {"certificate": str(tls[0]), "key": str(tls[1])}
    cfg: dict = {"version": 0.1, "log": {"level": "info", "formatter": "text"},
                 "storage": {"filesystem": {"rootdirectory": str(storage)},
                             # Tests delete tags and manifests; nothing here keeps them for others.
                             "delete": {"enabled": True}},
                 "http": http}
    if htpasswd:
        cfg["auth"] = {"htpasswd": {"realm": "kubeha", "path": str(htpasswd)}}
    return yaml.safe_dump(cfg, sort_keys=False)


def hosts_toml(host: str, ca_file: Path) -> str:
    """containerd's certs.d/<host>/hosts.toml for one registry: pulls over TLS trusting `ca_file`.
    The settings are the default server's own, at the top, with no [host] table: containerd
    tries the [host] entries first and the server after them, so a server without the CA would
    be asked again after a refusal (a 401 of the private registry) and fail its TLS handshake."""
    return f"""# The cluster's registry {host} (written by kubeha-cluster with the node's configuration).
server = "https://{host}"
capabilities = ["pull", "resolve"]
ca = "{ca_file}"
"""


def credentials(cluster: Cluster) -> tuple[str, str]:
    """The registry user and its password, made once per cluster and kept in its state (root
    only), with the htpasswd file (bcrypt) the private registry checks them against."""
    d = cluster.registry_state
    d.mkdir(parents=True, exist_ok=True, mode=0o700)
    pw_file, htpasswd = d / "password", d / "htpasswd"
    if not pw_file.exists():
        _write_private(pw_file, secrets.token_urlsafe(24) + "\n")
        htpasswd.unlink(missing_ok=True)
    password = pw_file.read_text().strip()
    if not htpasswd.exists():
        # -i: the password from stdin, so it never shows in a process list
        line = run("htpasswd", "-niB", REGISTRY_USER, input=password + "\n").stdout
        _write_private(htpasswd, line)
    return REGISTRY_USER, password


def facts(cluster: Cluster, chart_version: str, chart_name: str) -> dict[str, str]:
    user, password = credentials(cluster)
    public = cluster.registry("public")
    return {"public": public, "private": cluster.registry("private"),
            "ca_file": str(cluster.registry_pki / "ca.crt"),
            "username": user, "password": password,
            "chart": f"oci://{public}/charts/{chart_name}", "chart_version": chart_version}


def stopped(cluster: Cluster) -> list[str]:
    """Registries stopped on purpose with `registry-stop`."""
    return [n for n in NAMES if _stopped_mark(cluster, n).exists()]


def start(cluster: Cluster, storages: dict[str, Path], names=NAMES, wait: bool = True) -> None:
    """Start the named registries (`up`, `registry-start`), each on its copy of the cache's
    storage, copied again first when the build has pushed a new one since."""
    procs = _by_name(cluster)
    credentials(cluster)
    for name in names:
        proc = procs[name]
        if not _copy_current(cluster, name, storages[name]):
            if proc.running():
                say(f"registry {name}: the build pushed new content; serving a fresh copy of it")
            proc.stop()
            _copy(cluster, name, storages[name])
        if not proc.running():
            _write_config(cluster, name)
            proc.start()
        _stopped_mark(cluster, name).unlink(missing_ok=True)
    if wait:
        wait_serving(cluster, names)


def start_stopped(cluster: Cluster, names=NAMES) -> None:
    """`registry-start`: start the named registries again on the copies they served."""
    for name in names:
        if not (_copy_dir(cluster, name) / "source").exists():
            raise SystemExit(f"kubeha-cluster: registry {name} of cluster {cluster.name} has no "
                             f"storage yet (run up)")
    procs = _by_name(cluster)
    for name in names:
        _stopped_mark(cluster, name).unlink(missing_ok=True)
        procs[name].start()
    wait_serving(cluster, names)
    say(f"registry {', '.join(names)} serving ({', '.join(cluster.registry(n) for n in names)})")


def stop(cluster: Cluster, names=NAMES) -> None:
    """`registry-stop`: the named registries end (SIGTERM) and stay down until `registry-start`
    or `up`: a pull from them meets a refused connection."""
    procs = _by_name(cluster)
    for name in names:
        mark = _stopped_mark(cluster, name)
        mark.parent.mkdir(parents=True, exist_ok=True)
        mark.write_text("stopped with registry-stop\n")
        procs[name].stop()
    say(f"registry {', '.join(names)} stopped")


def wait_serving(cluster: Cluster, names=NAMES) -> None:
    procs = _by_name(cluster)
    for name in names:
        wait_for(f"registry {name} on {cluster.registry(name)}", lambda n=name: _answers(cluster, n),
                 30, [procs[name]])


def _answers(cluster: Cluster, name: str) -> bool:
    """Whether the registry answers its API's base endpoint over TLS with the registry CA (the
    private one answers 401 to a request without credentials)."""
    ctx = ssl.create_default_context(cafile=str(cluster.registry_pki / "ca.crt"))
    try:
        with urllib.request.urlopen(f"https://{cluster.registry(name)}/v2/", timeout=2, context=ctx):
            return True
    except urllib.error.HTTPError as e:
        return e.code == 401
    except OSError:
        return False


def _by_name(cluster: Cluster) -> dict[str, Proc]:
    return {p.name[len("registry-"):]: p for p in processes(cluster)}


def _copy_dir(cluster: Cluster, name: str) -> Path:
    return cluster.registry_run / name


def _config_file(cluster: Cluster, name: str) -> Path:
    return _copy_dir(cluster, name) / "config.yml"


def _stopped_mark(cluster: Cluster, name: str) -> Path:
    return _copy_dir(cluster, name) / "stopped"


def _copy_current(cluster: Cluster, name: str, storage: Path) -> bool:
    source = _copy_dir(cluster, name) / "source"
    return source.exists() and source.read_text().strip() == str(storage)


def _copy(cluster: Cluster, name: str, storage: Path) -> None:
    """A copy of its own (not hard links: the registry rewrites files in place, a tag's link
    among them), made beside and renamed, so a killed copy never passes for a whole one."""
    d = _copy_dir(cluster, name)
    d.mkdir(parents=True, exist_ok=True)
    tmp, dest = d / "storage.tmp", d / "storage"
    shutil.rmtree(tmp, ignore_errors=True)
    subprocess.run(["cp", "-a", str(storage), str(tmp)], check=True)
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)
    (d / "source").write_text(f"{storage}\n")


def _write_config(cluster: Cluster, name: str) -> None:
    pki = cluster.registry_pki
    text = config(_copy_dir(cluster, name) / "storage", cluster.registry(name),
                  tls=(pki / "tls.crt", pki / "tls.key"),
                  htpasswd=cluster.registry_state / "htpasswd" if name == "private" else None)
    _write_private(_config_file(cluster, name), text)


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(text)
