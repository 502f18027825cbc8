"""920.deps (bench only): a small computation over heavy dependencies.

The bench edits one line of this file (EDIT_MARKER) to measure a code-only rebuild.
"""

import numpy as np
import pandas as pd
from scipy import stats

EDIT_MARKER = "edit-0"


def handler(event):
    size = int(event.get("size", 1000))
    rng = np.random.default_rng(int(event.get("seed", 0)))
    frame = pd.DataFrame({"x": rng.normal(size=size)})
    result = stats.describe(frame["x"].to_numpy())
    return {"mean": float(result.mean), "variance": float(result.variance), "marker": EDIT_MARKER}
