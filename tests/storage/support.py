"""Loading faasforge's own wrapper helpers the way a function image holds them."""

from __future__ import annotations

import importlib.util
import os
import re
import uuid
from pathlib import Path
from types import ModuleType

from tests.conftest import ROOT

WRAPPERS = ROOT / "wrappers"
PLATFORMS = ("local", "aws", "gcp", "azure", "openwhisk")


def helper_path(platform: str, language: str, name: str) -> Path:
    return WRAPPERS / platform / language / name


def load_python_helper(platform: str, name: str) -> ModuleType:
    """A fresh copy of ``wrappers/{platform}/python/{name}.py`` (its own singleton)."""
    path = helper_path(platform, "python", f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"faasforge_wrapper_{platform}_{name}_{uuid.uuid4().hex[:6]}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def is_unique_name_of(key: str, original: str) -> bool:
    """True when ``key`` is ``original`` with SeBS's 8-hex suffix before the extension."""
    base, extension = os.path.splitext(original)
    return re.fullmatch(re.escape(base) + r"\.[0-9a-f]{8}" + re.escape(extension), key) is not None
