"""Rules as data: default selection by date and region, overrides by dict and file."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest

from remote_sensing import NoLimitSetError, RuleSet, judge_free_acceleration, load_rules
from remote_sensing.rules import RulesError, region_matches
from remote_sensing.types import SHANGHAI


@pytest.mark.parametrize(
    ("method", "on", "region", "name"),
    [
        ("free_acceleration", date(2019, 5, 1), "140500", "GB3847-2018 limit a"),
        ("free_acceleration", date(2019, 10, 31), "140500", "GB3847-2018 limit a"),
        ("free_acceleration", date(2019, 11, 1), "140500", "GB3847-2018 limit b"),
        ("free_acceleration", date(2019, 11, 1), None, "GB3847-2018 limit a"),
        ("lug_down", date(2020, 1, 1), "110000", "GB3847-2018 limit b"),
        ("lug_down", date(2020, 1, 1), "110105", "GB3847-2018 limit b"),
        ("lug_down", date(2020, 1, 1), "610100", "GB3847-2018 limit a"),
        ("remote_sensing", date(2019, 11, 1), "140500", "HJ845-2017 remote sensing"),
    ],
)
def test_limits_for_selects_set_in_force(rules: RuleSet, method: str, on: date, region: str | None, name: str) -> None:
    assert rules.limits_for(method, on, region).name == name


def test_limits_for_datetime_uses_shanghai_day(rules: RuleSet) -> None:
    # 2019-10-31 16:30 UTC is 2019-11-01 00:30 in Jincheng: limit b is in force.
    when = datetime.fromisoformat("2019-10-31T16:30:00+00:00")
    assert rules.limits_for("free_acceleration", when, "140500").name == "GB3847-2018 limit b"
    assert when.astimezone(SHANGHAI).date() == date(2019, 11, 1)


def test_default_values(rules: RuleSet) -> None:
    a = rules.limits_for("lug_down", date(2019, 6, 1), None).limits["lug_down"]
    b = rules.limits_for("lug_down", date(2019, 12, 1), "140500").limits["lug_down"]
    assert (a["k"], a["nox_ppm"], b["k"], b["nox_ppm"]) == (1.2, 1500.0, 0.7, 900.0)
    assert [(r.reason, r.min, r.max) for r in rules.validity.ranges] == [
        ("speed", 5.0, 100.0),
        ("acceleration", -1.5, 2.0),
        ("vsp", 0.0, 20.0),
        ("wind", None, 5.0),
        ("co2", 1.0, None),
    ]
    bl = rules.blacklist
    assert (bl.min_exceeding_passes, bl.window_days, bl.distinct_days, bl.roadside_fail_lists) == (2, 180, True, True)


def test_unknown_method_raises(rules: RuleSet) -> None:
    with pytest.raises(NoLimitSetError):
        rules.limits_for("teleport", date(2020, 1, 1), "140500")


@pytest.mark.parametrize(
    ("entry", "region", "ok"),
    [("140500", "140500", True), ("140500", "140525", True), ("140500", "140600", False), ("140000", "140525", True)],
)
def test_region_matches(entry: str, region: str, ok: bool) -> None:
    assert region_matches(entry, region) is ok


def test_override_dict_adds_a_stricter_set_from_a_date(rules: RuleSet) -> None:
    override = {
        "limit_sets": [
            {
                "name": "Jincheng 2020 local",
                "standard": "local",
                "effective_from": "2020-03-01",
                "regions": ["140500"],
                "limits": {"free_acceleration": {"k": 0.5}},
            }
        ]
    }
    custom = load_rules(override)
    assert custom.limits_for("free_acceleration", date(2020, 2, 29), "140500").name == "GB3847-2018 limit b"
    assert custom.limits_for("free_acceleration", date(2020, 3, 1), "140500").name == "Jincheng 2020 local"
    result = judge_free_acceleration([0.6, 0.6, 0.6], custom, on=date(2020, 3, 1), region="140500")
    assert (result.verdict, result.limit_set) == ("exceed", "Jincheng 2020 local")
    # the default rules are untouched
    assert rules.limits_for("free_acceleration", date(2020, 3, 1), "140500").name == "GB3847-2018 limit b"


def test_override_file_changes_an_existing_set_and_its_date(tmp_path: Path) -> None:
    path = tmp_path / "rules.json"
    path.write_text(
        json.dumps(
            {
                "limit_sets": [{"name": "GB3847-2018 limit b", "effective_from": "2020-01-01"}],
                "validity": {"remote_sensing": {"ranges": {"wind": {"max": 6}}}},
                "blacklist": {"window_days": 90},
            }
        ),
        encoding="utf-8",
    )
    custom = load_rules(path)
    assert custom.limits_for("free_acceleration", date(2019, 12, 31), "140500").name == "GB3847-2018 limit a"
    assert custom.limits_for("free_acceleration", date(2020, 1, 1), "140500").name == "GB3847-2018 limit b"
    assert custom.limits_for("free_acceleration", date(2020, 1, 1), "140500").limits["free_acceleration"]["k"] == 0.7
    wind = next(r for r in custom.validity.ranges if r.reason == "wind")
    assert wind.max == 6.0 and wind.field == "wind_ms"
    assert custom.blacklist.window_days == 90 and custom.blacklist.min_exceeding_passes == 2


def test_effective_to_ends_a_set() -> None:
    custom = load_rules({"limit_sets": [{"name": "GB3847-2018 limit b", "effective_to": "2021-01-01"}]})
    assert custom.limits_for("lug_down", date(2020, 12, 31), "140500").name == "GB3847-2018 limit b"
    assert custom.limits_for("lug_down", date(2021, 1, 1), "140500").name == "GB3847-2018 limit a"


def test_replace_defaults_uses_the_source_alone() -> None:
    custom = load_rules({"limit_sets": []}, replace_defaults=True)
    with pytest.raises(NoLimitSetError):
        custom.limits_for("remote_sensing", date(2020, 1, 1))


@pytest.mark.parametrize(
    "override",
    [
        {"limit_sets": [{"name": "x", "effective_from": "someday", "limits": {}}]},
        {"limit_sets": [{"name": "x", "effective_from": "2020-01-01", "limits": {"lug_down": {"k": "high"}}}]},
        {"limit_sets": [{"effective_from": "2020-01-01", "limits": {}}]},
        {"validity": {"remote_sensing": {"device_reason": "sometimes"}}},
        {"nrmm": [{"name": "GB36886-2018", "k": {"I": [3.0, 2.0]}}]},
    ],
)
def test_malformed_rules_are_rejected(override: dict[str, object]) -> None:
    with pytest.raises(RulesError):
        load_rules(override)
