"""Inputs for 215.thumbnail in SeBS's generate_input convention, and the check of its output.

The input images are the ``*.jpg`` files of ``data_dir``; without any (no data directory, or an
empty one) a synthetic photo is made with Pillow, so the benchmark needs nothing from the internet.
"""

import glob
import os
import tempfile

# Bounding box of the thumbnail per size.
size_generators = {"test": (64, 64), "small": (200, 200), "large": (640, 480)}
SYNTHETIC = "faasforge-synthetic.jpg"


def buckets_count():
    return (1, 1)


def _synthetic_photo(path, width=1024, height=768):
    from PIL import Image

    vertical = Image.linear_gradient("L").resize((width, height))
    horizontal = Image.linear_gradient("L").rotate(90).resize((width, height))
    image = Image.merge("RGB", (horizontal, vertical, Image.blend(horizontal, vertical, 0.5)))
    image.save(path, format="JPEG", quality=90)


def generate_input(data_dir, size, benchmarks_bucket, input_paths, output_paths, upload_func, nosql_func):
    images = sorted(glob.glob(os.path.join(data_dir, "*.jpg"))) if data_dir else []
    if images:
        for path in images:
            upload_func(0, os.path.basename(path), path)
        key = os.path.basename(images[0])
    else:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, SYNTHETIC)
            _synthetic_photo(path)
            upload_func(0, SYNTHETIC, path)
        key = SYNTHETIC
    width, height = size_generators[size]
    return {
        "object": {"key": key, "width": width, "height": height},
        "bucket": {"bucket": benchmarks_bucket, "input": input_paths[0], "output": output_paths[0]},
    }


def validate_output(data_dir, input_config, output, language, storage=None):
    """None when the output names a thumbnail (and, given storage, that object is a JPEG within the box)."""
    result = output.get("result", {})
    key = result.get("key")
    if not isinstance(key, str) or not key:
        return f"output names no thumbnail key: {result!r}"
    expected_prefix = input_config["bucket"]["output"].rstrip("/") + "/"
    if not key.startswith(expected_prefix):
        return f"thumbnail key {key!r} is not under the output prefix {expected_prefix!r}"
    if storage is None:
        return None

    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "thumbnail.jpg")
        storage.download(input_config["bucket"]["bucket"], key, path)
        with Image.open(path) as image:
            if image.format != "JPEG":
                return f"thumbnail {key!r} is {image.format}, not JPEG"
            width, height = image.size
    box = (input_config["object"]["width"], input_config["object"]["height"])
    if not (0 < width <= box[0] and 0 < height <= box[1]):
        return f"thumbnail is {width}x{height}, outside the {box[0]}x{box[1]} box"
    return None
