"""Package data: the platform glue, wrappers/{platform}/{language}/."""
