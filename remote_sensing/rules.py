"""Emission limits and validity rules as data, with effective dates and regions.

The default rule file is ``remote_sensing/data/default_rules.json``. :func:`load_rules` merges an
override (a JSON file or a dict) over it, so any part can be replaced without repeating the rest:
mappings merge key by key, lists replace, except ``limit_sets`` and ``nrmm`` whose entries merge by
``name`` (an override entry with a known name replaces that entry's keys; a new name is added).

Every number is checked when a document is built, so a broken book is refused before it can judge
anything (:data:`RULE_RANGES`): limits and NRMM k limits finite and > 0 (Ringelmann limits 0-5),
validity bounds finite with min <= max, NRMM power bands > 0 and increasing, ``min_exceeding_passes``
an integer 1-100, ``window_days`` an integer 1-730, flags true or false.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Final

from remote_sensing.types import SHANGHAI

DEVICE_REASON_POLICIES: Final[frozenset[str]] = frozenset({"always", "when_unexplained", "never"})
#: Top-level lists whose entries an override merges by ``name`` instead of replacing the list.
NAMED_LISTS: Final[tuple[str, ...]] = ("limit_sets", "nrmm", "penalty_bases")


class RulesError(ValueError):
    """The rules file is malformed."""


class NoLimitSetError(LookupError):
    """No limit set is in force for the method, date and region asked for."""


def region_matches(entry: str, region: str) -> bool:
    """Return True when rule region ``entry`` covers ``region`` (GB/T 2260 codes).

    ``140500`` (a city) covers ``140500`` and its counties ``1405xx``; ``140000`` covers the province.
    """
    if entry == region:
        return True
    if len(entry) == 6 and len(region) == 6:
        if entry.endswith("0000"):
            return region[:2] == entry[:2]
        if entry.endswith("00"):
            return region[:4] == entry[:4]
    return False


def _date(value: object, where: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise RulesError(f"{where}: {value!r} is not an ISO date") from exc
    raise RulesError(f"{where}: expected an ISO date string, got {value!r}")


#: Documented ranges of the rules' numbers (inclusive; ``None`` = open). Limits must be > 0.
RULE_RANGES: Final[dict[str, tuple[float | None, float | None]]] = {
    "limit": (0.0, 1e6),  # strictly above the minimum, see _limit
    "ringelmann_limit": (0.0, 5.0),
    "validity_bound": (-1e6, 1e6),
    "power_band_kw": (0.0, 1e5),
    "min_exceeding_passes": (1, 100),
    "window_days": (1, 730),
}


def _number(value: object, where: str, kind: str | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RulesError(f"{where}: expected a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise RulesError(f"{where}: must be a finite number, got {value!r}")
    if kind is not None:
        lo, hi = RULE_RANGES[kind]
        if (lo is not None and number < lo) or (hi is not None and number > hi):
            raise RulesError(f"{where}: must lie between {lo:g} and {hi:g}, got {value!r}")
    return number


def _limit(value: object, where: str, item: str) -> float:
    """A limit: finite and > 0 (a Ringelmann grade limit 0-5, where 0 is allowed)."""
    if item == "ringelmann":
        return _number(value, where, "ringelmann_limit")
    number = _number(value, where, "limit")
    if number <= 0:
        raise RulesError(f"{where}: a limit must be greater than 0, got {value!r}")
    return number


def _integer(value: object, where: str, kind: str) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise RulesError(f"{where}: expected an integer, got {value!r}")
    return int(_number(value, where, kind))


def _flag(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise RulesError(f"{where}: expected true or false, got {value!r}")
    return value


def _regions(value: object, where: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RulesError(f"{where}: regions must be null or a list of region codes")
    return tuple(value)


@dataclass(frozen=True, slots=True)
class _Dated:
    name: str
    standard: str
    effective_from: date
    effective_to: date | None
    regions: tuple[str, ...] | None

    def in_force(self, on: date, region: str | None) -> bool:
        """Return True when this set applies on ``on`` (``effective_to`` exclusive) in ``region``."""
        if on < self.effective_from or (self.effective_to is not None and on >= self.effective_to):
            return False
        if self.regions is None:
            return True
        return region is not None and any(region_matches(r, region) for r in self.regions)


@dataclass(frozen=True, slots=True)
class LimitSet(_Dated):
    """A named set of limits, ``limits[method][item]``, e.g. ``limits["lug_down"]["nox_ppm"]``."""

    limits: Mapping[str, Mapping[str, float]]


@dataclass(frozen=True, slots=True)
class NrmmLimitSet(_Dated):
    """GB 36886 free-acceleration k limits by emission class and rated-power band, plus Ringelmann."""

    power_bands_kw: tuple[float, ...]
    k: Mapping[str, tuple[float, ...]]
    ringelmann: float

    def k_limit(self, emission_class: str, rated_power_kw: float) -> tuple[float, str]:
        """Return the k limit and a band label (``P<19``, ``19<=P<37``, ``P>=37``)."""
        try:
            row = self.k[emission_class]
        except KeyError:
            raise NoLimitSetError(f"{self.name}: no class {emission_class!r}") from None
        band = sum(1 for edge in self.power_bands_kw if rated_power_kw >= edge)
        edges = self.power_bands_kw
        if band == 0:
            label = f"P<{edges[0]:g}"
        elif band == len(edges):
            label = f"P>={edges[-1]:g}"
        else:
            label = f"{edges[band - 1]:g}<=P<{edges[band]:g}"
        return row[band], label


@dataclass(frozen=True, slots=True)
class ValidityRange:
    """An inclusive range a pass measurement must lie in; ``reason`` is the short invalid code."""

    reason: str
    field: str
    min: float | None
    max: float | None

    def ok(self, value: float) -> bool:
        """Return True when ``value`` lies inside the range (bounds included)."""
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)


@dataclass(frozen=True, slots=True)
class ValidityRules:
    """Remote-sensing pass validity ranges (in reason order) and policies."""

    ranges: tuple[ValidityRange, ...]
    missing_is_invalid: bool
    #: ``when_unexplained``: report ``device`` only when the device flags a pass invalid and no
    #: range check explains it; ``always``: whenever the device flags it; ``never``: ignore the flag.
    device_reason: str


@dataclass(frozen=True, slots=True)
class ObdRules:
    """How OBD findings decide a roadside test."""

    name: str
    fail_on_mil_with_codes: bool
    fail_on_tampering: bool
    readiness_incomplete: str  # "invalid" (retest), "fail" or "ignore"


@dataclass(frozen=True, slots=True)
class BlacklistRules:
    """Listing rule defaults (domain.md §3): the blacklist service applies them."""

    min_exceeding_passes: int
    window_days: int
    distinct_days: bool
    roadside_fail_lists: bool
    timezone: str


PENALTY_DEPARTMENTS: Final[frozenset[str]] = frozenset({"police", "environment", "transport"})
PENALTY_SUBJECTS: Final[frozenset[str]] = frozenset({"vehicle", "machinery"})


@dataclass(frozen=True, slots=True)
class PenaltyBasis:
    """A legal basis for a penalty: the law and article, who may impose it and what it allows.

    Either a fixed amount (``fixed_yuan``) or a range (``min_yuan``..``max_yuan``); ``warning`` says
    whether a warning alone is allowed. Local rules (low-emission zones) are entries with ``local``
    set and the regions they apply in.
    """

    name: str
    law: str
    article: str
    offence: str
    departments: tuple[str, ...]
    applies_to: tuple[str, ...]
    warning: bool
    fixed_yuan: float | None
    min_yuan: float | None
    max_yuan: float | None
    refers_from: tuple[str, ...] = ()
    summary_procedure: str | None = None
    designated: str | None = None
    local: bool = False
    regions: tuple[str, ...] | None = None
    effective_from: date | None = None
    effective_to: date | None = None

    @property
    def citation(self) -> str:
        own = f"《{self.law}》{self.article}" if not self.law.startswith("《") else f"{self.law}{self.article}"
        return "、".join([*self.refers_from, own])

    def allowed_text(self) -> str:
        """What the basis allows, in the words of a penalty decision (警告或 20–200 元罚款)."""
        parts = ["警告"] if self.warning else []
        if self.fixed_yuan is not None:
            parts.append(f"罚款 {self.fixed_yuan:g} 元")
        elif self.min_yuan is not None and self.max_yuan is not None:
            parts.append(f"罚款 {self.min_yuan:g}–{self.max_yuan:g} 元")
        return "或".join(parts)

    def allows(self, amount: float | None, warning: bool) -> bool:
        if warning:
            return self.warning and not amount
        if amount is None:
            return False
        if self.fixed_yuan is not None:
            return amount == self.fixed_yuan
        return self.min_yuan is not None and self.max_yuan is not None and self.min_yuan <= amount <= self.max_yuan

    def in_force(self, on: date, region: str | None) -> bool:
        if self.effective_from is not None and on < self.effective_from:
            return False
        if self.effective_to is not None and on >= self.effective_to:
            return False
        if self.regions is None:
            return True
        return region is not None and any(region_matches(r, region) for r in self.regions)


@dataclass(frozen=True, slots=True)
class RuleSet:
    """All rules loaded from one rules document."""

    limit_sets: tuple[LimitSet, ...]
    validity: ValidityRules
    remote_sensing_items: Mapping[str, str]
    nrmm: tuple[NrmmLimitSet, ...]
    obd: ObdRules
    blacklist: BlacklistRules
    raw: Mapping[str, Any]
    penalty_bases: tuple[PenaltyBasis, ...] = ()

    def penalty_basis(self, name: str) -> PenaltyBasis | None:
        """The penalty basis called ``name``, or None."""
        return next((b for b in self.penalty_bases if b.name == name), None)

    def limits_for(self, method: str, on: date | datetime | None = None, region: str | None = None) -> LimitSet:
        """Return the limit set for ``method`` in force on ``on`` in ``region``.

        A regional set beats a general one; among equals the latest ``effective_from`` wins.
        ``on`` defaults to today in Asia/Shanghai; a datetime is converted to Asia/Shanghai first.
        """
        day = _as_day(on)
        candidates = [s for s in self.limit_sets if method in s.limits and s.in_force(day, region)]
        if not candidates:
            raise NoLimitSetError(f"no {method} limits in force on {day.isoformat()} for region {region!r}")
        return max(candidates, key=lambda s: (s.regions is not None, s.effective_from))

    def nrmm_limits_for(self, on: date | datetime | None = None, region: str | None = None) -> NrmmLimitSet:
        """Return the GB 36886 limit set in force on ``on`` in ``region``."""
        day = _as_day(on)
        candidates = [s for s in self.nrmm if s.in_force(day, region)]
        if not candidates:
            raise NoLimitSetError(f"no NRMM limits in force on {day.isoformat()} for region {region!r}")
        return max(candidates, key=lambda s: (s.regions is not None, s.effective_from))


def _as_day(on: date | datetime | None) -> date:
    if on is None:
        return datetime.now(SHANGHAI).date()
    if isinstance(on, datetime):
        return on.astimezone(SHANGHAI).date() if on.tzinfo is not None else on.date()
    return on


def _merge_named(base: list[Any], override: list[Any], where: str) -> list[Any]:
    merged = [copy.deepcopy(item) for item in base]
    index = {item.get("name"): i for i, item in enumerate(merged) if isinstance(item, dict)}
    for item in override:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise RulesError(f"{where}: every entry needs a name")
        if item["name"] in index:
            merged[index[item["name"]]] = _merge(merged[index[item["name"]]], item, where)
        else:
            merged.append(copy.deepcopy(item))
    return merged


def _merge(base: Any, override: Any, where: str = "") -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for key, value in override.items():
            path = f"{where}.{key}" if where else str(key)
            if key in NAMED_LISTS and not where and isinstance(value, list):
                out[key] = _merge_named(list(base.get(key, [])), value, path)
            elif key in out:
                out[key] = _merge(out[key], value, path)
            else:
                out[key] = copy.deepcopy(value)
        return out
    return copy.deepcopy(override)


def _dated(item: Mapping[str, Any], where: str) -> dict[str, Any]:
    name = item.get("name")
    if not isinstance(name, str) or not name:
        raise RulesError(f"{where}: name is required")
    start = _date(item.get("effective_from"), f"{where}.effective_from")
    if start is None:
        raise RulesError(f"{where}: effective_from is required")
    return {
        "name": name,
        "standard": str(item.get("standard", "")),
        "effective_from": start,
        "effective_to": _date(item.get("effective_to"), f"{where}.effective_to"),
        "regions": _regions(item.get("regions"), where),
    }


def _build(doc: Mapping[str, Any]) -> RuleSet:
    limit_sets = []
    for i, item in enumerate(doc.get("limit_sets", [])):
        where = f"limit_sets[{i}]"
        limits = item.get("limits")
        if not isinstance(limits, dict):
            raise RulesError(f"{where}.limits must be an object")
        if not all(isinstance(items, dict) for items in limits.values()):
            raise RulesError(f"{where}.limits: each method maps items to limits")
        parsed = {
            str(method): {str(k): _limit(v, f"{where}.limits.{method}.{k}", str(k)) for k, v in items.items()}
            for method, items in limits.items()
        }
        limit_sets.append(LimitSet(**_dated(item, where), limits=parsed))

    rs_validity = doc.get("validity", {}).get("remote_sensing", {})
    ranges = []
    for reason, spec in rs_validity.get("ranges", {}).items():
        where = f"validity.remote_sensing.ranges.{reason}"
        if not isinstance(spec, dict) or not isinstance(spec.get("field"), str):
            raise RulesError(f"{where}: needs a field name")
        lo, hi = spec.get("min"), spec.get("max")
        low = None if lo is None else _number(lo, where + ".min", "validity_bound")
        high = None if hi is None else _number(hi, where + ".max", "validity_bound")
        if low is not None and high is not None and low > high:
            raise RulesError(f"{where}: min {low:g} is above max {high:g}")
        ranges.append(ValidityRange(reason=str(reason), field=str(spec["field"]), min=low, max=high))
    policy = str(rs_validity.get("device_reason", "when_unexplained"))
    if policy not in DEVICE_REASON_POLICIES:
        raise RulesError(f"validity.remote_sensing.device_reason must be one of {sorted(DEVICE_REASON_POLICIES)}")
    validity = ValidityRules(tuple(ranges), bool(rs_validity.get("missing_is_invalid", True)), policy)

    nrmm = []
    for i, item in enumerate(doc.get("nrmm", [])):
        where = f"nrmm[{i}]"
        bands = tuple(_number(v, f"{where}.power_bands_kw", "power_band_kw") for v in item.get("power_bands_kw", []))
        if any(b <= 0 for b in bands) or list(bands) != sorted(set(bands)):
            raise RulesError(f"{where}.power_bands_kw: must be increasing and above 0")
        k = {str(c): tuple(_limit(v, f"{where}.k.{c}", "k") for v in row) for c, row in item.get("k", {}).items()}
        if any(len(row) != len(bands) + 1 for row in k.values()):
            raise RulesError(f"{where}: each class needs one k limit per power band ({len(bands) + 1})")
        nrmm.append(
            NrmmLimitSet(
                **_dated(item, where),
                power_bands_kw=bands,
                k=k,
                ringelmann=_limit(item.get("ringelmann"), f"{where}.ringelmann", "ringelmann"),
            )
        )

    bases = tuple(_penalty_basis(item, f"penalty_bases[{i}]") for i, item in enumerate(doc.get("penalty_bases", [])))
    if len({b.name for b in bases}) != len(bases):
        raise RulesError("penalty_bases: names must be unique")
    obd = doc.get("obd", {})
    bl = doc.get("blacklist", {})
    readiness = str(obd.get("readiness_incomplete", "invalid"))
    if readiness not in ("invalid", "fail", "ignore"):
        raise RulesError("obd.readiness_incomplete must be one of fail, ignore, invalid")
    return RuleSet(
        limit_sets=tuple(limit_sets),
        validity=validity,
        remote_sensing_items={str(k): str(v) for k, v in doc.get("remote_sensing_items", {}).items()},
        nrmm=tuple(nrmm),
        obd=ObdRules(
            name=str(obd.get("name", "OBD")),
            fail_on_mil_with_codes=_flag(obd.get("fail_on_mil_with_codes", True), "obd.fail_on_mil_with_codes"),
            fail_on_tampering=_flag(obd.get("fail_on_tampering", True), "obd.fail_on_tampering"),
            readiness_incomplete=readiness,
        ),
        blacklist=BlacklistRules(
            min_exceeding_passes=_integer(
                bl.get("min_exceeding_passes", 2), "blacklist.min_exceeding_passes", "min_exceeding_passes"
            ),
            window_days=_integer(bl.get("window_days", 180), "blacklist.window_days", "window_days"),
            distinct_days=_flag(bl.get("distinct_days", True), "blacklist.distinct_days"),
            roadside_fail_lists=_flag(bl.get("roadside_fail_lists", True), "blacklist.roadside_fail_lists"),
            timezone=str(bl.get("timezone", "Asia/Shanghai")),
        ),
        raw=doc,
        penalty_bases=bases,
    )


def _strings(value: object, where: str, allowed: frozenset[str] | None = None) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise RulesError(f"{where}: expected a list of names")
    if allowed is not None and not set(value) <= allowed:
        raise RulesError(f"{where}: each must be one of {sorted(allowed)}")
    return tuple(value)


def _penalty_basis(item: object, where: str) -> PenaltyBasis:
    if not isinstance(item, dict):
        raise RulesError(f"{where}: must be an object")
    for key in ("name", "law", "article", "offence"):
        if not isinstance(item.get(key), str) or not item[key]:
            raise RulesError(f"{where}.{key} is required")
    fixed = item.get("fixed_yuan")
    lo, hi = item.get("min_yuan"), item.get("max_yuan")
    warning = item.get("warning", False)
    if not isinstance(warning, bool):
        raise RulesError(f"{where}.warning must be true or false")
    fixed_v = None if fixed is None else _number(fixed, f"{where}.fixed_yuan")
    lo_v = None if lo is None else _number(lo, f"{where}.min_yuan")
    hi_v = None if hi is None else _number(hi, f"{where}.max_yuan")
    if fixed_v is not None and (lo_v is not None or hi_v is not None):
        raise RulesError(f"{where}: give fixed_yuan or min_yuan/max_yuan, not both")
    if fixed_v is None and (lo_v is None) != (hi_v is None):
        raise RulesError(f"{where}: min_yuan and max_yuan go together")
    if lo_v is not None and hi_v is not None and lo_v > hi_v:
        raise RulesError(f"{where}: min_yuan is above max_yuan")
    if fixed_v is None and lo_v is None and not warning:
        raise RulesError(f"{where}: a basis allows a fine, a range or a warning")
    local = bool(item.get("local", False))
    regions = _regions(item.get("regions"), where)
    if local and not regions:
        raise RulesError(f"{where}: a local rule needs the regions it applies in")
    return PenaltyBasis(
        name=str(item["name"]),
        law=str(item["law"]),
        article=str(item["article"]),
        offence=str(item["offence"]),
        departments=_strings(item.get("departments"), f"{where}.departments", PENALTY_DEPARTMENTS),
        applies_to=_strings(item.get("applies_to", ["vehicle"]), f"{where}.applies_to", PENALTY_SUBJECTS),
        warning=warning,
        fixed_yuan=fixed_v,
        min_yuan=lo_v,
        max_yuan=hi_v,
        refers_from=_strings(item.get("refers_from", []), f"{where}.refers_from") if item.get("refers_from") else (),
        summary_procedure=str(item["summary_procedure"]) if item.get("summary_procedure") else None,
        designated=str(item["designated"]) if item.get("designated") else None,
        local=local,
        regions=regions,
        effective_from=_date(item.get("effective_from"), f"{where}.effective_from"),
        effective_to=_date(item.get("effective_to"), f"{where}.effective_to"),
    )


@lru_cache(maxsize=1)
def _default_doc_text() -> str:
    return resources.files("remote_sensing").joinpath("data/default_rules.json").read_text(encoding="utf-8")


def default_rules_document() -> dict[str, Any]:
    """Return a fresh copy of the packaged default rules document."""
    doc: dict[str, Any] = json.loads(_default_doc_text())
    return doc


def load_rules(source: str | Path | Mapping[str, Any] | None = None, *, replace_defaults: bool = False) -> RuleSet:
    """Load the packaged default rules, with ``source`` (a JSON file path or a dict) merged over them.

    With ``replace_defaults=True`` the source is used alone, without the packaged defaults.
    """
    override: Any
    if source is None:
        override = {}
    elif isinstance(source, Mapping):
        override = dict(source)
    else:
        override = json.loads(Path(source).read_text(encoding="utf-8"))
    if not isinstance(override, dict):
        raise RulesError("a rules document must be a JSON object")
    doc = override if replace_defaults else _merge(default_rules_document(), override)
    return _build(doc)


@lru_cache(maxsize=1)
def default_rules() -> RuleSet:
    """Return the packaged default rules (cached)."""
    return load_rules()
