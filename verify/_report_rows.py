"""A ``verify.all`` report read row by row: the one reading that README's Markdown tables
(:mod:`verify.markdown`) and the HTML page (:mod:`verify.report`) both render, so that the two
cannot disagree on what a claim's verdict is, what holds instead, or what a check detects."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from theory.errors import BadInput

#: verdicts shown plainly; every other verdict is a finding, emphasized wherever it is shown
PLAIN_VERDICTS = ("confirmed", "leading-order")
#: the seed's parts, by the first character of a claim's section
PARTS = {"1": "Part 1: BN = PN + gamma decay", "2": "Part 2: teacher–student generalization"}


def percent(x: float) -> str:
    """A relative error as a percentage with two significant digits; ∞ when not finite."""
    return "∞" if not math.isfinite(x) else f"{100 * x:.2g} %"


@dataclass(frozen=True)
class DetectableRow:
    """One kind of check: how many instances, and the range of the smallest relative error each detects."""

    kind: str
    instances: int
    low: float
    high: float

    @property
    def span(self) -> str:
        """The range as text: one percentage when every instance detects the same error."""
        low, high = percent(self.low), percent(self.high)
        return low if low == high else f"{low} – {high}"


def detectable_rows(report: dict) -> list[DetectableRow]:
    """Per check kind, in order of first appearance (a check without a detectable error counts as ∞)."""
    kinds: dict[str, list[float]] = {}
    for c in report["checks"]:
        value = c["detectable_relative_error"]
        kinds.setdefault(c["kind"], []).append(math.inf if value is None else value)
    return [DetectableRow(kind, len(values), min(values), max(values)) for kind, values in kinds.items()]


@dataclass(frozen=True)
class ClaimRow:
    """One claim of the seed: where, as printed, its verdict, and what holds instead with the evidence."""

    section: str
    printed: str
    verdict: str
    holds_instead: str
    claim: dict

    @property
    def is_finding(self) -> bool:
        """Whether the verdict says the seed is wrong or unsupported as printed (shown emphasized)."""
        return self.verdict not in PLAIN_VERDICTS


def claim_rows(report: dict, part: str | None = None) -> list[ClaimRow]:
    """The claims of seed Part ``part`` ("1", "2"; None: every claim), in the report's order."""
    rows = []
    for c in report["claims"]:
        if part is not None and not c["section"].startswith(part):
            continue
        holds = "; ".join(t for t in (c["correction"] or "", c["evidence_text"]) if t)
        rows.append(ClaimRow(c["section"], c["printed"], c["verdict"], holds, c))
    return rows


def parts(report: dict) -> list[str]:
    """The seed's parts the report's claims come from, in order of first appearance."""
    return list(dict.fromkeys(c["section"][:1] for c in report["claims"]))


#: the fields of a report's checks and claims that the rows read here index (every report of ``verify.all``
#: has them; a reader that indexes more adds its own, e.g. :data:`verify.report.PAGE_FIELDS`)
ROW_FIELDS: dict[str, tuple[str, ...]] = {"checks": ("kind", "detectable_relative_error"),
                                          "claims": ("section", "printed", "verdict", "correction", "evidence_text")}


def read_report(path: Path, fields: dict[str, tuple[str, ...]] = ROW_FIELDS) -> dict:
    """The report saved at ``path`` by ``python -m verify.all``.

    Parameters
    ----------
    path : pathlib.Path
        The report's JSON file.
    fields : dict, default :data:`ROW_FIELDS`
        ``{"checks": (...), "claims": (...)}``: the fields every check and claim must have for the reader.

    Returns
    -------
    dict
        The report, its checks and claims each with every field of ``fields``.

    Raises
    ------
    BadInput
        If it is not JSON or not such a report (a list missing, an entry without a field its readers need,
        as in a report edited by hand): one line naming the first such entry and field.
    OSError
        If it cannot be read.
    """
    try:
        report = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadInput(f"{path} is not a JSON report: {exc}") from None
    if not isinstance(report, dict) or not all(isinstance(report.get(k), list) for k in ("checks", "claims")):
        raise BadInput(f"{path} is not a report of python -m verify.all (no lists 'checks' and 'claims')")
    for key, needed in fields.items():
        for i, entry in enumerate(report[key]):
            missing = [f for f in needed if f not in entry] if isinstance(entry, dict) else ["every field"]
            if missing:
                raise BadInput(f"{path} is not a report of python -m verify.all: entry {i} of '{key}' lacks "
                               f"{missing[0]!r}")
    return report
