"""Defaults that several layers name, kept here once (and light: the CLI's --help reads them)."""

DEFAULT_CONCURRENCY = 2  # images at once in a matrix (and, unless configured, its builds per engine)
