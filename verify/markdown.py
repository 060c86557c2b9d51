"""README's tables, rendered from a report of ``python -m verify.all`` (never typed by hand).

``python -m verify.markdown REPORT.json`` prints the tables; ``--readme README.md`` replaces the
blocks between ``<!-- generated:NAME -->`` and ``<!-- end:NAME -->`` in that file instead (the
committed README's blocks come from the ``--full`` report kept beside the committed figures).
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from theory.cli import Parser, atomic_write, run_main
from theory.errors import BadInput

_BLOCK = re.compile(r"(<!-- generated:(?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- end:(?P=name) -->)", re.S)


def _percent(x: float) -> str:
    return "∞" if not math.isfinite(x) else f"{100 * x:.2g} %"


def detectable_table(report: dict) -> str:
    """Per check kind: how many instances, and the smallest relative error each detects (range)."""
    kinds: dict[str, list[float]] = {}
    for c in report["checks"]:
        value = c["detectable_relative_error"]
        kinds.setdefault(c["kind"], []).append(math.inf if value is None else value)
    lines = ["| check | instances | detects |", "|---|---|---|"]
    for kind, values in kinds.items():
        low, high = _percent(min(values)), _percent(max(values))
        span = low if low == high else f"{low} – {high}"
        lines.append(f"| `{_cell(kind)}` | {len(values)} | {span} |")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def claims_table(report: dict, part: str) -> str:
    """The claims of seed Part ``part`` ("1" or "2"): as printed, verdict, what holds, evidence."""
    lines = ["| § | claim as printed | verdict | what holds instead / evidence |", "|---|---|---|---|"]
    for c in report["claims"]:
        if not c["section"].startswith(part):
            continue
        verdict = c["verdict"] if c["verdict"] in ("confirmed", "leading-order") else f"**{c['verdict']}**"
        holds = "; ".join(t for t in (c["correction"] or "", c["evidence_text"]) if t)
        lines.append(f"| {c['section']} | {_cell(c['printed'])} | {verdict} | {_cell(holds)} |")
    return "\n".join(lines)


def blocks(report: dict) -> dict[str, str]:
    """Every generated block of README, by name."""
    return {"detectable-errors": detectable_table(report), "claims-part1": claims_table(report, "1"),
            "claims-part2": claims_table(report, "2")}


def render(report: dict) -> str:
    """All blocks, each between its markers."""
    return "\n\n".join(f"<!-- generated:{name} -->\n{body}\n<!-- end:{name} -->"
                       for name, body in blocks(report).items())


def splice(text: str, new: dict[str, str]) -> str:
    """``text`` with the body of every marked block replaced by ``new[name]``."""
    def replace(match: re.Match) -> str:
        name = match["name"]
        if name not in new:
            raise BadInput(f"README names a block {name!r} that the report does not render")
        return f"{match.group(1)}{new[name]}\n{match.group(4)}"

    return _BLOCK.sub(replace, text)


def main(argv: Sequence[str] | None = None) -> int:
    p = Parser(prog="python -m verify.markdown", description="README's tables from a verify.all report.")
    p.add_argument("report", type=Path, help="a report written by python -m verify.all (JSON)")
    p.add_argument("--readme", type=Path, default=None, help="replace the generated blocks in this file")
    args = p.parse_args(argv)
    try:
        report = json.loads(args.report.read_text())
    except json.JSONDecodeError as exc:
        raise BadInput(f"{args.report} is not a JSON report: {exc}") from None
    if args.readme is None:
        print(render(report))
        return 0
    atomic_write(args.readme, splice(args.readme.read_text(), blocks(report)))
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main, prog="python -m verify.markdown"))
