"""Systems overlays: a JSON merge patch (RFC 7386) applied over systems.json.

``FAASFORGE_SYSTEMS_OVERLAY`` or ``--systems-overlay`` names one. Objects merge key by key, any
other value replaces, and ``null`` removes a key. ``config/systems.offline.json`` is the one the
project ships: on a machine where Docker Hub does not answer, ``scripts/services.sh`` builds
offline stand-ins under names of their own (``faasforge/base-python:3.11-*``, ...) and the tests
and ``make demo`` use this overlay to point the ``local`` platform at them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from faasforge.errors import ConfigError

__all__ = ["OVERLAY_ENV", "load_overlay", "merge_patch", "overlay_path"]

OVERLAY_ENV = "FAASFORGE_SYSTEMS_OVERLAY"


def overlay_path() -> Path | None:
    """``$FAASFORGE_SYSTEMS_OVERLAY`` (empty or unset: none)."""
    configured = os.environ.get(OVERLAY_ENV, "").strip()
    return Path(configured).expanduser() if configured else None


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: ``patch`` applied to ``target`` (neither is modified)."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def load_overlay(path: Path) -> dict[str, Any]:
    """The overlay's JSON object; ConfigError naming the file (and the setting) otherwise."""
    where = f"systems overlay {str(path)!r} ({OVERLAY_ENV} / --systems-overlay)"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{where} does not exist") from None
    except OSError as exc:
        raise ConfigError(f"{where} cannot be read: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{where} is not valid JSON: {exc.msg} at line {exc.lineno}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{where} must hold a JSON object")
    return data
