// faasforge wrapper for AWS Lambda (container image), Node.js.
//
// The image's runtime interface client calls handler.handler(event, context) (CMD
// "handler.handler", task root /var/task). A direct invoke passes the benchmark's input as the
// event; an HTTP trigger (API Gateway, function URL) carries it as a JSON `body`. The reply has
// SeBS's Node.js shape: {statusCode: 200, body: {begin, end, compute_time, results_time, result,
// is_cold, request_id}}, the body a JSON string for an HTTP trigger and an object otherwise, as
// SeBS's handler.js does; `result` is the function's return. The run and the record come from
// function/handler_support.js (wrappers/shared/handler/).
'use strict';

const support = require('./function/handler_support');

function eventInput(event) {
  let body = event.body || '';
  if (event.isBase64Encoded) body = Buffer.from(body, 'base64').toString('utf-8');
  return body.trim() ? JSON.parse(body) : {};
}

exports.handler = async function (event, context) {
  const httpTrigger = event !== null && typeof event === 'object' && 'body' in event;
  const record = await support.invoke(httpTrigger ? eventInput(event) : event, context.awsRequestId);
  return { statusCode: 200, body: httpTrigger ? JSON.stringify(record) : record };
};
