"""Inputs for 140.todo-list in SeBS's generate_input convention, and the check of its output.

One NoSQL table, ``todos``: primary key ``list_id`` (one to-do list), secondary key ``item_id``.
generate_input seeds a list through ``nosql_func(benchmark, table, data, primary_key,
secondary_key)``; the requests then read (get, list), write (add), update (done) and delete (remove).
"""

import uuid

BENCHMARK = "140.todo-list"
TABLE = "todos"
SEED = {
    "milk": {"title": "Buy milk", "done": False, "priority": 2},
    "taxes": {"title": "File taxes", "done": False, "priority": 5},
    "plants": {"title": "Water the plants", "done": True, "priority": 1},
}


def allocate_nosql():
    return {TABLE: {"primary_key": "list_id", "secondary_key": "item_id"}}


def buckets_count():
    return (0, 0)


def generate_input(data_dir, size, benchmarks_bucket, input_paths, output_paths, upload_func, nosql_func):
    list_id = uuid.uuid4().hex
    for item_id, data in SEED.items():
        nosql_func(BENCHMARK, TABLE, dict(data), ("list_id", list_id), ("item_id", item_id))

    if size == "test":
        requests = [{"op": "get", "list": list_id, "item": "taxes"}]
    elif size == "small":
        requests = [{"op": "list", "list": list_id}]
    else:
        requests = [{"op": "add", "list": list_id, "item": f"new-{i}", "title": f"New task {i}", "priority": i}
                    for i in range(5)]
        requests += [
            {"op": "done", "list": list_id, "item": "milk"},
            {"op": "done", "list": list_id, "item": "new-3"},
            {"op": "remove", "list": list_id, "item": "plants"},
            {"op": "list", "list": list_id},
        ]
    return {"requests": requests, "size": size}


def expected_results(requests):
    """What the function must answer for ``requests`` on a freshly seeded list."""
    items = {key: dict(value) for key, value in SEED.items()}
    results = []
    for request in requests:
        op, list_id = request["op"], request["list"]
        if op == "add":
            items[request["item"]] = {"title": request["title"], "done": False, "priority": request["priority"]}
            results.append({})
        elif op == "get":
            results.append({**items[request["item"]], "list_id": list_id, "item_id": request["item"]})
        elif op == "done":
            items[request["item"]]["done"] = True
            results.append({})
        elif op == "remove":
            items.pop(request["item"], None)
            results.append({})
        elif op == "list":
            open_items = [k for k, v in items.items() if not v["done"]]
            open_items.sort(key=lambda k: (-items[k]["priority"], k))
            results.append({
                "items": sorted(items),
                "open": open_items,
                "done": sorted(k for k, v in items.items() if v["done"]),
            })
    return results


def validate_output(data_dir, input_config, output, language, storage=None):
    results = output.get("result")
    expected = expected_results(input_config["requests"])
    if not isinstance(results, list):
        return f"result is not a list: {results!r}"
    if len(results) != len(expected):
        return f"{len(results)} results for {len(expected)} requests"
    for index, want in enumerate(expected):
        got = results[index]
        if got != want:
            return f"request {index} ({input_config['requests'][index]['op']}): expected {want!r}, got {got!r}"
    return None
