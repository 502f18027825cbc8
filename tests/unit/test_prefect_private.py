"""faasforge.prefect_private against the installed Prefect: each private name still exists and
still means what faasforge takes it for. A Prefect upgrade that changes one fails here first."""

from __future__ import annotations

import inspect
import threading

from faasforge.prefect_private import server_command, server_environment, slot_acquisition_error, swap_global_settings


def test_the_server_command_is_the_one_prefect_starts_its_ephemeral_server_with() -> None:
    from prefect.server.api.server import SubprocessASGIServer

    source = inspect.getsource(SubprocessASGIServer._run_uvicorn_command)
    command = server_command(4321)
    assert command[1:3] == ["-m", "uvicorn"] and command[command.index("--port") + 1] == "4321"
    flags = [part for part in command[3:] if part.startswith("--")]
    for flag in flags:
        assert f'"{flag}"' in source, f"Prefect no longer passes {flag}"
    for value in ("prefect.server.api.server:create_app", "127.0.0.1", "error", "on"):
        assert f'"{value}"' in source
    assert source.count('"--') == len(flags), "Prefect passes a flag faasforge does not"
    for key, value in server_environment().items():
        assert f'"{key}": "{value}"' in source


def test_the_app_dir_holds_the_prefect_package() -> None:
    import prefect

    command = server_command(1)
    app_dir = command[command.index("--app-dir") + 1]
    assert inspect.getfile(prefect).startswith(app_dir + "/prefect/")


def test_swapped_global_settings_reach_threads_started_without_a_context() -> None:
    from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

    url = "http://127.0.0.1:9/api"
    seen: list[object] = []

    def read() -> None:
        seen.append(get_current_settings().api.url)

    with temporary_settings(updates={PREFECT_API_URL: url}) as settings:
        plain = threading.Thread(target=read)  # a new thread starts without this context
        plain.start()
        plain.join()
        with swap_global_settings(settings):
            swapped = threading.Thread(target=read)
            swapped.start()
            swapped.join()
    assert seen[0] != url and seen[1] == url
    after = threading.Thread(target=read)
    after.start()
    after.join()
    assert seen[2] == seen[0]  # given back


def test_the_slot_error_is_what_a_strict_acquire_raises() -> None:
    import prefect.concurrency._asyncio as acquire_impl
    import prefect.concurrency._sync as sync_impl

    error = slot_acquisition_error()
    assert issubclass(error, Exception) and error.__name__ == "ConcurrencySlotAcquisitionError"
    # concurrency(..., strict=True) acquires through this function, which raises this very class
    acquire = acquire_impl.aacquire_concurrency_slots_with_lease
    assert vars(sync_impl)[acquire.__name__] is acquire
    assert "raise ConcurrencySlotAcquisitionError(" in inspect.getsource(acquire)
    assert acquire_impl.ConcurrencySlotAcquisitionError is error
