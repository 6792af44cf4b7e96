"""Judge remote-sensing passes and roadside / spot tests against a :class:`RuleSet`.

Every verdict carries the values and limits it was decided on, so it can be explained to the driver,
the traffic police and an appeal. Exceeding means strictly greater than the limit; validity ranges
include their bounds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Final, Literal

from remote_sensing.rules import RuleSet, default_rules
from remote_sensing.types import PHYSICAL_RANGES, PassRecord, implausible_fields

#: Readings an opacimeter and a NOx analyser can give (GB 3847 / GB 36886 tests). Outside them (or
#: NaN) a reading is refused: a test is never judged on an impossible value.
K_RANGE: Final[tuple[float, float]] = (0.0, 20.0)
NOX_RANGE: Final[tuple[float, float]] = (0.0, 10_000.0)
POWER_RANGE_KW: Final[tuple[float, float]] = (0.0, 10_000.0)


def _reading(value: object, what: str, bounds: tuple[float, float]) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what} must be a number, got {value!r}")
    number = float(value)
    lo, hi = bounds
    if not lo <= number <= hi:  # NaN fails too
        raise ValueError(f"{what} must lie between {lo:g} and {hi:g}, got {value!r}")
    return number


VerdictName = Literal["pass", "exceed", "invalid", "fail"]

UNITS: Final[dict[str, str]] = {
    "opacity": "%",
    "no": "ppm",
    "nox_ppm": "ppm",
    "k": "m-1",
    "ringelmann": "grade",
    "speed": "km/h",
    "acceleration": "m/s2",
    "vsp": "kW/t",
    "wind": "m/s",
    "co2": "%",
}


@dataclass(frozen=True, slots=True)
class Exceedance:
    """One exceeded item: ``value`` is strictly greater than ``limit``."""

    item: str
    value: float
    limit: float

    def __str__(self) -> str:
        unit = UNITS.get(self.item, "")
        return f"{self.item} {self.value:g} > {self.limit:g} {unit}".rstrip()


@dataclass(frozen=True, slots=True)
class Check:
    """One comparison made while judging, kept so the verdict can be explained."""

    item: str
    value: float | None
    ok: bool
    min: float | None = None
    max: float | None = None

    def __str__(self) -> str:
        lo = "" if self.min is None else f"{self.min:g} <= "
        hi = "" if self.max is None else f" <= {self.max:g}"
        shown = "missing" if self.value is None else f"{self.value:g}"
        return f"{self.item}: {lo}{shown}{hi} {'ok' if self.ok else 'FAILED'}"


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of judging one pass or one test.

    ``verdict`` is ``pass``, ``exceed`` or ``invalid`` (``fail`` for non-emission OBD findings).
    """

    verdict: VerdictName
    method: str
    limit_set: str | None
    exceeded: list[Exceedance] = field(default_factory=list)
    invalid_reasons: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    #: The judged value per item, e.g. the mean k of the last three cycles.
    values: dict[str, float] = field(default_factory=dict)
    plate_pending: bool = False

    @property
    def failed(self) -> bool:
        """Return True for an exceeding or failed test (what counts towards the blacklist)."""
        return self.verdict in ("exceed", "fail")

    @property
    def reasons(self) -> list[str]:
        """Return invalid reasons for an invalid verdict, else the exceeded (or failed) items."""
        return list(self.invalid_reasons) if self.verdict == "invalid" else [e.item for e in self.exceeded]

    def explain(self) -> str:
        """Return a one-line human explanation with values and limits."""
        head = f"{self.verdict} ({self.method}, {self.limit_set or 'no limit set'})"
        if self.verdict == "invalid":
            failed = [str(c) for c in self.checks if not c.ok]
            return f"{head}: {', '.join(self.invalid_reasons)}" + (f" [{'; '.join(failed)}]" if failed else "")
        if self.exceeded:
            return f"{head}: {'; '.join(str(e) for e in self.exceeded)}"
        return head


def _exceedances(values: dict[str, float | None], limits: dict[str, float]) -> list[Exceedance]:
    return [
        Exceedance(item, value, limits[item])
        for item, value in values.items()
        if value is not None and item in limits and value > limits[item]
    ]


