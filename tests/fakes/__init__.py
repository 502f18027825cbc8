"""Small, real-on-the-wire stand-ins for cloud registry APIs (tests only).

Each fake speaks the HTTP API its SDK expects and answers existence questions from a real
distribution registry (``docker-registry``), which also receives the real pushes.
"""
