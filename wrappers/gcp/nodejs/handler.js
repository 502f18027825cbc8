// faasforge wrapper for Google Cloud Run (container image), Node.js.
//
// A functions-framework function, as SeBS's: @google-cloud/functions-framework serves
// exports.handler(req, res) on $PORT; the JSON body is the event. The reply is SeBS's record:
// {begin, end, compute_time, results_time, result, is_cold, request_id}; `result` is the
// function's return. The run and the record come from function/handler_support.js
// (wrappers/shared/handler/).
'use strict';

const crypto = require('crypto');
const support = require('./function/handler_support');

if ('NOSQL_STORAGE_DATABASE' in process.env) { // set by the deployment, as SeBS's
  const nosql = require('./function/nosql');
  nosql.nosql.get_instance(process.env.NOSQL_STORAGE_DATABASE);
}

exports.handler = async function (req, res) {
  const requestId = req.headers['x-cloud-trace-context'] || req.headers['function-execution-id']
    || crypto.randomBytes(16).toString('hex');
  const event = req.body;
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    res.status(400).json({ error: 'the body must be a JSON object (the event)', request_id: requestId });
    return;
  }
  res.status(200).json(await support.invoke(event, requestId));
};