def judge_pass(
    record: PassRecord, rules: RuleSet | None = None, *, calibrated: bool = True, region: str | None = None
) -> Verdict:
    """Judge one remote-sensing pass (HJ 845): ``invalid`` beats ``exceed`` beats ``pass``.

    Invalid reasons, in order: ``implausible`` (a measurement outside the physical ranges of
    ``PHYSICAL_RANGES``), ``device`` (the device's own flag, see ``device_reason`` in the rules),
    ``calibration`` (daily self-check or calibration not valid), then each failed validity range
    (``speed``, ``acceleration``, ``vsp``, ``wind``, ``co2`` by default). An unread plate keeps its verdict.
    """
    rules = rules or default_rules()
    limit_set = rules.limits_for("remote_sensing", record.measured_at, region)
    validity = rules.validity
    checks: list[Check] = []
    range_reasons: list[str] = []
    for rng in validity.ranges:
        raw = getattr(record, rng.field)
        value = None if raw is None else float(raw)
        ok = (not validity.missing_is_invalid) if value is None else rng.ok(value)
        checks.append(Check(rng.reason, value, ok, rng.min, rng.max))
        if not ok:
            range_reasons.append(rng.reason)

    reasons: list[str] = []
    implausible = implausible_fields(record)
    for name in implausible:
        lo, hi = PHYSICAL_RANGES[name]
        checks.append(Check(f"implausible:{name}", float(getattr(record, name)), False, lo, hi))
    if implausible:
        reasons.append("implausible")
    device_invalid = record.device_valid is False
    if device_invalid and (
        validity.device_reason == "always" or (validity.device_reason == "when_unexplained" and not range_reasons)
    ):
        reasons.append("device")
    if not calibrated:
        reasons.append("calibration")
    reasons.extend(range_reasons)

    limits = dict(limit_set.limits["remote_sensing"])
    measured: dict[str, float | None] = {}
    for item, attr in rules.remote_sensing_items.items():
        raw = getattr(record, attr)
        measured[item] = None if raw is None else float(raw)
    if not reasons and all(v is None for v in measured.values()):
        reasons.append("no_measurement")
    values = {k: v for k, v in measured.items() if v is not None}
    if reasons:
        return Verdict(
            "invalid",
            "remote_sensing",
            limit_set.name,
            invalid_reasons=reasons,
            checks=checks,
            values=values,
            plate_pending=record.plate_pending,
        )
    exceeded = _exceedances(measured, limits)
    for item, value in values.items():
        if item in limits:
            checks.append(Check(item, value, value <= limits[item], None, limits[item]))
    return Verdict(
        "exceed" if exceeded else "pass",
        "remote_sensing",
        limit_set.name,
        exceeded=exceeded,
        checks=checks,
        values=values,
        plate_pending=record.plate_pending,
    )


def mean_of_last_three(k_readings: Sequence[float]) -> float:
    """Return the mean of the last three readings (GB 3847 free acceleration); needs three or more."""
    if len(k_readings) < 3:
        raise ValueError(f"free acceleration needs at least three k readings, got {len(k_readings)}")
    last = [_reading(v, "k", K_RANGE) for v in k_readings[-3:]]
    for v in k_readings[:-3]:
        _reading(v, "k", K_RANGE)
    return round(sum(last) / 3.0, 10)


def _emission_verdict(
    method: str,
    limit_set: str,
    values: dict[str, float],
    limits: dict[str, float],
    *,
    plate_pending: bool = False,
) -> Verdict:
    exceeded = _exceedances(dict(values), limits)
    checks = [Check(item, v, v <= limits[item], None, limits[item]) for item, v in values.items()]
    return Verdict(
        "exceed" if exceeded else "pass",
        method,
        limit_set,
        exceeded=exceeded,
        checks=checks,
        values=values,
        plate_pending=plate_pending,
    )


def judge_free_acceleration(
    k_readings: Sequence[float],
    rules: RuleSet | None = None,
    *,
    on: date | datetime | None = None,
    region: str | None = None,
) -> Verdict:
    """Judge a GB 3847 free-acceleration test on the mean k of the LAST three readings."""
    rules = rules or default_rules()
    limit_set = rules.limits_for("free_acceleration", on, region)
    k = mean_of_last_three(k_readings)
    return _emission_verdict("free_acceleration", limit_set.name, {"k": k}, dict(limit_set.limits["free_acceleration"]))


def _peak(values: float | Sequence[float], what: str, bounds: tuple[float, float]) -> float:
    if isinstance(values, int | float):
        return _reading(values, what, bounds)
    if not values:
        raise ValueError(f"lug-down needs at least one {what} reading")
    return max(_reading(v, what, bounds) for v in values)


