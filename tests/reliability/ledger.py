"""The reliability ledger: every case a test runs adds a row (what was done, what happened), and
RELIABILITY.md is rendered from the rows of a real run, with totals counted from them.

Rows of a test only count when that test passed; a failed test's rows are shown as failed.
Regenerate the file with ``FAASFORGE_RELIABILITY_REPORT=RELIABILITY.md python -m pytest tests/reliability``.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

SECTIONS = ("Bad input", "Faults", "Concurrency", "Security")
_IMAGE = re.compile(r"127\.0\.0\.1:\d+/[a-z0-9-]+:function\.[\w.-]+")
_PORT = re.compile(r"127\.0\.0\.1:(\d{5})\b")
_TMP = re.compile(r"/tmp/[^\s'\"),]*")
_LOG = re.compile(r"\(log: [^)]*\)")
_CHECKOUT = Path(__file__).resolve().parents[2]


def clean(text: str, limit: int = 300) -> str:
    """One line for a table cell: temp paths, test ports, image names and log paths made short
    and stable, pipes escaped."""
    text = text.strip().splitlines()[0] if text.strip() else ""
    text = _LOG.sub("(log: $FAASFORGE_HOME/logs/…)", text)
    text = text.replace(str(_CHECKOUT) + "/", "")
    text = _IMAGE.sub("<image>", text)
    text = _PORT.sub(lambda m: "127.0.0.1:PORT" if 10000 <= int(m.group(1)) <= 65535 else m.group(0), text)
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
    "  (the 50 newest are kept). The console keeps faasforge's own warnings (say, a push retried",
    "  with back-off), one line each and never a traceback; Prefect's housekeeping (its event",
    "  worker draining at exit, say) stays in the file. `--verbose` shows INFO and up from every",
    "  logger, still one line each and without tracebacks.",
    "  The flow and task engines' own failure reports stay in the file: the command's last line",
    "  is the faasforge error, which names the log file. Exit 2 for usage errors found during the",
    "  build (a base image that does not exist), 1 for everything else; a failed build adds the",
    "  last lines of its build log below that line, indented.",
    "- An unexpected exception (a bug) is one line too, `faasforge: error: unexpected <Type>: ...`,",
    "  with its traceback in the log file.",
    "",
    "## How the cases run",
    "",
    "- Each case is a real `python -m faasforge` process with its own `FAASFORGE_HOME`,",
    "  `PREFECT_HOME`, `HOME` and staging directory, on its own copy of the sample benchmarks and",
    "  its own repository name. Prefect runs in ephemeral mode; each `PREFECT_HOME` starts from an",
    "  already migrated database, as on a machine that ran faasforge before.",
    "- Retries are kept short with `FAASFORGE_RETRY_ATTEMPTS=3` and",
    "  `FAASFORGE_RETRY_BACKOFF_SECONDS=0.25` (the registries config's `[retry]`; it governs pushes",
    "  and registry calls alike; defaults: 4 attempts, 0.5 s doubling).",
    "- \"Nothing happened\" means: no catalog row, no staging directory left, no tag in the registry",
    "  for the case's repository, no image of that repository in the engine.",
    "- Unreadable files: root reads everything, and the Python install lives under `/root` (mode",
    "  0700), so user `nobody` could not even start faasforge here. These cases run as root with",
    "  `CAP_DAC_OVERRIDE` and `CAP_DAC_READ_SEARCH` dropped from the bounding set",
    "  (`setpriv --bounding-set=-dac_override,-dac_read_search`): the kernel then applies file",
    "  modes to root like to any user (a test checks that `ls` of a mode-000 directory fails).",
    "- Registry faults: a private `docker-registry` on a free loopback port behind",
    "  `tests/reliability/faultproxy.py`, a threaded HTTP/1.1 proxy (one request per connection) with",
    "  modes `pass`, `http500-first-N`, `reset-first-N`, `slow-Ms`, aimed by user agent at",
    "  faasforge's own manifest checks or at the Docker engine's push requests. The engine pushes",
    "  by itself; its failures come back in the push stream, where `faasforge/push.py` sorts them:",
    "  network failures are retried with back-off, an auth failure refreshes credentials once.",
    "- The registry is killed as the manifest is sent. Killed during a layer upload instead, the",
    "  engine retries that layer by itself 5 times over about 50 s before the push fails; the",
    "  outcome for faasforge is the same, only slower.",
    "- The flow is killed with SIGKILL as a process group: the command and its ephemeral Prefect",
    "  server. (SIGKILL to the command alone leaves that server process running: Prefect stops it",
    "  at exit, which SIGKILL skips.) The engine stops a build whose client is gone.",
    "",
]
