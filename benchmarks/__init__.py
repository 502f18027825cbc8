"""Package data: the sample benchmarks in SeBS layout."""
