// faasforge wrapper for Google Cloud Run (container image), Node.js.
//
// A functions-framework function, as SeBS's: @google-cloud/functions-framework serves
// exports.handler(req, res) on $PORT; the JSON body is the event. The reply is SeBS's record:
// {begin, end, compute_time, results_time, result, is_cold, request_id}; `result` is the
// function's return.
'use strict';

const fs = require('fs');
const path = require('path');
const crypto = require('crypto');

if ('NOSQL_STORAGE_DATABASE' in process.env) { // set by the deployment, as SeBS's
  const nosql = require('./function/nosql');
  nosql.nosql.get_instance(process.env.NOSQL_STORAGE_DATABASE);
}

const COLD_MARKER = path.join('/tmp', 'cold_run');

exports.handler = async function (req, res) {
  const begin = Date.now() / 1000;
  const start = process.hrtime();
  const requestId = req.headers['x-cloud-trace-context'] || req.headers['function-execution-id']
    || crypto.randomBytes(16).toString('hex');
  const event = req.body;
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    res.status(400).json({ error: 'the body must be a JSON object (the event)', request_id: requestId });
    return;
  }
  if (!('request-id' in event)) event['request-id'] = requestId;
  if (!('income-timestamp' in event)) event['income-timestamp'] = begin;
  const func = require('./function/function');
  const result = await func.handler(event);
  const elapsed = process.hrtime(start);
  const end = Date.now() / 1000;

  const isCold = !fs.existsSync(COLD_MARKER);
  if (isCold) fs.closeSync(fs.openSync(COLD_MARKER, 'w'));
  res.status(200).json({
    begin: begin,
    end: end,
    compute_time: elapsed[1] / 1e3 + elapsed[0] * 1e6,
    results_time: 0,
    result: result,
    is_cold: isCold,
    request_id: requestId,
  });
};
