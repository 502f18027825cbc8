"""The scheduled rebuild: ``nightly_matrix`` is ``build_images`` under the name ``nightly-matrix``,
with run names that say which matrix (``nightly matrix config/nightly.toml fanned out``).

Deployed as ``nightly-matrix`` (prefect.yaml), given ``matrix_file`` (default faasforge's
``config/nightly.toml``) rather than ``images``. With ``fan_out`` each image runs as a
``build-image`` deployment run on the work queue of its architecture, so x64 and arm64 build
hosts build in parallel, natively; the matrix run's table artifact lists every image.
"""

from __future__ import annotations

from faasforge.flows.build import build_images
from faasforge.flows.params import DEFAULT_MATRIX_FILE

__all__ = ["nightly_matrix"]


def _nightly_flow_name() -> str:
    from prefect.runtime import flow_run

    params = flow_run.parameters
    images = params.get("images") or []
    source = f"{len(images)} images" if images else str(params.get("matrix_file") or DEFAULT_MATRIX_FILE)
    return f"nightly matrix {source}" + (" fanned out" if params.get("fan_out") else "")


nightly_matrix = build_images.with_options(name="nightly-matrix", flow_run_name=_nightly_flow_name)
