"""Helpers shared by the webapp chart tests: where things are, and parsed renders."""
from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "webapp"
CI_DIR = CHART / "ci"
CI_VALUES = sorted(CI_DIR.glob("*-values.yaml"))
VENV_BIN = ROOT / ".venv" / "bin"


def _pinned_kube_version() -> str:
    """Kubernetes version the project's cluster runs (cluster/versions.env), without the 'v'."""
    env = ROOT / "cluster" / "versions.env"
    m = re.search(r"^KUBERNETES_VERSION=v?(\d+\.\d+\.\d+)", env.read_text(), re.M) if env.exists() else None
    return m.group(1) if m else "1.33.0"


def pinned_version(name: str) -> str | None:
    """A version pinned in cluster/versions.env (NAME=value), or None when it is not there."""
    env = ROOT / "cluster" / "versions.env"
    m = re.search(rf"^{re.escape(name)}=(\S+)", env.read_text(), re.M) if env.exists() else None
    return m.group(1) if m else None


KUBE_VERSION = _pinned_kube_version()
KUBE_MINOR = ".".join(KUBE_VERSION.split(".")[:2])
CHART_META = yaml.safe_load((CHART / "Chart.yaml").read_text())
APP_VERSION = str(CHART_META["appVersion"])


class RenderError(Exception):
    def __init__(self, proc: subprocess.CompletedProcess):
        self.stderr = proc.stderr
        self.stdout = proc.stdout
        super().__init__(f"helm template exited {proc.returncode}:\n{proc.stderr}")


@dataclass
class Manifests:
    """What one `helm template` printed, parsed."""

    text: str
    docs: list[dict] = field(init=False)

    def __post_init__(self):
        self.docs = [d for d in yaml.safe_load_all(self.text) if d]

    def kinds(self) -> list[str]:
        return sorted(d["kind"] for d in self.docs)

    def all(self, kind: str) -> list[dict]:
        return [d for d in self.docs if d["kind"] == kind]

    def get(self, kind: str) -> dict | None:
        found = self.all(kind)
        assert len(found) <= 1, f"more than one {kind}"
        return found[0] if found else None

    def one(self, kind: str) -> dict:
        found = self.all(kind)
        assert len(found) == 1, f"expected exactly one {kind}, got {len(found)}: {self.kinds()}"
        return found[0]

    # Shortcuts for what most tests look at.
    @property
    def deployment(self) -> dict:
        return self.one("Deployment")

    @property
    def pod_spec(self) -> dict:
        return self.deployment["spec"]["template"]["spec"]

    @property
    def container(self) -> dict:
        containers = self.pod_spec["containers"]
        assert len(containers) == 1
        return containers[0]

    @property
    def service(self) -> dict:
        return self.one("Service")

    @property
    def test_pod(self) -> dict | None:
        pods = [d for d in self.all("Pod") if d["metadata"].get("annotations", {}).get("helm.sh/hook") == "test"]
        assert len(pods) <= 1
        return pods[0] if pods else None

    def workload_kinds(self) -> list[str]:
        """Kinds other than the helm test hook pod."""
        return sorted(d["kind"] for d in self.docs if d is not self.test_pod)


def ci_id(path: Path) -> str:
    return path.name.removesuffix("-values.yaml")


def dump(obj) -> str:
    return json.dumps(obj, indent=1, sort_keys=True)
