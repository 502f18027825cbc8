"""A catalog writer process for the concurrency tests:
``python -m tests.reliability.catalog_writer CATALOG WRITER COUNT PROGRESS_FILE``.

Records COUNT images as writer WRITER, appending the index of each record to PROGRESS_FILE only
after ``Catalog.record`` returned (so every index in that file was committed)."""

from __future__ import annotations

import sys
from pathlib import Path

from faasforge.catalog import Catalog
from faasforge.model import ImageRecord


def record(writer: int, index: int) -> ImageRecord:
    return ImageRecord(
        platform="local", benchmark=f"{writer:02d}{index:04d}.bench", language="python", version="3.11",
        architecture="x64", image_uri=f"127.0.0.1:5000/stress:{writer}-{index}", digest="sha256:" + "b" * 64,
        content_hash="c" * 64, size_mb=1.0, compressed_mb=0.5, build_seconds=0.1, push_seconds=0.1,
        rebuilt=True, reason="stress",
    )


def main() -> int:
    path, writer, count, progress = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
    catalog = Catalog(path)
    with progress.open("a", buffering=1) as out:
        for index in range(count):
            catalog.record(record(writer, index))
            out.write(f"{index}\n")  # line-buffered: in the kernel before the next record starts
    return 0


if __name__ == "__main__":
    sys.exit(main())
