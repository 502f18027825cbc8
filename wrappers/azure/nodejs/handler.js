// faasforge wrapper for Azure Functions (custom container), Node.js, HTTP trigger (v3 model).
//
// The image places this file, function.json and the benchmark in /home/site/wwwroot/handler/
// (function `handler`, route /api/handler). The Node.js worker calls module.exports(context, req)
// and, through function.json's `$return` output binding, answers with the returned
// {body, headers}. The benchmark is the sibling ./function.js. The body is SeBS's record:
// {begin, end, compute_time, results_time, result, is_cold, request_id}, from the sibling
// ./handler_support.js (wrappers/shared/handler/).
'use strict';

const support = require('./handler_support');

if ('NOSQL_STORAGE_DATABASE' in process.env) { // set by the deployment, as SeBS's
  const nosql = require('./nosql');
  nosql.nosql.get_instance(
    process.env.NOSQL_STORAGE_DATABASE, process.env.NOSQL_STORAGE_URL, process.env.NOSQL_STORAGE_CREDS,
  );
}

module.exports = async function (context, req) {
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
  const record = await support.invoke(event, context.invocationId);
  return { body: record, headers: { 'Content-Type': 'application/json' } };
};
