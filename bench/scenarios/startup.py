"""Scenario 5: start-up of the command: ``faasforge --help`` and ``faasforge plan``."""

from __future__ import annotations

from typing import Any

from harness import check, faasforge_cmd, median, python_cmd, run_timed

from scenarios.common import Context, json_list

TITLE = "5. Start-up: faasforge --help, faasforge plan over the samples"


def run(ctx: Context) -> dict[str, Any]:
    env = ctx.env
    helps = [run_timed(faasforge_cmd("--help"), env.environ()) for _ in range(ctx.pick(9, 3))]
    plan_cmd = faasforge_cmd("plan", "--benchmark", "010.sleep,110.dynamic-html", "--arch", "x64,arm64",
                             "--repository", env.repository("plan"), "--json")
    plans = [run_timed(plan_cmd, env.environ()) for _ in range(ctx.pick(7, 3))]
    rows = json_list(plans[-1].stdout)
    imports = run_timed(python_cmd("-X", "importtime", "-c", "import faasforge.cli"), env.environ())
    modules = {line.rsplit("|", 1)[-1].strip() for line in imports.stderr.splitlines() if line.startswith("import time:")}
    help_s, plan_s = median(t.seconds for t in helps), median(t.seconds for t in plans)
    loaded = sorted(m for m in ("prefect", "docker", "requests", "boto3", "azure", "google") if m in modules)
    figures = [
        ("`faasforge --help`, median (min)", f"{help_s:.3f} s ({min(t.seconds for t in helps):.3f})"),
        ("`faasforge --help`, peak RSS", f"{median(t.maxrss_mb for t in helps):.0f} MB"),
        (f"`faasforge plan` over the samples ({len(rows)} images), median (min)",
         f"{plan_s:.3f} s ({min(t.seconds for t in plans):.3f})"),
        ("`faasforge plan`, peak RSS", f"{median(t.maxrss_mb for t in plans):.0f} MB"),
        ("heavy packages imported by `import faasforge.cli`", ", ".join(loaded) or "none"),
    ]
    checks = [
        check("faasforge --help", round(help_s, 3), "<= 0.5 s", help_s <= 0.5, "s"),
        check("faasforge plan over the samples", round(plan_s, 3), "<= 3 s", plan_s <= 3, "s"),
    ]
    return {"title": TITLE, "figures": figures, "checks": checks,
            "raw": {"help_s": [t.seconds for t in helps], "plan_s": [t.seconds for t in plans], "plan_rows": len(rows)}}