def judge_lug_down(
    k: float | Sequence[float],
    nox_ppm: float | Sequence[float],
    rules: RuleSet | None = None,
    *,
    on: date | datetime | None = None,
    region: str | None = None,
) -> Verdict:
    """Judge a GB 3847 lug-down test; with several load points the highest reading is judged."""
    rules = rules or default_rules()
    limit_set = rules.limits_for("lug_down", on, region)
    values = {"k": _peak(k, "k", K_RANGE), "nox_ppm": _peak(nox_ppm, "NOx", NOX_RANGE)}
    return _emission_verdict("lug_down", limit_set.name, values, dict(limit_set.limits["lug_down"]))


def judge_ringelmann(
    grade: int, rules: RuleSet | None = None, *, on: date | datetime | None = None, region: str | None = None
) -> Verdict:
    """Judge a Ringelmann smoke reading (grade 0-5); above the limit grade exceeds."""
    if isinstance(grade, bool) or not isinstance(grade, int) or not 0 <= grade <= 5:
        raise ValueError(f"Ringelmann grade must be an integer 0-5, got {grade!r}")
    rules = rules or default_rules()
    limit_set = rules.limits_for("ringelmann", on, region)
    return _emission_verdict(
        "ringelmann", limit_set.name, {"ringelmann": float(grade)}, dict(limit_set.limits["ringelmann"])
    )


def judge_obd(
    mil_on: bool,
    fault_codes: Sequence[str],
    readiness_ok: bool,
    tampering: bool,
    rules: RuleSet | None = None,
) -> Verdict:
    """Judge an OBD check: MIL on with fault codes or tampering fails; incomplete readiness needs a retest."""
    obd = (rules or default_rules()).obd
    failed: list[Exceedance] = []
    checks = [
        Check("mil", 1.0 if mil_on else 0.0, not (mil_on and bool(fault_codes)), None, 0.0),
        Check("fault_codes", float(len(fault_codes)), not fault_codes, None, 0.0),
        Check("readiness", 1.0 if readiness_ok else 0.0, readiness_ok, 1.0, None),
        Check("tampering", 1.0 if tampering else 0.0, not tampering, None, 0.0),
    ]
    if obd.fail_on_mil_with_codes and mil_on and fault_codes:
        failed.append(Exceedance("mil", float(len(fault_codes)), 0.0))
    if obd.fail_on_tampering and tampering:
        failed.append(Exceedance("tampering", 1.0, 0.0))
    if not readiness_ok and obd.readiness_incomplete == "fail":
        failed.append(Exceedance("readiness", 1.0, 0.0))
    if failed:
        return Verdict("fail", "obd", obd.name, exceeded=failed, checks=checks)
    if not readiness_ok and obd.readiness_incomplete == "invalid":
        return Verdict("invalid", "obd", obd.name, invalid_reasons=["readiness"], checks=checks)
    return Verdict("pass", "obd", obd.name, checks=checks)


_NRMM_CLASS_ALIASES: Final[dict[str, str]] = {"1": "I", "2": "II", "3": "III", "Ⅰ": "I", "Ⅱ": "II", "Ⅲ": "III"}


def judge_nrmm(
    k_readings: Sequence[float],
    ringelmann: int | None,
    emission_class: str,
    rated_power_kw: float,
    rules: RuleSet | None = None,
    *,
    on: date | datetime | None = None,
    region: str | None = None,
) -> Verdict:
    """Judge a non-road machine (GB 36886) by class I/II/III and rated-power band.

    k is the mean of the last three free-acceleration readings; Ringelmann above the limit exceeds.
    """
    rules = rules or default_rules()
    limit_set = rules.nrmm_limits_for(on, region)
    cls = emission_class.strip().upper()
    cls = _NRMM_CLASS_ALIASES.get(cls, cls)
    power = _reading(rated_power_kw, "rated power (kW)", POWER_RANGE_KW)
    k_limit, band = limit_set.k_limit(cls, power)
    values = {"k": mean_of_last_three(k_readings)}
    limits = {"k": k_limit, "ringelmann": limit_set.ringelmann}
    if ringelmann is not None:
        if isinstance(ringelmann, bool) or not isinstance(ringelmann, int) or not 0 <= ringelmann <= 5:
            raise ValueError(f"Ringelmann grade must be an integer 0-5, got {ringelmann!r}")
        values["ringelmann"] = float(ringelmann)
    name = f"{limit_set.name} class {cls} {band}"
    return _emission_verdict("nrmm_free_acceleration", name, values, limits)
