"""215.thumbnail: read an image from object storage, shrink it to fit a box, store a JPEG back.

Event: ``{"bucket": {"bucket", "input", "output"}, "object": {"key", "width", "height"}}``.
Returns ``{"result": {"bucket", "key"}, "measurement": {...}}``; ``key`` is the stored thumbnail.
"""

import io
import os
import time

from PIL import Image

from . import storage

client = storage.storage.get_instance()


def make_thumbnail(data: bytes, width: int, height: int) -> tuple[bytes, tuple[int, int]]:
    with Image.open(io.BytesIO(data)) as image:
        image = image.convert("RGB")  # JPEG holds no alpha channel or palette
        image.thumbnail((width, height))
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=85)
        return out.getvalue(), image.size


def handler(event):
    bucket = event["bucket"]["bucket"]
    key = event["object"]["key"]
    width, height = int(event["object"]["width"]), int(event["object"]["height"])
    stem = os.path.splitext(os.path.basename(key))[0]

    started = time.perf_counter()
    original = client.download_stream(bucket, f"{event['bucket']['input'].rstrip('/')}/{key}")
    downloaded = time.perf_counter()
    thumbnail, size = make_thumbnail(original, width, height)
    processed = time.perf_counter()
    stored = client.upload_stream(bucket, f"{event['bucket']['output'].rstrip('/')}/{stem}.jpg", io.BytesIO(thumbnail))
    uploaded = time.perf_counter()

    return {
        "result": {"bucket": bucket, "key": stored},
        "measurement": {
            "download_time": (downloaded - started) * 1e6,
            "download_size": len(original),
            "compute_time": (processed - downloaded) * 1e6,
            "upload_time": (uploaded - processed) * 1e6,
            "upload_size": len(thumbnail),
            "width": size[0],
            "height": size[1],
        },
    }
