"""Inputs for 010.sleep per size, in SeBS's generate_input convention."""

size_generators = {"test": 1, "small": 100, "large": 1000}


def buckets_count():
    return (0, 0)


def generate_input(
    data_dir, size, benchmarks_bucket, input_paths, output_paths, upload_func, nosql_func
):
    return {"sleep": size_generators[size]}
