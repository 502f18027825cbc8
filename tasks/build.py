"""Task: build the staged context. Cached by platform, benchmark, language, version,
architecture and content hash, so a rerun of unchanged code shows as Cached in the UI;
``faasforge.tasks.steps`` refreshes the cache when the engine no longer holds the image."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from faasforge.tasks.runnames import image_run_name
from prefect import get_run_logger, task
from prefect.context import TaskRunContext

from faasforge.errors import BuildFailed
from faasforge.model import BuildResult, ResolvedImage
from faasforge.pipeline import Engine, build_staged


def build_cache_key(context: TaskRunContext, parameters: dict[str, Any]) -> str:
    """platform, benchmark, language, version, architecture, content hash (+ where it is tagged)."""
    resolved: ResolvedImage = parameters["resolved"]
    r = resolved.request
    where = hashlib.sha256(resolved.image_uri.encode()).hexdigest()[:12]
    return (
        f"faasforge-build-{r.platform}-{r.benchmark}-{r.language}-{r.version}-{r.architecture}"
        f"-{resolved.plan.content_hash}-{where}"
    )


@task(
    name="build-context",
    task_run_name=image_run_name("build"),
    cache_key_fn=build_cache_key,
    persist_result=True,
)
def build_task(resolved: ResolvedImage, context_dir: Path, engine: Engine) -> BuildResult:
    """Build the staged context into the image (the flow's ``build-image`` is the whole image)."""
    logger = get_run_logger()
    try:
        result = build_staged(engine, context_dir, resolved, on_line=logger.debug)
    except BuildFailed as exc:
        logger.error("build of %s failed: %s\n%s", resolved.image_uri, exc.reason, "\n".join(exc.log_tail))
        _failure_artifact(resolved, exc)
        raise
    logger.info(
        "built %s (%s, %.1f MB) in %.1fs",
        resolved.image_uri, result.architecture, result.size_bytes / 1e6, result.seconds,
    )
    return result


def _failure_artifact(resolved: ResolvedImage, exc: BuildFailed) -> None:
    from prefect.artifacts import create_markdown_artifact

    r = resolved.request
    tail = "\n".join(exc.log_tail)
    create_markdown_artifact(
        key=f"build-failure-{r.benchmark}-{r.language}-{r.version}-{r.architecture}".replace(".", "-").lower(),
        markdown=(
            f"# Build failed: {r.label}\n\n**Image:** `{resolved.image_uri}`\n\n"
            f"**Reason:** {exc.reason}\n\n## Last lines of the build log\n\n```\n{tail}\n```\n"
        ),
        description=f"build log tail of {r.label}",
    )
