"""The shared flow parameters are defined once (SharedParams) and still appear one by one in each
flow's signature and Prefect parameter schema, in the same places as before."""

from __future__ import annotations

import inspect
from dataclasses import fields
from typing import Any

import pytest
from faasforge.flows.params import SharedParams, with_shared_params

SHARED = ["registry", "repository", "force", "tag_style", "benchmarks_dir", "systems_config", "registries_config"]


def _flow(
    benchmark: str, *, shared: SharedParams, smoke_event: dict[str, Any] | None = None, index: bool = False
) -> tuple[str, SharedParams, dict[str, Any] | None, bool]:
    """One image.

    Args:
        benchmark: the benchmark
        smoke_event: the flow's own description
    """
    return benchmark, shared, smoke_event, index


def test_the_shared_fields_take_the_place_of_shared_and_a_field_the_function_declares_keeps_its_own() -> None:
    wrapped = with_shared_params(_flow)
    params = inspect.signature(wrapped).parameters
    assert list(params) == ["benchmark", *SHARED, "smoke_event", "index"]
    assert params["tag_style"].default == "hash" and params["force"].default is False
    assert params["registry"].default is None
    assert wrapped.__name__ == "_flow" and wrapped.__module__ == __name__


def test_the_call_gathers_the_fields_into_one_shared_params() -> None:
    wrapped = with_shared_params(_flow)
    benchmark, shared, smoke, index = wrapped("010.sleep", registry="127.0.0.1:5000", force=True, smoke_event={"n": 1})
    assert benchmark == "010.sleep" and smoke == {"n": 1} and index is False
    assert shared == SharedParams(registry="127.0.0.1:5000", force=True, smoke_event={"n": 1})
    assert wrapped("x")[1] == SharedParams()


def test_each_shared_field_is_documented_in_the_args_section() -> None:
    doc = inspect.getdoc(with_shared_params(_flow)) or ""
    assert "    smoke_event: the flow's own description" in doc
    for f in fields(SharedParams):
        if f.name != "smoke_event":
            assert f"    {f.name}: {f.metadata['doc']}" in doc


def test_args_must_be_the_last_section_of_the_docstring() -> None:
    def late(*, shared: SharedParams) -> None:
        """Nothing.

        Args:
            shared: the shared parameters

        Returns:
            nothing
        """

    with pytest.raises(TypeError, match="needs Args: as the docstring's last section"):
        with_shared_params(late)


def test_the_flows_parameter_schemas_list_each_shared_parameter_typed_and_described() -> None:
    from faasforge.flows.build import build_image, build_images
    from prefect.utilities.callables import parameter_schema

    image = parameter_schema(build_image).model_dump()
    props = image["properties"]
    assert list(props) == [
        "benchmark", "language", "version", "architecture", "platform", *SHARED, "smoke_event", "index"
    ]
    assert [props[name]["position"] for name in props] == list(range(len(props)))
    assert set(image["required"]) == {"benchmark", "language", "version"}
    assert props["tag_style"]["enum"] == ["hash", "sebs"] and props["tag_style"]["default"] == "hash"
    assert props["registry"]["description"].startswith("registry host[:port][/namespace]")
    assert "natively" in props["architecture"]["description"]
    assert "platform's contract" in props["smoke_event"]["description"]

    matrix = parameter_schema(build_images).model_dump()["properties"]
    assert list(matrix)[:2 + len(SHARED)] == ["images", "matrix_file", *SHARED]
    assert matrix["force"]["type"] == "boolean" and matrix["force"]["default"] is False
