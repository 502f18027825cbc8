"""Package data: Dockerfile templates, dockerfiles/{platform}/{language}/Dockerfile.function."""
