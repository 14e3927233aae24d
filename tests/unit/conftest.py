"""Unit tests of the collection's decisions: plain functions fed API objects recorded as JSON
(tests/unit/fixtures), no cluster and no stand-in for the API.

The collection is imported as Ansible loads it, ``ansible_collections.kubeha.webapp``:
playbooks/collections/ansible_collections/kubeha/webapp is a link to the repository root.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"

sys.path.insert(0, str(ROOT / "playbooks" / "collections"))


@pytest.fixture
def api_object():
    """Loads tests/unit/fixtures/NAME.json: an API object (or a List's items, for a list)."""
    def load(name):
        obj = json.loads((FIXTURES / (name + ".json")).read_text())
        return obj["items"] if obj.get("kind", "").endswith("List") else obj
    return load
