"""910.payload (bench only): report the size of the image's random payload.

The bench copies this benchmark into variants (911.payload-01, ...) that differ only in
``payload.txt``, so every variant is a distinct image with its own incompressible layer.
"""

import os

PAYLOAD = "/opt/payload.bin"


def handler(event):
    return {"payload_bytes": os.path.getsize(PAYLOAD) if os.path.exists(PAYLOAD) else 0}
