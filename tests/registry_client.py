"""The registry API as the tests use it, against the local clusters' registries (`kubeha-cluster
facts`: registry): over TLS trusting the registry CA only, anonymously (the public registry)."""
from __future__ import annotations

import ssl
import urllib.request

MANIFEST_TYPES = ", ".join(["application/vnd.docker.distribution.manifest.v2+json",
                            "application/vnd.oci.image.manifest.v1+json"])


def registry_request(registry: dict, host: str, path: str, method: str = "GET", body: bytes | None = None,
                     headers: dict | None = None):
    """A request to a registry's API over TLS, trusting the registry CA only."""
    ctx = ssl.create_default_context(cafile=registry["ca_file"])
    req = urllib.request.Request(f"https://{host}/v2/{path}", data=body, method=method, headers=headers or {})
    return urllib.request.urlopen(req, context=ctx, timeout=10)


def tag(registry: dict, repo: str, source: str, new: str) -> None:
    """Tag `repo:source` as `repo:new` in the running public registry (its own copy, not the
    build's); an existing `new` moves."""
    with registry_request(registry, registry["public"], f"{repo}/manifests/{source}",
                          headers={"Accept": MANIFEST_TYPES}) as r:
        manifest, media_type = r.read(), r.headers["Content-Type"]
    registry_request(registry, registry["public"], f"{repo}/manifests/{new}", method="PUT", body=manifest,
                     headers={"Content-Type": media_type}).close()


def digest(registry: dict, host: str, ref: str) -> str:
    """The digest the registry at host names for repo:tag."""
    repo, ref_tag = ref.rsplit(":", 1)
    with registry_request(registry, host, f"{repo}/manifests/{ref_tag}", method="HEAD",
                          headers={"Accept": MANIFEST_TYPES}) as r:
        return r.headers["Docker-Content-Digest"]
