"""The reliability ledger: every case a test runs adds a row (what was done, what happened), and
RELIABILITY.md is rendered from the rows of a real run, with totals counted from them.

Rows of a test only count when that test passed; a failed test's rows are shown as failed.
Regenerate the file with ``FAASFORGE_RELIABILITY_REPORT=RELIABILITY.md python -m pytest tests/reliability``.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

SECTIONS = ("Bad input", "Faults", "Concurrency", "Security")
_PORT = re.compile(r"127\.0\.0\.1:\d{2,5}")
_TMP = re.compile(r"/tmp/[^\s'\"),]*")
_LOG = re.compile(r"\(log: [^)]*\)")


def clean(text: str, limit: int = 220) -> str:
    """One line for a table cell: temp paths, ports and log paths made stable, pipes escaped."""
    text = text.strip().splitlines()[0] if text.strip() else ""
    text = _LOG.sub("(log: $FAASFORGE_HOME/logs/…)", text)
    text = _PORT.sub("127.0.0.1:PORT", text)
    text = _TMP.sub(lambda m: "…/" + m.group(0).rstrip("/").rsplit("/", 1)[-1], text)
    text = text.replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class Row:
    section: str
    case: str
    done: str
    happened: str
    test: str
    counts: dict[str, int] = field(default_factory=dict)
    passed: bool | None = None


@dataclass
class Ledger:
    rows: list[Row] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    durations: dict[str, float] = field(default_factory=dict)

    def add(self, row: Row) -> Row:
        if row.section not in SECTIONS:
            raise ValueError(f"unknown section {row.section!r}")
        self.rows.append(row)
        return row

    def settle(self, test: str, passed: bool, seconds: float) -> None:
        self.durations[test] = self.durations.get(test, 0.0) + seconds
        for row in self.rows:
            if row.test == test:
                row.passed = passed if row.passed is None else (row.passed and passed)

    def totals(self) -> dict[str, int]:
        ok = [r for r in self.rows if r.passed]
        return {
            "inputs tried": sum(1 for r in ok if r.section == "Bad input"),
            "faults survived": sum(1 for r in ok if r.section == "Faults"),
            "concurrency cases": sum(1 for r in ok if r.section == "Concurrency"),
            "security checks": sum(1 for r in ok if r.section == "Security"),
            "records lost": sum(r.counts.get("lost", 0) for r in self.rows),
            "secrets leaked": sum(r.counts.get("leaked", 0) for r in self.rows),
            "failed": sum(1 for r in self.rows if r.passed is False),
        }

    def render(self, wall_seconds: float) -> str:
        totals = self.totals()
        out = [
            "# Reliability and security",
            "",
            "Generated from a real run of `tests/reliability/` (the Docker engine, Debian's `docker-registry`,",
            "a fault-injecting proxy, real `python -m faasforge` processes): every row is one case a test ran",
            "and what it observed. Regenerate with",
            "`FAASFORGE_RELIABILITY_REPORT=RELIABILITY.md python -m pytest tests/reliability`.",
            "",
            "## Totals",
            "",
            "| inputs tried | faults survived | concurrency cases | security checks | records lost | secrets leaked |",
            "|---:|---:|---:|---:|---:|---:|",
            f"| {totals['inputs tried']} | {totals['faults survived']} | {totals['concurrency cases']} "
            f"| {totals['security checks']} | {totals['records lost']} | {totals['secrets leaked']} |",
            "",
            f"{len(self.rows)} cases in {len(self.durations)} tests, {totals['failed']} failed; the suite took "
            f"{wall_seconds:.0f} s.",
            "",
        ]
        out += RULES
        for section in SECTIONS:
            rows = [r for r in self.rows if r.section == section]
            if not rows:
                continue
            out += [f"## {section}", "", "| # | case | what was done | what happened | test |", "|---:|---|---|---|---|"]
            for i, r in enumerate(rows, 1):
                status = "" if r.passed else " **FAILED**"
                test = r.test.split("::", 1)[-1]
                out.append(f"| {i} | {r.case} | {r.done} | {r.happened}{status} | `{test}` |")
            out.append("")
        return "\n".join(out) + "\n"


RULES = [
    "## What the console shows",
    "",
    "- Bad input is found before anything runs: every name, file and hash of every image is",
    "  decided before Prefect starts. The command prints ONE line on stderr,",
    "  `faasforge: error: <what is wrong with which value>; allowed: <what is>`, nothing on stdout,",
    "  and exits 2. Nothing is built, pushed or recorded, and no log file is written.",
    "- Once flows run, everything logged (Prefect's flow and task runs, the ephemeral server,",
    "  faasforge), with tracebacks, goes to `$FAASFORGE_HOME/logs/<command>-<time>-<pid>.log`",
    "  (the 50 newest are kept). The console keeps warnings only (say, a push retried with",
    "  back-off), one line each and never a traceback; `--verbose` adds the runs' progress lines.",
    "  The flow and task engines' own failure reports stay in the file: the command's last line",
    "  is the faasforge error, which names the log file. Exit 2 for usage errors found during the",
    "  build (a base image that does not exist), 1 for everything else; a failed build adds the",
    "  last lines of its build log below that line, indented.",
    "- An unexpected exception (a bug) is one line too, `faasforge: error: unexpected <Type>: ...`,",
    "  with its traceback in the log file.",
    "",
]
