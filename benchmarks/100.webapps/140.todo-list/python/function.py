"""140.todo-list: a to-do list in a NoSQL table, through SeBS's nosql interface.

Event: ``{"requests": [{"op": "add"|"get"|"list"|"done"|"remove", "list": id, "item": id, ...}]}``.
Returns ``{"result": [one answer per request]}``: ``get`` → the item, ``list`` → the item ids, the
open ones by priority and the done ones; the writes → ``{}``.
"""

from . import nosql

TABLE = "todos"
db = nosql.nosql.get_instance()


def summary(items):
    open_items = [i for i in items if not i["done"]]
    open_items.sort(key=lambda i: (-i["priority"], i["item_id"]))
    return {
        "items": sorted(i["item_id"] for i in items),
        "open": [i["item_id"] for i in open_items],
        "done": sorted(i["item_id"] for i in items if i["done"]),
    }


def answer(request):
    op = request["op"]
    list_key = ("list_id", request["list"])
    if op == "list":
        return summary(db.query(TABLE, list_key, "item_id"))
    item_key = ("item_id", request["item"])
    if op == "add":
        db.insert(TABLE, list_key, item_key,
                  {"title": request["title"], "done": False, "priority": int(request.get("priority", 1))})
    elif op == "get":
        return db.get(TABLE, list_key, item_key)
    elif op == "done":
        db.update(TABLE, list_key, item_key, {"done": True})
    elif op == "remove":
        db.delete(TABLE, list_key, item_key)
    else:
        raise ValueError(f"unknown op {op!r}; allowed: add, get, list, done, remove")
    return {}


def handler(event):
    return {"result": [answer(request) for request in event["requests"]]}
