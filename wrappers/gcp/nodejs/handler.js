// faasforge wrapper for Google Cloud Run (container image), Node.js.
//
// Cloud Run sends HTTP to $PORT (8080 by default). POST / with the JSON event awaits
// handler(event) from function/function.js and answers SeBS's measurement record as JSON;
// GET /health → ok. Node's http module only.
'use strict';

const http = require('http');
const crypto = require('crypto');

const CONTAINER_ID = crypto.randomBytes(4).toString('hex');
let cold = true;

function requestId(headers) {
  const trace = headers['x-cloud-trace-context'] || '';
  return headers['function-execution-id'] || trace.split('/')[0] || crypto.randomBytes(16).toString('hex');
}

async function measure(event, id) {
  const isCold = cold;
  cold = false;
  if (!('request-id' in event)) event['request-id'] = id;
  if (!('income-timestamp' in event)) event['income-timestamp'] = Date.now() / 1000;
  const begin = Date.now() / 1000;
  const start = process.hrtime.bigint();
  const func = require('./function/function');
  const output = await func.handler(event);
  const computeTime = Number(process.hrtime.bigint() - start) / 1e3;
  return {
    begin: begin,
    end: Date.now() / 1000,
    compute_time: computeTime,
    results_time: 0,
    is_cold: isCold,
    result: { output: output === undefined ? null : output },
    request_id: id,
    container_id: CONTAINER_ID,
    service: process.env.K_SERVICE || '',
    revision: process.env.K_REVISION || '',
  };
}

function reply(res, status, payload) {
  const body = Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
  res.writeHead(status, {
    'Content-Type': typeof payload === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
    'Content-Length': body.length,
  });
  res.end(body);
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET') {
    const healthy = ['/health', '/healthz'].includes(req.url.split('?')[0]);
    return healthy ? reply(res, 200, 'ok') : reply(res, 404, { error: 'POST / with a JSON event' });
  }
  if (req.method !== 'POST') return reply(res, 405, { error: 'method not allowed' });
  const id = requestId(req.headers);
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', async () => {
    let event;
    try {
      const raw = Buffer.concat(chunks).toString('utf-8');
      event = raw.trim() ? JSON.parse(raw) : {};
    } catch (err) {
      return reply(res, 400, { error: 'body is not valid JSON: ' + err.message, request_id: id });
    }
    if (event === null || typeof event !== 'object' || Array.isArray(event)) {
      return reply(res, 400, { error: 'the event must be a JSON object', request_id: id });
    }
    try {
      reply(res, 200, await measure(event, id));
    } catch (err) {
      console.error(err);
      reply(res, 500, { error: `${err && err.name}: ${err && err.message}`, request_id: id });
    }
  });
});

process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
});
server.listen(parseInt(process.env.PORT || '8080', 10), '0.0.0.0');
