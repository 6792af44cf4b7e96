"""The progress chart finds the Chinese font even when matplotlib's font cache predates it."""

from __future__ import annotations

import copy

import pytest

from vehicle_enforce.phaseout import reports


def test_a_cjk_font_installed_after_matplotlibs_cache_was_written_is_still_found(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from matplotlib import font_manager

    # A cache written before fonts-noto-cjk was installed (scripts/ensure-browser.sh installs it) lists none.
    stale = copy.copy(font_manager.fontManager)
    stale.ttflist = [entry for entry in stale.ttflist if "CJK" not in entry.name]
    monkeypatch.setattr(font_manager, "fontManager", stale)
    assert reports._listed_cjk_font() is None

    assert reports._cjk_font() == "Noto Sans CJK SC"
    assert "Noto Sans CJK SC" in {entry.name for entry in stale.ttflist}
