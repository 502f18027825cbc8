"""One module per scenario of the bench; each has ``run(ctx) -> dict`` (see bench/run.py)."""
