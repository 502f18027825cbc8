"""faasforge.lambda_api: Lambda's side of the Runtime API (2018-06-01), driven by a runtime
written here against the documented routes (the real clients are exercised in tests/runtime)."""

from __future__ import annotations

import json
import threading

import pytest
import requests

from faasforge.lambda_api import RuntimeApi

PREFIX = "/2018-06-01/runtime"


def runtime_loop(api: RuntimeApi, answer: str, stop: threading.Event) -> None:
    base = f"http://{api.address}{PREFIX}"
    with requests.Session() as session:
        session.trust_env = False
        while not stop.is_set():
            event = session.get(f"{base}/invocation/next", timeout=10)
            if event.status_code != 200:
                return
            request_id = event.headers["Lambda-Runtime-Aws-Request-Id"]
            assert int(event.headers["Lambda-Runtime-Deadline-Ms"]) > 0
            assert event.headers["Lambda-Runtime-Invoked-Function-Arn"].startswith("arn:aws:lambda:")
            assert event.headers["Lambda-Runtime-Trace-Id"].startswith("Root=1-")
            payload = event.json()
            if answer == "response":
                reply = session.post(f"{base}/invocation/{request_id}/response", json={"echo": payload}, timeout=10)
            else:
                reply = session.post(
                    f"{base}/invocation/{request_id}/error", timeout=10,
                    json={"errorMessage": "boom", "errorType": "ValueError"},
                    headers={"Lambda-Runtime-Function-Error-Type": "Unhandled"},
                )
            assert (reply.status_code, reply.json()) == (202, {"status": "OK"})


@pytest.mark.parametrize("answer", ["response", "error"])
def test_events_go_out_on_next_and_answers_come_back(answer: str) -> None:
    stop = threading.Event()
    with RuntimeApi() as api:
        thread = threading.Thread(target=runtime_loop, args=(api, answer, stop), daemon=True)
        thread.start()
        assert api.wait_polled(10) is None
        outcomes = [api.invoke(json.dumps({"n": n}).encode(), timeout=10) for n in range(3)]
        stop.set()
    thread.join(10)
    assert [o.kind for o in outcomes] == [answer] * 3
    assert len({o.request_id for o in outcomes}) == 3
    if answer == "response":
        assert [json.loads(o.body) for o in outcomes] == [{"echo": {"n": n}} for n in range(3)]
    else:
        assert all(json.loads(o.body)["errorType"] == "ValueError" and o.error_type == "Unhandled" for o in outcomes)


def test_init_error_ends_the_wait_and_every_invoke() -> None:
    with RuntimeApi() as api:
        r = requests.post(f"http://{api.address}{PREFIX}/init/error", json={"errorMessage": "no module"}, timeout=5)
        assert r.status_code == 202
        failed = api.wait_polled(5)
        assert failed is not None and failed.kind == "init_error" and b"no module" in failed.body
        assert api.invoke(b"{}", timeout=5).kind == "init_error"


def test_unknown_request_id_is_400_and_an_unanswered_event_times_out() -> None:
    with RuntimeApi() as api:
        base = f"http://{api.address}{PREFIX}"
        r = requests.post(f"{base}/invocation/not-a-request/response", json={}, timeout=5)
        assert r.status_code == 400 and r.json()["errorType"] == "InvalidRequestID"
        assert requests.get(f"{base}/invocation/elsewhere", timeout=5).status_code == 404
        outcome = api.invoke(b"{}", timeout=0.3)  # nobody polls
        assert outcome.kind == "timeout" and outcome.body == b""
        with pytest.raises(TimeoutError):
            api.wait_polled(0.2)
