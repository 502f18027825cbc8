"""The catalog: what was published and how big it is, in SQLite under ``$FAASFORGE_HOME``.

WAL journaling and one transaction per write make it crash-safe; a busy timeout lets several
processes record at once without losing rows.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from faasforge.errors import CatalogError
from faasforge.model import ImageRecord, ImageRequest

SCHEMA = """
CREATE TABLE IF NOT EXISTS images (
    platform TEXT NOT NULL,
    benchmark TEXT NOT NULL,
    language TEXT NOT NULL,
    version TEXT NOT NULL,
    architecture TEXT NOT NULL,
    image_uri TEXT NOT NULL,
    digest TEXT,
    content_hash TEXT NOT NULL,
    size_mb REAL,
    compressed_mb REAL,
    build_seconds REAL,
    push_seconds REAL,
    rebuilt INTEGER NOT NULL,
    reason TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    extra TEXT NOT NULL DEFAULT '{}',
    smoke TEXT,
    PRIMARY KEY (platform, benchmark, language, version, architecture)
);
CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    platform TEXT NOT NULL, benchmark TEXT NOT NULL, language TEXT NOT NULL,
    version TEXT NOT NULL, architecture TEXT NOT NULL,
    image_uri TEXT NOT NULL, digest TEXT, rebuilt INTEGER NOT NULL, reason TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
"""
COLUMNS = (
    "platform", "benchmark", "language", "version", "architecture", "image_uri", "digest",
    "content_hash", "size_mb", "compressed_mb", "build_seconds", "push_seconds", "rebuilt",
    "reason", "recorded_at", "extra", "smoke",
)
# Columns added after the first schema: (name, SQL type), added to older catalogs on open.
ADDED_COLUMNS = (("smoke", "TEXT"),)


class Catalog:
    """Records keyed by platform, benchmark, language, version and architecture."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as db:
                db.executescript(SCHEMA)
                have = {row[1] for row in db.execute("PRAGMA table_info(images)")}
                for name, kind in ADDED_COLUMNS:
                    if name not in have:
                        try:
                            db.execute(f"ALTER TABLE images ADD COLUMN {name} {kind}")
                        except sqlite3.OperationalError as exc:  # another process added it first
                            if "duplicate column" not in str(exc):
                                raise
        except (OSError, sqlite3.Error) as exc:
            raise CatalogError(f"catalog {str(path)!r} cannot be opened: {exc}") from None

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA busy_timeout=30000")
            yield db
        finally:
            db.close()

    def record(self, record: ImageRecord) -> ImageRecord:
        """Insert or replace the row for ``record``'s key, atomically; returns it stamped."""
        stamped = record.replace(recorded_at=record.recorded_at or _now())
        values = [getattr(stamped, c) for c in COLUMNS]
        values[COLUMNS.index("rebuilt")] = int(stamped.rebuilt)
        values[COLUMNS.index("extra")] = json.dumps(stamped.extra, sort_keys=True)
        placeholders = ", ".join("?" for _ in COLUMNS)
        try:
            with self._connect() as db:
                db.execute("BEGIN IMMEDIATE")
                try:
                    db.execute(
                        f"INSERT OR REPLACE INTO images ({', '.join(COLUMNS)}) VALUES ({placeholders})",
                        values,
                    )
                    db.execute(
                        "INSERT INTO history (platform, benchmark, language, version, architecture,"
                        " image_uri, digest, rebuilt, reason, recorded_at)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [stamped.platform, stamped.benchmark, stamped.language, stamped.version,
                         stamped.architecture, stamped.image_uri, stamped.digest,
                         int(stamped.rebuilt), stamped.reason, stamped.recorded_at],
                    )
                    db.execute("COMMIT")
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
        except sqlite3.Error as exc:
            raise CatalogError(f"catalog {str(self.path)!r} cannot be written: {exc}") from None
        return stamped

    def get(self, request: ImageRequest) -> ImageRecord | None:
        rows = self._query(
            "WHERE platform=? AND benchmark=? AND language=? AND version=? AND architecture=?",
            [request.platform, request.benchmark, request.language, request.version, request.architecture],
        )
        return rows[0] if rows else None

    def all(self, platform: str | None = None, benchmark: str | None = None) -> list[ImageRecord]:
        clauses, args = [], []
        if platform:
            clauses.append("platform=?")
            args.append(platform)
        if benchmark:
            clauses.append("benchmark=?")
            args.append(benchmark)
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        return self._query(where + " ORDER BY platform, benchmark, language, version, architecture", args)

    def history_count(self) -> int:
        with self._connect() as db:
            return int(db.execute("SELECT COUNT(*) FROM history").fetchone()[0])

    def _query(self, tail: str, args: list[str]) -> list[ImageRecord]:
        try:
            with self._connect() as db:
                rows = db.execute(f"SELECT {', '.join(COLUMNS)} FROM images {tail}", args).fetchall()
        except sqlite3.Error as exc:
            raise CatalogError(f"catalog {str(self.path)!r} cannot be read: {exc}") from None
        records = []
        for row in rows:
            data = dict(zip(COLUMNS, row, strict=True))
            data["rebuilt"] = bool(data["rebuilt"])
            data["extra"] = json.loads(data["extra"] or "{}")
            records.append(ImageRecord(**data))
        return records


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
