// faasforge wrapper for the `local` platform: serve function/function.js over HTTP.
//
// Node's http module only. POST / with a JSON object body awaits `handler(event)` from
// function/function.js (sync or async) and answers {begin, end, compute_time, request_id,
// is_cold, container_id, result: {output}}. GET /health answers `ok`. Listens on $PORT (9000).
'use strict';

const http = require('http');
const path = require('path');
const crypto = require('crypto');

const CONTAINER_ID = crypto.randomBytes(4).toString('hex');
const MAX_BODY = parseInt(process.env.FAASFORGE_MAX_BODY || String(64 * 1024 * 1024), 10);
let cold = true;
let fn = null;

function newRequestId() {
  return typeof crypto.randomUUID === 'function'
    ? crypto.randomUUID()
    : crypto.randomBytes(16).toString('hex');
}

function loadFunction() {
  if (fn === null) {
    fn = require(path.join(__dirname, 'function', 'function.js'));
    if (typeof fn.handler !== 'function') {
      const loaded = fn;
      fn = null;
      throw new TypeError('function/function.js does not export handler(event) ('
        + Object.keys(loaded).join(', ') + ')');
    }
  }
  return fn;
}

async function invoke(event, requestId) {
  const isCold = cold;
  cold = false;
  if (!('request-id' in event)) event['request-id'] = requestId;
  if (!('income-timestamp' in event)) event['income-timestamp'] = Date.now() / 1000;
  const begin = Date.now() / 1000;
  const start = process.hrtime.bigint();
  const output = await loadFunction().handler(event);
  const computeTime = Number(process.hrtime.bigint() - start) / 1e3;
  const end = Date.now() / 1000;
  return {
    begin: begin,
    end: end,
    compute_time: computeTime,
    results_time: 0,
    request_id: requestId,
    is_cold: isCold,
    container_id: CONTAINER_ID,
    result: { output: output === undefined ? null : output },
  };
}

function send(res, status, body, contentType) {
  if (res.headersSent) return; // already answered (an error outside the handler's promise)
  const buffer = Buffer.from(body, 'utf-8');
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': buffer.length });
  res.end(buffer);
}

function sendJson(res, status, payload) {
  send(res, status, JSON.stringify(payload), 'application/json');
}

function errorReply(err, requestId) {
  return {
    error: `${err && err.name ? err.name : 'Error'}: ${err && err.message ? err.message : String(err)}`,
    type: err && err.name ? err.name : typeof err,
    traceback: err && err.stack ? err.stack : null,
    request_id: requestId,
    container_id: CONTAINER_ID,
  };
}

// Calls in flight, so that an error thrown outside the handler's promise (a callback, a stream
// event) answers them with a 500 instead of killing the server.
const pending = new Map();

function failPending(err) {
  console.error(err);
  for (const [requestId, res] of pending) sendJson(res, 500, errorReply(err, requestId));
  pending.clear();
}

const server = http.createServer((req, res) => {
  const urlPath = req.url.split('?', 1)[0];
  if (req.method === 'GET' || req.method === 'HEAD') {
    if (urlPath === '/health' || urlPath === '/healthz') return send(res, 200, 'ok', 'text/plain; charset=utf-8');
    if (urlPath === '/') return sendJson(res, 200, { status: 'ok', usage: 'POST / with a JSON event' });
    return sendJson(res, 404, { error: 'no route ' + urlPath });
  }
  if (req.method !== 'POST') return sendJson(res, 405, { error: 'method not allowed' });
  if (!['/', '/invoke', '/run'].includes(urlPath)) return sendJson(res, 404, { error: 'no route ' + urlPath });

  const requestId = req.headers['x-request-id'] || newRequestId();
  const chunks = [];
  let size = 0;
  let tooLarge = false;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > MAX_BODY) tooLarge = true;
    else chunks.push(chunk);
  });
  req.on('end', async () => {
    if (tooLarge) return sendJson(res, 413, { error: `body larger than ${MAX_BODY} bytes`, request_id: requestId });
    const raw = Buffer.concat(chunks).toString('utf-8');
    let event;
    try {
      event = raw.trim() ? JSON.parse(raw) : {};
    } catch (err) {
      return sendJson(res, 400, { error: 'body is not valid JSON: ' + err.message, request_id: requestId });
    }
    if (event === null || typeof event !== 'object' || Array.isArray(event)) {
      return sendJson(res, 400, { error: 'the event must be a JSON object', request_id: requestId });
    }
    pending.set(requestId, res);
    try {
      const record = await invoke(event, requestId);
      sendJson(res, 200, record);
    } catch (err) {
      console.error(err);
      sendJson(res, 500, errorReply(err, requestId));
    } finally {
      pending.delete(requestId);
    }
  });
  req.on('error', (err) => sendJson(res, 400, { error: err.message, request_id: requestId }));
});

function stop() {
  // Finish in-flight requests, drop idle keep-alive sockets, never hang `docker stop`.
  server.close(() => process.exit(0));
  if (typeof server.closeIdleConnections === 'function') server.closeIdleConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}

if (require.main === module) {
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('uncaughtException', failPending);
  process.on('unhandledRejection', failPending);
  const port = parseInt(process.env.PORT || '9000', 10);
  const host = process.env.HOST || '0.0.0.0';
  server.listen(port, host, () => console.log(`[faasforge] serving function on ${host}:${port}`));
}

module.exports = { invoke, server };
