"""bench/sebs_suite.py's own logic: which input data a row uses, and the servers it starts in
place of SeBS's experiments (real sockets on 127.0.0.1, no SeBS checkout needed)."""

from __future__ import annotations

import importlib.util
import socket
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def suite() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sebs_suite_under_test", ROOT / "bench" / "sebs_suite.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_real_files_are_used_and_only_absent_ones_get_stand_ins(suite: ModuleType, tmp_path: Path) -> None:
    data = tmp_path / "data"
    thumbs = data / "200.multimedia" / "210.thumbnailer"
    thumbs.mkdir(parents=True)
    real = thumbs / "6_astronomy-desktop-wallpaper-evening-1624438.jpg"
    real.write_bytes(b"real jpeg bytes")
    (thumbs / "0_other.jpg").write_bytes(b"another")
    (thumbs / "README.md").write_text("about the data")
    dna = data / "500.scientific" / "504.dna-visualisation"
    dna.mkdir(parents=True)
    (dna / "README.md").write_text("the fasta is elsewhere")
    scratch = tmp_path / "scratch"

    target, label = suite.prepare_data(data, "200.multimedia", "210.thumbnailer", scratch)
    assert label == "benchmarks-data: 0_other.jpg, 6_astronomy-desktop-wallpaper-evening-1624438.jpg"
    assert (target / real.name).read_bytes() == b"real jpeg bytes"  # the real file, not a stand-in
    assert not (target / "README.md").exists()
    assert target == scratch / "benchmarks-data" / "200.multimedia" / "210.thumbnailer"

    target, label = suite.prepare_data(data, "500.scientific", "504.dna-visualisation", scratch)
    assert label == "stand-in: bacillus_subtilis.fasta"
    assert (target / "bacillus_subtilis.fasta").read_text().startswith(">stand-in\n")
    assert sorted(p.name for p in dna.iterdir()) == ["README.md"]  # the data directory is untouched
    assert real.read_bytes() == b"real jpeg bytes"

    video = data / "200.multimedia" / "220.video-processing"
    video.mkdir(parents=True)
    (video / "README.md").write_text("city.mp4 is too large for the snapshot")
    assert suite.prepare_data(data, "200.multimedia", "220.video-processing", scratch)[1] == (
        "benchmarks-data: no input files")


def test_without_data_every_needed_file_is_a_stand_in(suite: ModuleType, tmp_path: Path) -> None:
    target, label = suite.prepare_data(None, "300.utilities", "311.compression", tmp_path)
    assert label == "stand-in: acmart-master"
    assert any((target / "acmart-master").rglob("*.tex"))
    assert suite.prepare_data(None, "000.microbenchmarks", "010.sleep", tmp_path)[1] == "none needed"


def test_default_data_needs_files_in_the_submodule(suite: ModuleType, tmp_path: Path) -> None:
    (tmp_path / "benchmarks-data").mkdir()
    assert suite.default_data(tmp_path) is None  # an uninitialised submodule is an empty directory
    (tmp_path / "benchmarks-data" / "README.md").write_text("x")
    assert suite.default_data(tmp_path) == tmp_path / "benchmarks-data"


def test_udp_echo_server_answers_as_the_ping_pong_experiment(suite: ModuleType) -> None:
    with suite.experiment_server("020.network-benchmark", repetitions=2) as (keys, check):
        assert keys["server-address"] == "127.0.0.1" and keys["repetitions"] == 2
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
            client.settimeout(5)
            for _ in range(3):  # the function sends repetitions + 1 datagrams
                client.sendto(b"request-id", (keys["server-address"], keys["server-port"]))
                assert client.recvfrom(1024)[0] == b"request-id"

        class Bucket:
            def __init__(self, body: bytes) -> None:
                self.body = body

            def get_object(self, Bucket: str, Key: str) -> dict[str, object]:  # noqa: N803 - boto3's names
                import io

                assert (Bucket, Key) == ("b", "out/results-x.csv")
                return {"Body": io.BytesIO(self.body)}

        good = Bucket(b"id,client_send,client_rcv\n1,0.1,0.2\n2,0.3,0.4\n")
        assert check({"result": "out/results-x.csv"}, good, "b") is None
        short = Bucket(b"id,client_send,client_rcv\n1,0.1,0.2\n")
        assert "1 rows, expected 2" in check({"result": "out/results-x.csv"}, short, "b")


def test_echo_check_fails_when_datagrams_are_missing(suite: ModuleType) -> None:
    with suite.experiment_server("020.network-benchmark", repetitions=5) as (_keys, check):
        assert check({"result": "k"}, None, "b") == "the server echoed 0 datagrams, expected 6"


