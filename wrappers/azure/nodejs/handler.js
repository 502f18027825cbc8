// faasforge wrapper for Azure Functions (custom container), Node.js, HTTP trigger (v3 model).
//
// The image places this file, function.json and the benchmark in /home/site/wwwroot/handler/
// (function `handler`, route /api/handler). The Node.js worker calls module.exports(context, req)
// and, through function.json's `$return` output binding, answers with the returned
// {body, headers}. The benchmark is the sibling ./function.js. The body is SeBS's record:
// {begin, end, compute_time, results_time, result, is_cold, request_id}.
'use strict';

const fs = require('fs');
const path = require('path');

if ('NOSQL_STORAGE_DATABASE' in process.env) { // set by the deployment, as SeBS's
  const nosql = require('./nosql');
  nosql.nosql.get_instance(
    process.env.NOSQL_STORAGE_DATABASE, process.env.NOSQL_STORAGE_URL, process.env.NOSQL_STORAGE_CREDS,
  );
}

const COLD_MARKER = path.join('/tmp', 'cold_run');

module.exports = async function (context, req) {
  const begin = Date.now() / 1000;
  const start = process.hrtime();
  let event = req.body;
  if (typeof event === 'string' && event.trim()) {
    try {
      event = JSON.parse(event);
    } catch (err) {
      event = null;
    }
  }
  if (event === null || event === undefined || typeof event !== 'object' || Array.isArray(event)) {
    return {
      status: 400,
      body: { error: 'the body must be a JSON object (the event)' },
      headers: { 'Content-Type': 'application/json' },
    };
  }
  if (!('request-id' in event)) event['request-id'] = context.invocationId;
  if (!('income-timestamp' in event)) event['income-timestamp'] = begin;
  const func = require('./function');
  const result = await func.handler(event);
  const elapsed = process.hrtime(start);
  const end = Date.now() / 1000;

  const isCold = !fs.existsSync(COLD_MARKER);
  if (isCold) fs.closeSync(fs.openSync(COLD_MARKER, 'w'));
  return {
    body: {
      begin: begin,
      end: end,
      compute_time: elapsed[1] / 1e3 + elapsed[0] * 1e6,
      results_time: 0,
      result: result,
      is_cold: isCold,
      request_id: context.invocationId,
    },
    headers: { 'Content-Type': 'application/json' },
  };
};
