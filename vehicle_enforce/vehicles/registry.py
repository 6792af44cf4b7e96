"""Registry rules shared by the API, the import and the demo data (pure: no database, no Flask).

Decisions made here:

* Plates are stored in `plates.normalize_plate` form and must pass `plates.validate_plate` with a known
  colour: the registry is the reference that misread plates are matched against, so it must be clean.
* VIN: 17 characters of [A-HJ-NPR-Z0-9] or refused. A wrong check digit (ISO 3779 / GB 16735, 9th
  character) is only a warning (`vin_warning`), because real registries hold such VINs (vehicles made
  for markets that do not use the check digit, old factory errors) and refusing them would lose vehicles.
* Unified social credit code (GB 32100-2015): refused when its format or check character is wrong. It
  is the key that enterprise owners are upserted by, and unlike VINs every issued code carries a valid
  check character, so a failing code is a typo that would otherwise create a second owner.
* Emission standard, when unknown: inferred from the first registration date with
  EMISSION_STANDARD_SCHEDULES and flagged inferred. Electric vehicles and trailers get none.
"""

from __future__ import annotations

import operator
import unicodedata
from datetime import date
from typing import Final

from plates import PlateColor, confusion_key, normalize_plate, parse_color, validate_plate
from plates.strict import typed_plate_problem


