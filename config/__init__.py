"""Package data: systems.json and the example matrix and registries files."""
