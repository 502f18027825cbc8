"""010.sleep: sleep for event["sleep"] seconds (default 0) and report it."""

from time import sleep


def handler(event):
    seconds = event.get("sleep", 0) or 0
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise ValueError(f"'sleep' must be a number of seconds, got {seconds!r}")
    if seconds < 0:
        raise ValueError(f"'sleep' must not be negative, got {seconds!r}")
    sleep(seconds)
    return {"result": seconds}