def test_tcp_reply_server_answers_accepted(suite: ModuleType) -> None:
    with suite.experiment_server("040.server-reply", repetitions=1) as (keys, check):
        assert set(keys) == {"ip-address", "port"}
        assert check({"result": "accepted"}, None, "b") is not None  # no connection yet
        with socket.create_connection((keys["ip-address"], keys["port"]), timeout=5) as conn:
            assert conn.recv(1024) == b"accepted"
        assert check({"result": "accepted"}, None, "b") is None
        assert "'nope'" in str(check({"result": "nope"}, None, "b"))


def test_table_names_the_input_and_the_server_check(suite: ModuleType) -> None:
    rows = [
        {"benchmark": "020.network-benchmark", "language": "python", "arch": "x64", "image_uri": "i",
         "answers": True, "validate": "none", "server": "server-address, server-port, repetitions",
         "server_check": "fail: the server echoed 3 datagrams, expected 1001"},
        {"benchmark": "210.thumbnailer", "language": "python", "arch": "arm64", "image_uri": "i",
         "answers": True, "validate": "pass", "data": "benchmarks-data: 10 files"},
    ]
    table = suite.render(rows).splitlines()
    assert table[0].count("|") == 10 and "| input |" in table[0]
    assert table[2] == ("| 020.network-benchmark | python | x64 | yes | - | yes | none; server check fail | "
                        "suite's server (server-address, server-port, repetitions) | "
                        "the server echoed 3 datagrams, expected 1001 |")
    assert table[3] == "| 210.thumbnailer | python | arm64 | yes | - | yes | pass | benchmarks-data: 10 files |  |"


def test_table_merges_architectures_only_when_every_cell_agrees(suite: ModuleType) -> None:
    base = {"benchmark": "010.sleep", "language": "python", "image_uri": "i", "answers": True, "validate": "pass"}
    rows = [{**base, "arch": "x64", "size_mb": 146.6}, {**base, "arch": "arm64", "size_mb": 170.84},
            {**base, "language": "nodejs", "arch": "x64"},
            {**base, "language": "nodejs", "arch": "arm64", "validate": "fail: differs"}]
    table = suite.render(rows, merge_archs=True).splitlines()[2:]
    assert table == ["| 010.sleep | python | x64, arm64 | yes | 147 / 171 | yes | pass | - |  |",
                     "| 010.sleep | nodejs | x64 | yes | - | yes | pass | - |  |",
                     "| 010.sleep | nodejs | arm64 | yes | - | yes | fail | - | differs |"]
    assert len(suite.render(rows).splitlines()) == 6  # without merging: one row per image


def test_a_failed_install_step_is_reported_by_the_installers_error(suite: ModuleType, tmp_path: Path) -> None:
    log = tmp_path / "build.log"
    log.write_text("Step 11/17 : RUN pip install\n    Collecting torch==2.0.0+cpu\n"
                   "    ERROR: Could not install packages due to an OSError: download.pytorch.org\n"
                   "    The command '/bin/sh -c pip install' returned a non-zero code: 1\n")
    error = f"faasforge: error: build of x failed: The command '/bin/sh -c pip' returned a non-zero code: 1 (log: {log})"
    cause = suite.build_cause(error)
    assert cause == "ERROR: Could not install packages due to an OSError: download.pytorch.org"
    assert suite.why_not({"build_error": error, "build_cause": cause}) == cause
    assert suite.build_cause("faasforge: error: init script 'python/init.sh' failed (log: /nonexistent)") is None


def test_an_error_reply_names_its_status(suite: ModuleType) -> None:
    row = {"status": 500, "call_error": "Error: getaddrinfo ENOTFOUND upload.wikimedia.org"}
    assert suite.why_not(row) == "HTTP 500: Error: getaddrinfo ENOTFOUND upload.wikimedia.org"
    assert suite.why_not({"call_error": "ReadTimeout()"}) == "ReadTimeout()"  # no reply at all


def test_table_of_runs_keeps_the_size_of_an_image_a_later_run_found_in_the_registry(
        suite: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    row = {"benchmark": "010.sleep", "language": "python", "arch": "x64", "image_uri": "r/i:t1",
           "answers": True, "validate": "pass"}
    (tmp_path / "a.json").write_text(json.dumps([{**row, "size_mb": 146.6}]))
    (tmp_path / "b.json").write_text(json.dumps([{**row, "size_mb": None}]))  # skipped: same tag
    (tmp_path / "c.json").write_text(json.dumps([{**row, "image_uri": "r/i:t2", "size_mb": None,
                                                  "validate": "fail: other"}]))
    assert suite.main(["checkout", "--table", str(tmp_path / "a.json"), str(tmp_path / "b.json")]) == 0
    assert "| 010.sleep | python | x64 | yes | 147 | yes | pass | - |  |" in capsys.readouterr().out
    suite.main(["checkout", "--table", str(tmp_path / "a.json"), str(tmp_path / "c.json")])
    assert "| 010.sleep | python | x64 | yes | - | yes | fail | - | other |" in capsys.readouterr().out