class FieldProblem(ValueError):
    """One field's value breaks a rule; `message` says why in words a clerk understands."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def plate_key(plate: str) -> str:
    """Index key under which misreads of `plate` find it (see plates.confusion_key)."""
    return confusion_key(plate)  # confusion_key normalises its input itself


def clean_plate(plate: str, plate_color: str | PlateColor | None) -> tuple[str, str]:
    """Return the stored (plate, plate_color) or raise FieldProblem naming `plate` or `plate_color`."""
    try:
        colour = parse_color(plate_color)
    except ValueError as exc:
        raise FieldProblem("plate_color", str(exc)) from None
    if colour is PlateColor.UNKNOWN:
        raise FieldProblem("plate_color", "the registry needs the plate colour (blue, yellow, green, ...)")
    problem = typed_plate_problem(plate)
    if problem is not None:  # never rewritten: I→1 / O→0 could make it another vehicle's plate
        raise FieldProblem("plate", f"the serial holds I or O, which GA 36 plates never use ({problem})")
    normal = normalize_plate(plate)
    check = validate_plate(normal, colour)
    if not check.ok:
        field = "plate_color" if check.form is not None else "plate"
        raise FieldProblem(field, f"{check.reason} ({check.reason_zh})")
    return normal, colour.value


# --- VIN (ISO 3779, GB 16735) ----------------------------------------------------------------------

VIN_CHARS: Final = frozenset("ABCDEFGHJKLMNPRSTUVWXYZ0123456789")
_VIN_VALUES: Final[dict[str, int]] = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_VIN_WEIGHTS: Final = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def vin_check_digit(vin: str) -> str:
    """Return the check character (0-9 or X) a 17-character VIN should carry at position 9."""
    total = sum(map(operator.mul, map(_VIN_VALUES.__getitem__, vin), _VIN_WEIGHTS))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def clean_vin(vin: str | None) -> tuple[str | None, str | None]:
    """Return (VIN, warning); refuse a VIN of the wrong length or with I, O, Q or other characters."""
    if vin is None:
        return None, None
    text = unicodedata.normalize("NFKC", vin).strip().upper().replace(" ", "")
    if not text:
        return None, None
    if len(text) != 17:
        raise FieldProblem("vin", f"a VIN has 17 characters, this one has {len(text)}")
    bad = sorted({ch for ch in text if ch not in VIN_CHARS})
    if bad:
        raise FieldProblem("vin", f"character(s) {' '.join(bad)} are not allowed in a VIN (no I, O or Q)")
    expected = vin_check_digit(text)
    if text[8] != expected:
        return text, f"check digit is {text[8]}, expected {expected} (ISO 3779)"
    return text, None


# --- Unified social credit code (GB 32100-2015) ------------------------------------------------------

CREDIT_CODE_CHARS: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
_CREDIT_VALUES: Final = {ch: i for i, ch in enumerate(CREDIT_CODE_CHARS)}
_CREDIT_WEIGHTS: Final = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_char(code17: str) -> str:
    """Return the 18th character of a unified social credit code from its first 17."""
    total = sum(_CREDIT_VALUES[ch] * w for ch, w in zip(code17, _CREDIT_WEIGHTS, strict=True))
    return CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def clean_credit_code(code: str | None) -> str | None:
    """Return the code upper-cased, None when empty; refuse a wrong format or check character."""
    if code is None:
        return None
    text = unicodedata.normalize("NFKC", code).strip().upper().replace(" ", "")
    if not text:
        return None
    if len(text) != 18:
        raise FieldProblem("credit_code", f"a unified social credit code has 18 characters, not {len(text)}")
    bad = sorted({ch for ch in text if ch not in _CREDIT_VALUES})
    if bad:
        raise FieldProblem("credit_code", f"character(s) {' '.join(bad)} are not allowed (GB 32100)")
    if not text[2:8].isdigit():
        raise FieldProblem("credit_code", "characters 3–8 are the administrative division code and must be digits")
    expected = credit_code_check_char(text[:17])
    if text[17] != expected:
        raise FieldProblem("credit_code", f"check character is {text[17]}, expected {expected} (GB 32100)")
    return text


# --- Emission standard inference -------------------------------------------------------------------

#: First registration date from which each national standard (国一…国六) applied to new registrations,
#: by schedule. Defaults from the national implementation dates; a region that adopted a standard early
#: changes its row here. "heavy": medium and heavy trucks, tractors, buses, coaches and special vehicles
#: (heavy-duty engines, GB 17691: 国三 2008-07-01, 国四 2013-07-01, 国五 2017-07-01, 国六 2021-07-01, so
#: heavy diesel before 2013-07-01 is China III or older). "light": cars and light trucks (GB 18352:
#: 国四 2011-07-01, 国五 2017-01-01, 国六 2020-07-01). Before the first row: 国0.
EMISSION_STANDARD_SCHEDULES: Final[dict[str, tuple[tuple[date, int], ...]]] = {
    "heavy": (
        (date(2001, 9, 1), 1),
        (date(2004, 9, 1), 2),
        (date(2008, 7, 1), 3),
        (date(2013, 7, 1), 4),
        (date(2017, 7, 1), 5),
        (date(2021, 7, 1), 6),
    ),
    "light": (
        (date(2000, 7, 1), 1),
        (date(2004, 7, 1), 2),
        (date(2007, 7, 1), 3),
        (date(2011, 7, 1), 4),
        (date(2017, 1, 1), 5),
        (date(2020, 7, 1), 6),
    ),
}
LIGHT_TYPES: Final = frozenset({"car", "light_truck"})
NO_ENGINE_TYPES: Final = frozenset({"trailer"})
NO_STANDARD_FUELS: Final = frozenset({"electric"})


def infer_emission_standard(vehicle_type: str, fuel: str, registration_date: date | None) -> int | None:
    """Return the standard a vehicle first registered on `registration_date` must at least meet."""
    if registration_date is None or vehicle_type in NO_ENGINE_TYPES or fuel in NO_STANDARD_FUELS:
        return None
    schedule = EMISSION_STANDARD_SCHEDULES["light" if vehicle_type in LIGHT_TYPES else "heavy"]
    standard = 0
    for start, level in schedule:
        if registration_date >= start:
            standard = level
    return standard


def resolve_emission_standard(
    given: int | None, vehicle_type: str, fuel: str, registration_date: date | None
) -> tuple[int | None, bool]:
    """Return (standard, inferred): the given standard, else the inferred one flagged as such."""
    if given is not None:
        if not 0 <= given <= 6:
            raise FieldProblem("emission_standard", "must be 0–6 (国0–国6)")
        return given, False
    inferred = infer_emission_standard(vehicle_type, fuel, registration_date)
    return inferred, inferred is not None
