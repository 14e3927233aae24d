"""Talking to a cluster's API server as its admin: plain HTTPS for health endpoints, kubectl for
everything else."""
from __future__ import annotations

import ssl
import urllib.error
import urllib.request

from .procs import run
from .topology import Cluster, kube_bin


def get(cluster: Cluster, path: str, timeout: float = 2) -> tuple[int, str]:
    """Status and body of a GET; status 0 (and the error) when the server did not answer."""
    ctx = ssl.create_default_context(cafile=str(cluster.pki / "ca.crt"))
    ctx.load_cert_chain(str(cluster.pki / "admin.crt"), str(cluster.pki / "admin.key"))
    url = f"https://127.0.0.1:{cluster.host_api_port}{path}"
    try:
        with urllib.request.urlopen(url, context=ctx, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")
    except OSError as e:
        return 0, str(e)


def ready(cluster: Cluster) -> bool:
    return get(cluster, "/readyz")[0] == 200


def kubectl(cluster: Cluster, *args: str, input: str | None = None, check: bool = True):
    return run(str(kube_bin() / "kubectl"), f"--kubeconfig={cluster.admin_kubeconfig}", *args,
               input=input, check=check, timeout=120)
