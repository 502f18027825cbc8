"""What people look at in the Prefect UI: a table of images, matrix progress."""

from __future__ import annotations

from typing import cast
from uuid import UUID

from faasforge.errors import first_line
from faasforge.model import ImageRecord, ImageRequest

TABLE_COLUMNS = ("image", "uncompressed MB", "compressed MB", "rebuilt", "reason", "build s", "push s")


def image_rows(
    records: list[ImageRecord], failures: list[tuple[ImageRequest, Exception]] | None = None
) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    fanned_out = any(r.extra.get("work_queue") for r in records)
    for r in records:
        rows.append({
            "image": r.image_uri,
            "uncompressed MB": r.size_mb,
            "compressed MB": r.compressed_mb,
            "rebuilt": "rebuilt" if r.rebuilt else "skipped",
            "reason": r.reason,
            "build s": r.build_seconds,
            "push s": r.push_seconds,
        })
    for request, exc in failures or []:
        rows.append({
            "image": request.label, "uncompressed MB": None, "compressed MB": None,
            "rebuilt": "FAILED", "reason": first_line(exc, 300), "build s": None, "push s": None,
        })
    if any(r.smoke is not None for r in records):  # build --smoke: did each image answer?
        for row, record in zip(rows, records, strict=False):
            smoke = record.smoke or ""
            row["smoke"] = "FAILED" + smoke[len("failed"):] if record.smoke_failed else record.smoke
        for row in rows[len(records):]:
            row["smoke"] = None
    if fanned_out:  # built on workers: which work queue (build host) and child run did each
        extras = [r.extra for r in records] + [{} for _ in failures or []]
        for row, extra in zip(rows, extras, strict=True):
            row["work queue"] = extra.get("work_queue")
            row["flow run"] = extra.get("flow_run")
    return rows


def publish_images_table(
    records: list[ImageRecord],
    key: str,
    failures: list[tuple[ImageRequest, Exception]] | None = None,
) -> None:
    """A table artifact of this run's images (no credentials: URIs, sizes, reasons only)."""
    from prefect.artifacts import create_table_artifact

    built = sum(1 for r in records if r.rebuilt)
    smoke_failed = sum(1 for r in records if r.smoke_failed)
    create_table_artifact(
        key=key,
        table=image_rows(records, failures),
        description=(
            f"{len(records)} images: {built} rebuilt, {len(records) - built} skipped"
            + (f", {len(failures)} failed" if failures else "")
            + (f", {smoke_failed} failed the smoke test" if smoke_failed else "")
        ),
    )


class MatrixProgress:
    """A progress artifact updated as the images of a matrix finish, created at the first
    ``advance`` (after the matrix was validated and checked)."""

    def __init__(self, total: int) -> None:
        self.total = max(total, 1)
        self.done = 0
        self.artifact_id: UUID | None = None

    def advance(self, images: int = 1) -> None:
        from prefect.artifacts import create_progress_artifact, update_progress_artifact

        if self.artifact_id is None:
            self.artifact_id = cast(UUID, create_progress_artifact(
                progress=0.0, key="faasforge-matrix-progress", description=f"images done of {self.total}"
            ))
        if images <= 0:
            return
        self.done += images
        update_progress_artifact(self.artifact_id, progress=100.0 * self.done / self.total)
