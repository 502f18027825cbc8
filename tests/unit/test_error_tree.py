"""Every public exception faasforge defines sits in the one tree (faasforge/errors.py)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import faasforge
from faasforge.errors import FaasforgeError

SKIP = {"faasforge.__main__", "faasforge.demo"}  # entry points that run on import


def _modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(faasforge.__path__, "faasforge."):
        if info.name not in SKIP:
            names.append(info.name)
    return names


def test_every_public_exception_is_a_faasforge_error() -> None:
    outside = []
    for name in _modules():
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if (
                inspect.isclass(value) and issubclass(value, BaseException)
                and value.__module__ == name and not attr.startswith("_")
                and not issubclass(value, FaasforgeError)
            ):
                outside.append(f"{name}.{attr}")
    assert outside == []


def test_matrix_and_fan_out_failures_are_in_the_tree() -> None:
    from faasforge.flows.build import MatrixFailed as FromFlows

    from faasforge.errors import FanOutFailed, MatrixFailed

    assert FromFlows is MatrixFailed
    assert issubclass(FanOutFailed, FaasforgeError)
    failed = MatrixFailed("2 of 2 images failed", [], [(None, FanOutFailed("x")), (None, ValueError("y"))])
    assert failed.exit_code == 1
