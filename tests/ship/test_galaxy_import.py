"""The built collection passes galaxy-importer, the check Galaxy runs on every uploaded collection:
no error, no warning but the three the importer gives any collection like this one (below), a
README for every role and documentation for every module and filter. `ansible-doc` finds the same
documentation in the installed collection. Offline: the importer's ansible-lint runs with --offline.
"""
from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "playbooks" / "collections"))  # the collection, as Ansible imports it

# The importer's own settings, as Galaxy runs it (ansible-test is left to tests/ship/test_sanity.py).
IMPORTER_CFG = """[galaxy-importer]
run_ansible_doc = True
run_ansible_lint = True
offline_ansible_lint = True
run_flake8 = True
run_ansible_test = False
check_required_tags = True
require_v1_or_greater = True
ansible_local_tmp = {tmp}
"""

# Warnings the importer gives every collection built like this one, none of them a defect here:
ACCEPTED_WARNINGS = {
    # it lints every file that ansible-doc names as Python, the filters' YAML docs too
    # (plugins/filter/<name>.yml beside the Python file with several filters: Ansible's way)
    "filter docs linted as Python": re.compile(r"^plugins/filter/\w+\.yml:\d+:\d+: E999 SyntaxError"),
    # it selects pycodestyle's W503 (flake8 leaves it out by default): PEP 8 breaks before a binary
    # operator, and so does this code
    "line break before a binary operator": re.compile(r"^plugins/\S+\.py:\d+:\d+: W503 "),
    # its ansible-lint runs without the collection's dependencies (galaxy.yml) installed
    "dependency modules unresolved": re.compile(
        r"^roles/\S+\.yml:\d+:\d+: syntax-check\[unknown-module\]: couldn't resolve module/action "
        r"'(kubernetes\.core|ansible\.utils)\.\w+'"),
}


def registered_filters() -> set[str]:
    names = set()
    for path in sorted((ROOT / "plugins" / "filter").glob("*.py")):
        module = importlib.import_module(f"ansible_collections.kubeha.webapp.plugins.filter.{path.stem}")
        names.update(module.FilterModule().filters())
    return names


MODULES = {p.stem for p in (ROOT / "plugins" / "modules").glob("*.py")}
ROLES = {p.name for p in (ROOT / "roles").iterdir() if (p / "tasks").is_dir()}


@pytest.fixture(scope="module")
def imported(ship_bin, tarball, tmp_path_factory):
    work = tmp_path_factory.mktemp("import")
    (work / "galaxy-importer.cfg").write_text(IMPORTER_CFG.format(tmp=work / "ansible-tmp"))
    # its ansible-doc, ansible-lint and flake8 are the ship venv's, found on PATH
    env = dict(os.environ, GALAXY_IMPORTER_CONFIG=str(work / "galaxy-importer.cfg"),
               PATH=f"{ship_bin}:{os.environ['PATH']}", ANSIBLE_NOCOLOR="1")
    env.pop("ANSIBLE_CONFIG", None)
    p = subprocess.run([str(ship_bin / "python"), "-m", "galaxy_importer.main", str(tarball)], cwd=work, env=env,
                       text=True, capture_output=True, timeout=900)
    result = work / "importer_result.json"
    return p, json.loads(result.read_text()) if result.exists() else None


def test_the_importer_completes_without_an_error(imported):
    p, result = imported
    log = p.stdout + p.stderr
    assert p.returncode == 0 and result is not None, log
    assert "Importer processing completed successfully" in log, log
    assert [line for line in log.splitlines() if line.startswith("ERROR")] == []


def test_the_importer_warns_of_nothing_but_what_it_warns_every_such_collection_of(imported):
    p, _ = imported
    warnings = [line.removeprefix("WARNING: ") for line in (p.stdout + p.stderr).splitlines()
                if line.startswith("WARNING")]
    unexpected = [w for w in warnings if not any(rule.search(w) for rule in ACCEPTED_WARNINGS.values())]
    assert unexpected == []


def test_every_role_has_its_readme(imported):
    _, result = imported
    readmes = {c["content_name"]: c.get("readme_file") for c in result["docs_blob"]["contents"]
               if c["content_type"] == "role"}
    assert readmes == {role: "README.md" for role in ROLES}


def test_every_module_and_filter_is_documented(imported):
    _, result = imported
    documented = {(c["content_type"], c["content_name"]) for c in result["docs_blob"]["contents"]
                  if c.get("doc_strings")}
    wanted = {("module", m) for m in MODULES} | {("filter", f) for f in registered_filters()}
    assert wanted - documented == set()


@pytest.mark.parametrize("plugin_type, names", [("module", MODULES), ("filter", registered_filters())])
def test_ansible_doc_lists_every_module_and_filter_of_the_installed_collection(collections_path, plugin_type,
                                                                               names, tmp_path):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections_path), ANSIBLE_NOCOLOR="1")
    env.pop("ANSIBLE_CONFIG", None)
    p = subprocess.run([str(VENV_BIN / "ansible-doc"), "-t", plugin_type, "--json", "-l", "kubeha.webapp"],
                       cwd=tmp_path, env=env, text=True, capture_output=True, timeout=300)
    assert p.returncode == 0, p.stderr
    listed = json.loads(p.stdout)
    assert set(listed) == {f"kubeha.webapp.{n}" for n in names}
    # each with the short description of its docs (ansible-doc lists one without as UNDOCUMENTED)
    assert [name for name, description in listed.items() if description in ("", "UNDOCUMENTED")] == []
