"""README's tables, rendered from a report of ``python -m verify.all`` (never typed by hand).

``python -m verify.markdown REPORT.json`` prints the tables; ``--readme README.md`` replaces the
blocks between ``<!-- generated:NAME -->`` and ``<!-- end:NAME -->`` in that file instead (the
committed README's blocks come from the ``--full`` report kept beside the committed figures).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path

from theory.cli import Parser, atomic_write, run_main
from theory.errors import BadInput

from ._report_rows import claim_rows, detectable_rows, read_report

_BLOCK = re.compile(r"(<!-- generated:(?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- end:(?P=name) -->)", re.S)


def detectable_table(report: dict) -> str:
    """Per check kind: how many instances, and the smallest relative error each detects (range)."""
    lines = ["| check | instances | detects |", "|---|---|---|"]
    lines += [f"| `{_cell(row.kind)}` | {row.instances} | {row.span} |" for row in detectable_rows(report)]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def claims_table(report: dict, part: str) -> str:
    """The claims of seed Part ``part`` ("1" or "2"): as printed, verdict, what holds, evidence."""
    lines = ["| § | claim as printed | verdict | what holds instead / evidence |", "|---|---|---|---|"]
    for row in claim_rows(report, part):
        verdict = f"**{row.verdict}**" if row.is_finding else row.verdict
        lines.append(f"| {row.section} | {_cell(row.printed)} | {verdict} | {_cell(row.holds_instead)} |")
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
    report = read_report(args.report)
    if args.readme is None:
        print(render(report))
        return 0
    atomic_write(args.readme, splice(args.readme.read_text(), blocks(report)))
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main, prog="python -m verify.markdown"))
