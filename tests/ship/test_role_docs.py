"""docs/roles/ and every roles/<role>/README.md are generated from the roles' meta/argument_specs.yml
and never drift from them.

Offline: reads the YAML and the committed pages, runs tools/role_docs.py on them or on a copy.
"""
from __future__ import annotations

import functools
import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "role_docs.py"
ROLES = ROOT / "roles"
DOCS = ROOT / "docs" / "roles"


def run_tool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(TOOL), *args], text=True, capture_output=True, timeout=60)


@functools.cache
def load_tool():
    spec = importlib.util.spec_from_file_location("role_docs", TOOL)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def copy(tmp_path) -> Path:
    """roles/ and docs/roles/ copied side by side, as in the repository."""
    shutil.copytree(ROLES, tmp_path / "roles")
    shutil.copytree(DOCS, tmp_path / "docs" / "roles")
    return tmp_path


def check(root: Path) -> subprocess.CompletedProcess:
    return run_tool("--check", "--roles", str(root / "roles"), "--out", str(root / "docs" / "roles"))


def write(root: Path) -> subprocess.CompletedProcess:
    return run_tool("--roles", str(root / "roles"), "--out", str(root / "docs" / "roles"))


def regenerate_and_check(root: Path) -> None:
    """`make docs` brings the copy back to what its specs generate."""
    assert write(root).returncode == 0
    assert check(root).returncode == 0


def test_the_committed_docs_are_what_the_specs_generate():
    proc = run_tool("--check")
    assert proc.returncode == 0, f"docs/roles/ is stale; regenerate it with `make docs`\n{proc.stderr}"


def test_every_entry_point_and_option_is_documented():
    tool = load_tool()
    problems = [p for d in sorted(ROLES.iterdir()) if (d / "meta").is_dir() for p in tool.find_problems(tool.load_role(d))]
    assert not problems, "\n".join(problems)


def test_every_role_has_a_page_listing_its_entry_points_and_options():
    tool = load_tool()
    index = (DOCS / "README.md").read_text()
    for role_dir in sorted(d for d in ROLES.iterdir() if (d / "meta").is_dir()):
        role = tool.load_role(role_dir)
        page = (DOCS / f"{role.name}.md").read_text()
        assert f"]({role.name}.md)" in index
        for ep_name, ep in role.entry_points.items():
            assert f"## Entry point `{ep_name}`" in page
            for name, _ in tool.iter_options(ep.get("options")):
                assert f"| `{name}` |" in page, f"{role.name}.md has no row for {name}"


def test_rows_show_type_required_default_and_choices():
    assert ("| `bootstrap_pod_security_level` | str | no | `\"restricted\"` | "
            "`\"privileged\"`, `\"baseline\"`, `\"restricted\"` |") in (DOCS / "bootstrap.md").read_text()
    assert "| `verify_checks` | list of str | no | `[]` |" in (DOCS / "verify.md").read_text()
    assert "| `scale_replicas` | int | yes |  |  |" in (DOCS / "scale.md").read_text()
    # No default in the spec: the one of defaults/main.yml, said to come from there.
    assert ("| `bootstrap_service_account` | str | no | `\"{{ webapp_release }}-deployer\"` *(defaults/main.yml)* |"
            in (DOCS / "bootstrap.md").read_text())


def test_a_removed_option_description_fails_both_modes(copy):
    spec = copy / "roles" / "scale" / "meta" / "argument_specs.yml"
    spec.write_text(spec.read_text().replace("        description: Largest count accepted.\n", "", 1))
    for args in (("--check",), ()):
        proc = run_tool(*args, "--roles", str(copy / "roles"), "--out", str(copy / "docs" / "roles"))
        assert proc.returncode == 1
        assert "roles/scale/meta/argument_specs.yml: main option scale_max_replicas has no description" in proc.stderr


def test_an_entry_point_without_description_fails(copy):
    spec = copy / "roles" / "webapp" / "meta" / "argument_specs.yml"
    text = spec.read_text()
    start = text.index("  preflight:\n    short_description:")
    body_start = text.index("    description:\n", start)
    body_end = text.index("    options:\n", body_start)
    spec.write_text(text[:body_start] + text[body_end:])
    proc = check(copy)
    assert proc.returncode == 1
    assert "entry point preflight has no description" in proc.stderr


