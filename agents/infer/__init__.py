"""Inferring a table's contract from its values: types, roles, date orders.

``infer_contract(frame)`` reads a table of strings (as the extractor yields) and returns
an ``Inference``: a ``TableContract`` a person can check and paste into a workflow, a
report per field (present, missing, distinct, unparsed values) and ``Finding`` s to look
at (ambiguous or mixed day/month orders, unparsed values, empty columns).

The parsers it uses are public, for the stages that clean a table by its contract:
``parse_numbers``, ``parse_dates``, ``parse_booleans``.
"""

from ._dates import AMBIGUOUS_DEFAULT, parse_dates
from ._infer import infer_contract
from ._numbers import CURRENCY_CODES, parse_numbers
from ._result import FieldReport, Finding, FindingKind, Inference, Severity
from ._text import BOOLEAN_WORDS, CATEGORY_MAX, CATEGORY_RATIO, ID_DISTINCT, parse_booleans
from ._values import PARSE_THRESHOLD

__all__ = [
    "AMBIGUOUS_DEFAULT",
    "BOOLEAN_WORDS",
    "CATEGORY_MAX",
    "CATEGORY_RATIO",
    "CURRENCY_CODES",
    "ID_DISTINCT",
    "PARSE_THRESHOLD",
    "FieldReport",
    "Finding",
    "FindingKind",
    "Inference",
    "Severity",
    "infer_contract",
    "parse_booleans",
    "parse_dates",
    "parse_numbers",
]
