// 140.todo-list: a to-do list in a NoSQL table, through SeBS's nosql interface.
//
// Event: {requests: [{op: "add"|"get"|"list"|"done"|"remove", list: id, item: id, ...}]}.
// Returns {result: [one answer per request]}: get -> the item, list -> the item ids, the open ones
// by priority and the done ones; the writes -> {}.
'use strict';

const nosql = require('./nosql');

const TABLE = 'todos';
const db = nosql.nosql.get_instance();

function summary(items) {
  const byId = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
  const open = items.filter((i) => !i.done)
    .sort((a, b) => b.priority - a.priority || byId(a.item_id, b.item_id));
  return {
    items: items.map((i) => i.item_id).sort(byId),
    open: open.map((i) => i.item_id),
    done: items.filter((i) => i.done).map((i) => i.item_id).sort(byId),
  };
}

async function answer(request) {
  const listKey = ['list_id', request.list];
  if (request.op === 'list') {
    return summary(await db.query(TABLE, listKey, 'item_id'));
  }
  const itemKey = ['item_id', request.item];
  switch (request.op) {
    case 'add':
      await db.insert(TABLE, listKey, itemKey, {
        title: request.title, done: false, priority: Number(request.priority ?? 1),
      });
      break;
    case 'get':
      return db.get(TABLE, listKey, itemKey);
    case 'done':
      await db.update(TABLE, listKey, itemKey, { done: true });
      break;
    case 'remove':
      await db.delete(TABLE, listKey, itemKey);
      break;
    default:
      throw new Error(`unknown op ${JSON.stringify(request.op)}; allowed: add, get, list, done, remove`);
  }
  return {};
}

exports.handler = async function (event) {
  const result = [];
  for (const request of event.requests) {
    result.push(await answer(request));
  }
  return { result };
};
