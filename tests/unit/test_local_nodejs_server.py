"""The local Node.js wrapper's server, run with the host's Node.js: an error thrown outside the
handler's promise (SeBS's 120.uploader Node.js does so on a failed download) answers that call
with a 500 and leaves the server serving."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from faasforge.ports import free_port
from faasforge.resources import wrappers_dir
from tests.conftest import unavailable

FUNCTION = """
exports.handler = async function (event) {
  if (event.fail === 'outside') {
    return new Promise(() => { setTimeout(() => { throw new Error('thrown in a callback'); }, 10); });
  }
  return { echo: event.value };
};
"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    node = shutil.which("node")
    if node is None:
        unavailable("node is not installed")
    shutil.copy(wrappers_dir() / "local" / "nodejs" / "handler.js", tmp_path / "handler.js")
    (tmp_path / "function").mkdir()
    (tmp_path / "function" / "function.js").write_text(FUNCTION)
    port = free_port()
    proc = subprocess.Popen([node, str(tmp_path / "handler.js")], env={"PORT": str(port), "HOST": "127.0.0.1"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{url}/health", timeout=1, proxies={"http": "", "https": ""})
                break
            except requests.ConnectionError:
                assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
                assert time.monotonic() < deadline, "the server did not answer within 30 s"
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_an_error_outside_the_handler_promise_is_a_500_and_the_server_keeps_serving(server: str) -> None:
    session = requests.Session()
    session.trust_env = False
    failed = session.post(server, data=json.dumps({"fail": "outside"}), timeout=30)
    assert failed.status_code == 500
    assert failed.json()["error"] == "Error: thrown in a callback"
    ok = session.post(server, data=json.dumps({"value": 7}), timeout=30)
    assert ok.status_code == 200
    assert ok.json()["result"]["output"] == {"echo": 7}
