// faasforge wrapper for AWS Lambda (container image), Node.js.
//
// Lambda calls handler.handler(event, context). An API Gateway / function URL event carries the
// benchmark's input as a JSON `body` (maybe base64); a direct invoke passes it as the event.
// The answer follows SeBS: {statusCode: 200, body: "<json measurement record>"}.
'use strict';

const fs = require('fs');
const path = require('path');
const crypto = require('crypto');

const COLD_MARKER = path.join('/tmp', 'cold_run');

function eventInput(event) {
  if (event && typeof event === 'object' && 'body' in event) {
    let body = event.body || '';
    if (event.isBase64Encoded) body = Buffer.from(body, 'base64').toString('utf-8');
    return body.trim() ? JSON.parse(body) : {};
  }
  return event && typeof event === 'object' ? event : { input: event };
}

function coldStart() {
  if (!fs.existsSync(COLD_MARKER)) {
    const containerId = crypto.randomBytes(4).toString('hex');
    fs.writeFileSync(COLD_MARKER, containerId);
    return [true, containerId];
  }
  return [false, fs.readFileSync(COLD_MARKER, 'utf-8')];
}

exports.handler = async function (event, context) {
  const input = eventInput(event);
  const requestId = (context && context.awsRequestId) || crypto.randomBytes(16).toString('hex');
  if (!('request-id' in input)) input['request-id'] = requestId;
  if (!('income-timestamp' in input)) input['income-timestamp'] = Date.now() / 1000;

  const begin = Date.now() / 1000;
  const start = process.hrtime.bigint();
  const func = require('./function/function');
  const output = await func.handler(input);
  const computeTime = Number(process.hrtime.bigint() - start) / 1e3;
  const end = Date.now() / 1000;

  const [isCold, containerId] = coldStart();
  return {
    statusCode: 200,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      begin: begin,
      end: end,
      compute_time: computeTime,
      results_time: 0,
      is_cold: isCold,
      result: { output: output === undefined ? null : output },
      request_id: requestId,
      container_id: containerId,
    }),
  };
};
