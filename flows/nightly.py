"""The scheduled rebuild: a TOML matrix (or an explicit list of images), run as ``build_images``
runs one (``flows.build.build_matrix``), in this flow run.

Deployed as ``nightly-matrix`` (prefect.yaml). With ``fan_out`` each image runs as a
``build-image`` deployment run on the work queue of its architecture, so x64 and arm64 build
hosts build in parallel, natively; the matrix run's table artifact lists every image.
"""

from __future__ import annotations

from pathlib import Path

from faasforge.flows.build import build_matrix
from faasforge.flows.fanout import DEFAULT_DEPLOYMENT, DEFAULT_TIMEOUT_SECONDS, fan_out_runner
from faasforge.flows.params import SharedParams, TagStyle
from prefect import flow, get_run_logger

from faasforge.errors import ConfigError
from faasforge.matrix import choose_concurrency, load_matrix_file
from faasforge.model import ImageRecord
from faasforge.resources import config_dir

DEFAULT_MATRIX_FILE = "config/nightly.toml"


def resolve_matrix_file(matrix_file: str) -> Path:
    """A path as given (relative to the working directory), else one of faasforge's own
    ``config/`` files by name (``config/nightly.toml``)."""
    path = Path(matrix_file).expanduser()
    if path.is_absolute() or path.exists():
        return path
    parts = path.parts
    candidate = config_dir().joinpath(*(parts[1:] if parts[:1] == ("config",) else parts))
    if candidate.exists():
        return candidate
    raise ConfigError(f"matrix file {matrix_file!r} does not exist (looked in {Path.cwd()} and {config_dir()})")


def _nightly_flow_name() -> str:
    from prefect.runtime import flow_run

    params = flow_run.parameters
    images = params.get("images") or []
    source = f"{len(images)} images" if images else str(params.get("matrix_file") or DEFAULT_MATRIX_FILE)
    return f"nightly matrix {source}" + (" fanned out" if params.get("fan_out") else "")


@flow(name="nightly-matrix", flow_run_name=_nightly_flow_name, persist_result=True)
def nightly_matrix(
    matrix_file: str = DEFAULT_MATRIX_FILE,
    images: list[dict[str, str]] | None = None,
    registry: str | None = None,
    repository: str | None = None,
    force: bool = False,
    tag_style: TagStyle = "hash",
    benchmarks_dir: str | None = None,
    systems_config: str | None = None,
    registries_config: str | None = None,
    concurrency: int | None = None,
    fan_out: bool = False,
    deployment: str = DEFAULT_DEPLOYMENT,
    work_queues: dict[str, str] | None = None,
    fan_out_timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> list[ImageRecord]:
    """Build every image of ``matrix_file`` (or of ``images``, when given) and return the records.

    ``concurrency``: images at once (default: the file's ``concurrency``, else 2).
    ``fan_out``: hand each image to the worker of its architecture's queue (``work_queues``).
    """
    logger = get_run_logger()
    shared = SharedParams(registry, repository, force, tag_style, benchmarks_dir, systems_config, registries_config)
    file_concurrency: int | None = None
    if not images:
        ws = shared.workspace()
        path = resolve_matrix_file(matrix_file)
        matrix, file_concurrency = load_matrix_file(path, ws.systems, ws.settings.benchmarks_dir)
        for request, reason in matrix.excluded:
            logger.info("left out %s: %s", request.label, reason)
        images = [r.as_params() for r in matrix.requests]
        logger.info("matrix %s: %d images", path, len(images))
    fan_out_to = fan_out_runner(shared.as_params(), deployment, work_queues, fan_out_timeout) if fan_out else None
    # In this flow run: the table, progress and child runs belong to it.
    return build_matrix(images, shared, choose_concurrency(concurrency, file_concurrency), fan_out_to)
