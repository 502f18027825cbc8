// faasforge wrapper for Azure Functions (custom container), Node.js, HTTP trigger (v3 model).
//
// The image places this file, function.json and the benchmark in /home/site/wwwroot/handler/
// (function name `handler`, route /api/handler). The host calls module.exports(context, req);
// the benchmark is the sibling ./function.js. Answers SeBS's measurement record as JSON.
'use strict';

const fs = require('fs');
const path = require('path');
const crypto = require('crypto');

const COLD_MARKER = path.join('/tmp', 'cold_run');

function coldStart() {
  if (!fs.existsSync(COLD_MARKER)) {
    const containerId = crypto.randomBytes(4).toString('hex');
    fs.writeFileSync(COLD_MARKER, containerId);
    return [true, containerId];
  }
  return [false, fs.readFileSync(COLD_MARKER, 'utf-8')];
}

module.exports = async function (context, req) {
  let event = req.body;
  if (typeof event === 'string') {
    try {
      event = event.trim() ? JSON.parse(event) : {};
    } catch (err) {
      context.res = { status: 400, body: { error: 'body is not valid JSON: ' + err.message } };
      return;
    }
  }
  if (event === undefined || event === null) event = {};
  if (typeof event !== 'object' || Array.isArray(event)) {
    context.res = { status: 400, body: { error: 'the event must be a JSON object' } };
    return;
  }
  const requestId = context.invocationId;
  if (!('request-id' in event)) event['request-id'] = requestId;
  if (!('income-timestamp' in event)) event['income-timestamp'] = Date.now() / 1000;

  const begin = Date.now() / 1000;
  const start = process.hrtime.bigint();
  const func = require('./function');
  const output = await func.handler(event);
  const computeTime = Number(process.hrtime.bigint() - start) / 1e3;
  const end = Date.now() / 1000;

  const [isCold, containerId] = coldStart();
  context.res = {
    status: 200,
    headers: { 'Content-Type': 'application/json' },
    body: {
      begin: begin,
      end: end,
      compute_time: computeTime,
      results_time: 0,
      result: { output: output === undefined ? null : output },
      is_cold: isCold,
      container_id: containerId,
      request_id: requestId,
    },
  };
};
