"""helm 4's apply mode for a change (plugins/module_utils/apply_mode.py): server-side where helm
4 would apply server-side anyway, conflicts forced only there, nothing asked of helm 3."""
from __future__ import annotations

import pytest

from ansible_collections.kubeha.webapp.plugins.module_utils import apply_mode


@pytest.mark.parametrize("version,major", [("v3.18.6+g3e6e2b2", 3), ("v4.3.1", 4), ("4.0.0", 4), ("", 0), (None, 0)])
def test_the_helm_major_version_is_read_from_its_short_version(version, major):
    assert apply_mode.helm_major(version) == major


def test_helm_3_is_given_neither_flag():
    assert apply_mode.helm_flags("v3.18.6", "auto", None) == {"server_side": None, "force_conflicts": None}


def test_a_new_release_on_helm_4_is_applied_server_side_with_conflicts_forced():
    assert apply_mode.helm_flags("v4.3.1", "auto", None) == {"server_side": "auto", "force_conflicts": True}


def test_a_release_helm_3_installed_stays_client_side_and_forces_nothing():
    # helm 4 refuses --force-conflicts when it applies client-side.
    assert apply_mode.helm_flags("v4.3.1", "auto", "csa") == {"server_side": "auto", "force_conflicts": False}


def test_a_release_applied_server_side_keeps_forcing_conflicts():
    assert apply_mode.helm_flags("v4.3.1", "auto", "ssa")["force_conflicts"] is True


@pytest.mark.parametrize("asked,applied_with,forced", [("true", "csa", True), ("false", "ssa", False), ("false", None, False)])
def test_an_explicit_mode_wins_over_the_release_history(asked, applied_with, forced):
    assert apply_mode.helm_flags("v4.3.1", asked, applied_with) == {"server_side": asked, "force_conflicts": forced}


def test_the_next_upgrade_follows_the_newest_revision_of_an_existing_release():
    live = {"exists": True, "helm": {"version": "v4.3.1"}, "release": {"apply_method": "csa"}}
    assert apply_mode.release_flags(live)["force_conflicts"] is False
    uninstalled = dict(live, exists=False)
    assert apply_mode.release_flags(uninstalled)["force_conflicts"] is True