def test_a_changed_spec_is_drift_and_the_message_says_how_to_regenerate(copy):
    spec = copy / "roles" / "scale" / "meta" / "argument_specs.yml"
    spec.write_text(spec.read_text().replace("default: 100", "default: 50", 1))
    defaults = copy / "roles" / "scale" / "defaults" / "main.yml"
    defaults.write_text(defaults.read_text().replace("scale_max_replicas: 100", "scale_max_replicas: 50", 1))
    proc = check(copy)
    assert proc.returncode == 1
    assert "run `make docs`" in proc.stderr
    assert "-| `scale_max_replicas` | int | no | `100` |" in proc.stderr
    assert "+| `scale_max_replicas` | int | no | `50` |" in proc.stderr
    regenerate_and_check(copy)


def test_a_spec_default_that_defaults_main_contradicts_fails(copy):
    spec = copy / "roles" / "scale" / "meta" / "argument_specs.yml"
    spec.write_text(spec.read_text().replace("default: 100", "default: 50", 1))
    proc = check(copy)
    assert proc.returncode == 1
    assert "scale_max_replicas has default 50 but roles/scale/defaults/main.yml sets 100" in proc.stderr


def test_hand_edits_and_stale_pages_are_drift(copy):
    page = copy / "docs" / "roles" / "scale.md"
    page.write_text(page.read_text().replace("Largest count accepted.", "Largest count.", 1))
    (copy / "docs" / "roles" / "gone.md").write_text("an old role\n")
    proc = check(copy)
    assert proc.returncode == 1
    assert "+| `scale_max_replicas` | int | no | `100` |  | Largest count accepted. |" in proc.stderr
    assert "gone.md (committed)" in proc.stderr
    assert write(copy).returncode == 0
    assert not (copy / "docs" / "roles" / "gone.md").exists()
    assert check(copy).returncode == 0


def role_dirs(roles: Path = ROLES) -> list[Path]:
    return sorted(d for d in roles.iterdir() if (d / "meta").is_dir())


def broken_links(page: Path) -> list[str]:
    targets = re.findall(r"\]\(([^)\s]+)\)", page.read_text())
    return [t for t in targets if "://" not in t and not (page.parent / t.split("#")[0]).exists()]


def test_every_role_has_a_readme_generated_from_its_spec():
    """Galaxy refuses a collection whose roles have no README; each is the role's page, its links
    relative to the role."""
    tool = load_tool()
    for role_dir in role_dirs():
        readme = role_dir / "README.md"
        assert readme.exists(), f"{readme} is missing; generate it with `make docs`"
        text = readme.read_text()
        assert text.startswith(tool.GENERATED) and f"# kubeha.webapp.{role_dir.name}\n" in text
        assert "(meta/argument_specs.yml)" in text
    for page in [d / "README.md" for d in role_dirs()] + sorted(DOCS.glob("*.md")):
        assert not broken_links(page), f"{page} links to nothing: {broken_links(page)}"


def test_a_hand_edited_or_missing_readme_is_drift(copy):
    readme = copy / "roles" / "scale" / "README.md"
    readme.write_text(readme.read_text().replace("Largest count accepted.", "Largest count.", 1))
    (copy / "roles" / "rollback" / "README.md").unlink()
    proc = check(copy)
    assert proc.returncode == 1
    assert "run `make docs`" in proc.stderr
    assert "roles/scale/README.md (committed)" in proc.stderr
    assert "+| `scale_max_replicas` | int | no | `100` |  | Largest count accepted. |" in proc.stderr
    assert "roles/rollback/README.md (from argument_specs)" in proc.stderr
    regenerate_and_check(copy)


def test_a_renamed_role_gets_its_readme_and_leaves_no_stale_one(copy):
    """A role is whatever roles/ holds with a meta/ directory: the specs alone say what to write."""
    old, new = copy / "roles" / "scale", copy / "roles" / "resize"
    new.mkdir()
    for part in old.iterdir():
        if part.name != "README.md":
            part.rename(new / part.name)
    proc = check(copy)
    assert proc.returncode == 1
    assert "roles/scale/README.md (committed)" in proc.stderr and "roles/resize/README.md" in proc.stderr
    assert write(copy).returncode == 0
    assert not (old / "README.md").exists() and not (copy / "docs" / "roles" / "scale.md").exists()
    assert "# kubeha.webapp.resize\n" in (new / "README.md").read_text()
    assert "[kubeha.webapp.resize](resize.md)" in (copy / "docs" / "roles" / "README.md").read_text()
    assert check(copy).returncode == 0


def test_a_readme_written_by_hand_outside_any_role_stays(copy):
    assert write(copy).returncode == 0
    notes = copy / "roles" / "notes"
    notes.mkdir()
    (notes / "README.md").write_text("# Notes on the roles\n")
    assert check(copy).returncode == 0
    assert write(copy).returncode == 0
    assert (notes / "README.md").read_text() == "# Notes on the roles\n"
