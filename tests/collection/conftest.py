"""Fixtures of the kubeha.webapp collection tests.

The playbooks run for real (the venv's ansible-playbook, the repository's ansible.cfg and local
inventory) against the real local cluster; tests then look at the cluster itself. See playlib.py.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from playlib import App, delete_namespace, new_namespace  # noqa: E402


@pytest.fixture(scope="module")
def app(cluster, tmp_path_factory):
    """A fresh namespace for the module's release; deleted afterwards."""
    ns = new_namespace()
    application = App(cluster, ns, tmp=tmp_path_factory.mktemp("coll"))
    yield application
    delete_namespace(cluster, ns)
