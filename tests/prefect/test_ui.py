"""The Prefect UI in a real browser (Debian's headless Chromium, driven by Playwright): a person
triggers build-image from the deployment's page with a custom run, and sees it finish."""

from __future__ import annotations

import json
import re
import time
from typing import Any
from uuid import UUID

import pytest

from tests.helpers import registry_digest
from tests.prefect.conftest import ARTIFACTS, TIMINGS, Stack
from tests.prefect.support import image_architecture

pytestmark = [pytest.mark.prefect, pytest.mark.slow, pytest.mark.docker]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
RUN_PAGE = re.compile(r".*/runs/flow-run/([0-9a-f-]{36}).*")


def choose(page: Any, container: Any, value: str) -> None:
    """Pick ``value`` in one of the UI's select boxes (they open from the keyboard)."""
    container.locator("button.p-select-button__control").first.focus()
    page.keyboard.press("ArrowDown")
    page.get_by_role("option", name=value, exact=True).click()


def open_started_run(page: Any, client: Any, deployment_id: UUID, repository: str) -> UUID:
    """Follow the "View run" toast to the new run; if the toast is gone, find the run by API."""
    try:
        page.get_by_role("button", name="View run").first.click(force=True, timeout=10_000)
        page.wait_for_url(RUN_PAGE, timeout=15_000)
    except Exception:  # noqa: BLE001 - the toast disappears after a few seconds
        from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

        runs = client.read_flow_runs(deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])))
        [run] = [r for r in runs if r.parameters.get("repository") == repository]
        page.goto(f"{page.url.split('/deployments')[0]}/runs/flow-run/{run.id}", wait_until="networkidle")
    match = RUN_PAGE.match(page.url)
    assert match, page.url
    return UUID(match.group(1))


def test_custom_run_from_the_deployment_page_builds_the_image(
    deployed: dict[str, Any], prefect_stack: Stack, prefect_api: Any, repository: str
) -> None:
    prefect_stack.script("ensure-browser", timeout=900)
    from playwright.sync_api import sync_playwright

    deployment = prefect_api.read_deployment_by_name("build-image/build-image")
    ARTIFACTS.mkdir(exist_ok=True)
    run_png, table_png = ARTIFACTS / "ui-build-image-run.png", ARTIFACTS / "ui-build-image-table.png"
    for png in (run_png, table_png):
        png.unlink(missing_ok=True)
    started = time.monotonic()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1920, "height": 1000})
            page.set_default_timeout(60_000)
            page.goto(f"{prefect_stack.ui_url}/deployments/deployment/{deployment.id}", wait_until="networkidle")
            page.get_by_role("button", name="Run", exact=True).click()
            page.get_by_text("Custom run", exact=True).click()
            page.wait_for_url(re.compile(r".*/deployments/deployment/.*/run.*"))

            def field(label: str) -> Any:
                return page.locator(".schema-form-property").filter(has=page.get_by_text(label, exact=True))

            field("benchmark").locator("textarea, input").first.fill("110.dynamic-html")
            choose(page, field("language"), "python")
            field("version").locator("textarea, input").first.fill("3.11")
            choose(page, field("architecture (Optional)"), "arm64")
            choose(page, field("platform (Optional)"), "local")
            repo = field("repository (Optional)")
            repo.get_by_role("button", name="str", exact=True).click()
            repo.locator("textarea, input").first.fill(repository)
            page.get_by_role("button", name="Additional Options").click()
            choose(page, page.locator(".flow-run-create-form-work-queue-combobox"), "arm64")
            page.get_by_role("button", name="Submit", exact=True).click()

            run_id = open_started_run(page, prefect_api, deployment.id, repository)
            page.get_by_text("Completed", exact=True).first.wait_for(timeout=420_000)
            page.get_by_text("build 110.dynamic-html python-3.11 arm64").first.wait_for()
            page.reload(wait_until="networkidle")  # the header's task count is read once, on load
            page.get_by_text(re.compile(r"\d+ Task runs?")).first.wait_for()
            page.wait_for_timeout(2000)  # the run graph is a canvas drawn after the data arrives
            page.screenshot(path=str(run_png))

            run = prefect_api.read_flow_run(run_id)
            assert run.state is not None and run.state.is_completed()
            assert run.name == "build 110.dynamic-html python-3.11 arm64"
            assert run.work_queue_name == "arm64"
            assert {k: run.parameters[k] for k in ("benchmark", "language", "version", "architecture", "repository")} == {
                "benchmark": "110.dynamic-html", "language": "python", "version": "3.11",
                "architecture": "arm64", "repository": repository,
            }
            record = run.state.result(_sync=True)  # Playwright runs an event loop in this thread
            assert record.rebuilt and record.digest == registry_digest(record.image_uri)  # manifest HEAD
            assert image_architecture(record.image_uri) == "arm64"

            from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

            [table] = [
                a for a in prefect_api.read_artifacts(
                    artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]))
                ) if a.key == "faasforge-image"
            ]
            rows = table.data if isinstance(table.data, list) else json.loads(table.data)
            assert rows[0]["image"] == record.image_uri and rows[0]["rebuilt"] == "rebuilt"
            page.goto(f"{prefect_stack.ui_url}/artifacts/artifact/{table.id}", wait_until="networkidle")
            shown = page.locator("table").first
            shown.wait_for()
            assert record.image_uri in shown.inner_text()
            page.screenshot(path=str(table_png))
        finally:
            browser.close()
    TIMINGS["UI custom run of build-image, 110.dynamic-html python arm64 (s)"] = round(time.monotonic() - started, 1)
    assert run_png.stat().st_size > 10_000 and table_png.stat().st_size > 10_000
