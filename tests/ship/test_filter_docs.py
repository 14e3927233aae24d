"""`ansible-doc -t filter kubeha.webapp.<name>` describes every filter the collection registers.

A filter's documentation is plugins/filter/<name>.yml (DOCUMENTATION, EXAMPLES, RETURN), beside the
Python file whose FilterModule registers it. The filters are read from the FilterModules
themselves, so a filter added without its YAML fails here, and so does a YAML whose options no
longer match the function's arguments. Offline: ansible-doc only.
"""
from __future__ import annotations

import importlib
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "playbooks" / "collections"))  # the collection, as Ansible imports it


def registered_filters() -> dict[str, object]:
    """Every filter name the FilterModules of plugins/filter/ register, and its function."""
    found = {}
    for path in sorted((ROOT / "plugins" / "filter").glob("*.py")):
        module = importlib.import_module(f"ansible_collections.kubeha.webapp.plugins.filter.{path.stem}")
        found.update(module.FilterModule().filters())
    return found


FILTERS = registered_filters()


def ansible_doc(name: str) -> dict:
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    p = subprocess.run([str(VENV_BIN / "ansible-doc"), "-t", "filter", "--json", f"kubeha.webapp.{name}"],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, f"no documentation for the filter {name}: write plugins/filter/{name}.yml\n{p.stderr}"
    return json.loads(p.stdout)[f"kubeha.webapp.{name}"]


def arguments(function) -> list[inspect.Parameter]:
    """The filter's arguments after its input (the value left of the `|`)."""
    return list(inspect.signature(function).parameters.values())[1:]


def test_the_collection_registers_filters():
    assert {"image_ref", "summary_table", "verify_plan"} <= set(FILTERS)


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_ansible_doc_describes_the_filter(name):
    found = ansible_doc(name)
    doc = found["doc"]
    assert doc["name"] == name and Path(doc["filename"]).name == f"{name}.yml"
    assert doc.get("short_description") and doc.get("description")
    assert f"kubeha.webapp.{name}" in (found.get("examples") or ""), "EXAMPLES should use the filter"
    assert (found.get("return") or {}).get("_value", {}).get("description"), "RETURN should describe _value"

    options = doc.get("options") or {}
    assert options.get("_input", {}).get("description"), "the input (_input) should be described"
    args = arguments(FILTERS[name])
    assert sorted(options) == sorted(["_input"] + [a.name for a in args]), "options should be the function's arguments"
    for arg in args:
        assert options[arg.name].get("description"), f"{arg.name} has no description"
        assert bool(options[arg.name].get("required")) is (arg.default is inspect.Parameter.empty), (
            f"{arg.name} should be required exactly when the function gives it no default")
    positional = [a.name for a in args if a.kind is not inspect.Parameter.KEYWORD_ONLY]
    assert [p.strip() for p in (doc.get("positional") or "").split(",") if p.strip()] == positional
