"""An execution environment built with the collection gets what its modules need: ansible-builder
reads meta/execution-environment.yml (schema version 3) from the installed collection and finds
the Python client and the helm package it names."""
from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
META = yaml.safe_load((ROOT / "meta" / "execution-environment.yml").read_text())


def test_the_metadata_names_a_python_and_a_system_requirements_file_in_the_collection():
    assert META["version"] == 3
    assert set(META["dependencies"]) == {"python", "system"}
    for file in META["dependencies"].values():
        assert (ROOT / file).is_file(), file


def test_the_requirements_files_ship_in_the_built_collection(tarball):
    with tarfile.open(tarball) as built:
        shipped = set(built.getnames())
    assert {"meta/execution-environment.yml", *META["dependencies"].values()} <= shipped


def test_ansible_builder_finds_the_collections_requirements(ship_bin, collections_path):
    p = subprocess.run([str(ship_bin / "ansible-builder"), "introspect", str(collections_path)],
                       text=True, capture_output=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    found = yaml.safe_load(p.stdout)
    assert found == {"python": ["kubernetes>=24.2.0  # from collection kubeha.webapp"],
                     "system": ["helm [platform:fedora]  # from collection kubeha.webapp"]}
