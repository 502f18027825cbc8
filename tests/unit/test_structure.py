"""The shape of the code, read from its syntax trees (nothing is imported or run):

- imports point one way: cli → flows → tasks → core (faasforge/*) and registries; the core
  imports no adapter, task, flow or Prefect module (localserver.py and prefect_private.py, which
  start and speak to Prefect's server, aside);
- Prefect's private names are used in faasforge/prefect_private.py only;
- no function in the product code is longer than 60 lines.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

import pytest

from tests.conftest import ROOT

MAX_FUNCTION_LINES = 60
PRODUCT_DIRS = ("faasforge", "flows", "tasks", "registries")
TOP = {"faasforge/cli.py", "faasforge/__main__.py", "faasforge/demo.py"}  # commands: above the flows
PREFECT_IN_CORE = {"faasforge/localserver.py", "faasforge/prefect_private.py"}
PRIVATE_PREFECT = {"faasforge/prefect_private.py"}
# layer → the faasforge packages it must not import
FORBIDDEN = {
    "core": ("faasforge.cli", "faasforge.flows", "faasforge.tasks", "faasforge.registries"),
    "registries": ("faasforge.cli", "faasforge.flows", "faasforge.tasks"),
    "tasks": ("faasforge.cli", "faasforge.flows"),
    "flows": ("faasforge.cli",),
    "cli": (),
}


def product_files() -> Iterator[tuple[str, ast.Module]]:
    for folder in PRODUCT_DIRS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(), str(path))


def layer(relpath: str) -> str:
    if relpath in TOP:
        return "cli"
    folder = relpath.split("/", 1)[0]
    return "core" if folder == "faasforge" else folder


def imported_modules(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """Every module an import statement names, anywhere (functions and TYPE_CHECKING blocks too);
    ``from a import b`` yields ``a.b`` as well, since b may be a module."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_the_tree_has_every_layer() -> None:  # so the checks below read real files
    layers = {layer(relpath) for relpath, _ in product_files()}
    assert layers == set(FORBIDDEN)


def test_imports_point_one_way() -> None:
    wrong = []
    for relpath, tree in product_files():
        forbidden = FORBIDDEN[layer(relpath)]
        for line, module in imported_modules(tree):
            bare = module.split(".")[0] in ("flows", "tasks", "registries")
            if bare or any(_within(module, package) for package in forbidden):
                wrong.append(f"{relpath}:{line} imports {module}")
    assert not wrong, "\n".join(wrong)


def test_the_core_imports_no_prefect_but_where_it_starts_the_server() -> None:
    wrong = [
        f"{relpath}:{line} imports {module}"
        for relpath, tree in product_files()
        if layer(relpath) == "core" and relpath not in PREFECT_IN_CORE
        for line, module in imported_modules(tree)
        if _within(module, "prefect")
    ]
    assert not wrong, "\n".join(wrong)


def _private_prefect_uses(tree: ast.Module) -> Iterator[tuple[int, str]]:
    for line, module in imported_modules(tree):
        if _within(module, "prefect") and any(part.startswith("_") for part in module.split(".")):
            yield line, module
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            root = node.value
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id == "prefect":
                yield node.lineno, f"prefect...{node.attr}"


def test_private_prefect_names_are_used_in_one_module_only() -> None:
    seen = {relpath: list(_private_prefect_uses(tree)) for relpath, tree in product_files()}
    wrong = [f"{relpath}:{line} uses {name}" for relpath, uses in seen.items() if relpath not in PRIVATE_PREFECT
             for line, name in uses]
    assert not wrong, "\n".join(wrong)
    assert seen["faasforge/prefect_private.py"], "the check must see the names prefect_private uses"


@pytest.mark.parametrize("folder", PRODUCT_DIRS)
def test_no_function_is_longer_than_60_lines(folder: str) -> None:
    long = []
    for relpath, tree in product_files():
        if not relpath.startswith(folder + "/"):
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{relpath}:{node.lineno} {node.name}() has {lines} lines")
    assert not long, "\n".join(long)


def test_the_import_check_sees_imports_in_functions_and_type_checking_blocks() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from faasforge.registries.base import Registry\n"
        "def f():\n    import faasforge.flows.build\n"
    )
    modules = {m for _, m in imported_modules(tree)}
    assert {"faasforge.registries.base", "faasforge.flows.build"} <= modules
