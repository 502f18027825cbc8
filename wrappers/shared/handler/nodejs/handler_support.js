// What faasforge's aws, gcp and azure Node.js handlers share (staged beside function.js): one run of
// the benchmark and SeBS's Node.js record {begin, end, compute_time, results_time, result, is_cold,
// request_id}. Each handler turns its platform's request into the event and the request id and
// wraps the record as its platform answers.
'use strict';

const fs = require('fs');
const path = require('path');

const COLD_MARKER = path.join('/tmp', 'cold_run');

// True on the first call in this execution environment (SeBS's marker file).
function coldStart() {
  const isCold = !fs.existsSync(COLD_MARKER);
  if (isCold) fs.closeSync(fs.openSync(COLD_MARKER, 'w'));
  return isCold;
}

// Run function.handler once on `event` (given SeBS's request-id and income-timestamp unless set).
async function invoke(event, requestId) {
  const begin = Date.now() / 1000;
  const start = process.hrtime();
  if (event !== null && typeof event === 'object') {
    if (!('request-id' in event)) event['request-id'] = requestId;
    if (!('income-timestamp' in event)) event['income-timestamp'] = begin;
  }
  const func = require('./function');
  const result = await func.handler(event);
  const elapsed = process.hrtime(start);
  const end = Date.now() / 1000;
  return {
    begin: begin,
    end: end,
    compute_time: elapsed[1] / 1e3 + elapsed[0] * 1e6,
    results_time: 0,
    result: result,
    is_cold: coldStart(),
    request_id: requestId,
  };
}

exports.coldStart = coldStart;
exports.invoke = invoke;
