"""The storage/nosql helper tests use servers and packages on 127.0.0.1, shared with
tests/runtime/ and therefore defined once in tests/conftest.py:

- ``moto_storage``: moto's S3 and DynamoDB server;
- ``node_modules``: every platform's Node.js ``deployment`` packages (and module_packages) of
  config/systems.json, installed once per pin set with npm into pytest's cache;
- ``gcs_emulator``: gcp-storage-emulator (Python, in memory) for Cloud Storage;
- ``azurite``: Microsoft's Azurite Blob service (npm, cached the same way, in memory).
"""
