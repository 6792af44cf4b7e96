"""Remote-sensing and roadside emission judging: records, rules as data, verdicts and vendor readers.

Framework-free and fully typed; the Flask app adapts it in ``ingestion/services.py``.
"""

from remote_sensing.readers import RowError, open_reader, parse_canonical, reader_formats
from remote_sensing.rules import LimitSet, NoLimitSetError, RuleSet, load_rules
from remote_sensing.types import PLATE_COLORS, FieldError, PassRecord
from remote_sensing.verdicts import (
    Check,
    Exceedance,
    Verdict,
    judge_free_acceleration,
    judge_lug_down,
    judge_nrmm,
    judge_obd,
    judge_pass,
    judge_ringelmann,
)

__all__ = [
    "PLATE_COLORS",
    "Check",
    "Exceedance",
    "FieldError",
    "LimitSet",
    "NoLimitSetError",
    "PassRecord",
    "RowError",
    "RuleSet",
    "Verdict",
    "judge_free_acceleration",
    "judge_lug_down",
    "judge_nrmm",
    "judge_obd",
    "judge_pass",
    "judge_ringelmann",
    "load_rules",
    "open_reader",
    "parse_canonical",
    "reader_formats",
]
