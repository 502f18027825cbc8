"""110.dynamic-html: render an HTML page with a greeting and random numbers (jinja2).

Event: ``username`` (default "anonymous"), ``random_len`` (default 10), optional ``seed`` for
reproducible numbers. Returns the page plus the inputs it used.
"""

import random
from datetime import datetime
from os import path

from jinja2 import Template

SCRIPT_DIR = path.abspath(path.dirname(__file__))
TEMPLATE_PATH = path.join(SCRIPT_DIR, "templates", "template.html")
MAX_NUMBERS = 1000000


def handler(event):
    name = str(event.get("username", "anonymous"))
    size = event.get("random_len", 10)
    if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= MAX_NUMBERS:
        raise ValueError(f"'random_len' must be an integer in [0, {MAX_NUMBERS}], got {size!r}")
    seed = event.get("seed")
    rng = random.Random(seed)
    random_numbers = rng.sample(range(0, MAX_NUMBERS), size)
    cur_time = datetime.now()
    with open(TEMPLATE_PATH, encoding="utf-8") as handle:
        template = Template(handle.read())
    html = template.render(username=name, cur_time=cur_time, random_numbers=random_numbers)
    return {
        "result": html,
        "username": name,
        "random_len": size,
        "seed": seed,
        "numbers_sum": sum(random_numbers),
    }
