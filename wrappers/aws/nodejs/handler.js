// faasforge wrapper for AWS Lambda (container image), Node.js.
//
// The image's runtime interface client calls handler.handler(event, context) (CMD
// "handler.handler", task root /var/task). A direct invoke passes the benchmark's input as the
// event; an HTTP trigger (API Gateway, function URL) carries it as a JSON `body`. The reply has
// SeBS's Node.js shape: {statusCode: 200, body: {begin, end, compute_time, results_time, result,
// is_cold, request_id}}, the body a JSON string for an HTTP trigger and an object otherwise, as
// SeBS's handler.js does; `result` is the function's return.
'use strict';

const fs = require('fs');
const path = require('path');

const COLD_MARKER = path.join('/tmp', 'cold_run');

function eventInput(event) {
  let body = event.body || '';
  if (event.isBase64Encoded) body = Buffer.from(body, 'base64').toString('utf-8');
  return body.trim() ? JSON.parse(body) : {};
}

exports.handler = async function (event, context) {
  const begin = Date.now() / 1000;
  const start = process.hrtime();
  const httpTrigger = event !== null && typeof event === 'object' && 'body' in event;
  const input = httpTrigger ? eventInput(event) : event;
  if (input !== null && typeof input === 'object') {
    if (!('request-id' in input)) input['request-id'] = context.awsRequestId;
    if (!('income-timestamp' in input)) input['income-timestamp'] = begin;
  }
  const func = require('./function/function');
  const result = await func.handler(input);
  const elapsed = process.hrtime(start);
  const end = Date.now() / 1000;

  const isCold = !fs.existsSync(COLD_MARKER);
  if (isCold) fs.closeSync(fs.openSync(COLD_MARKER, 'w'));
  const record = {
    begin: begin,
    end: end,
    compute_time: elapsed[1] / 1e3 + elapsed[0] * 1e6,
    results_time: 0,
    result: result,
    is_cold: isCold,
    request_id: context.awsRequestId,
  };
  return { statusCode: 200, body: httpTrigger ? JSON.stringify(record) : record };
};
