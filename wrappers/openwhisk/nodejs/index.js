// faasforge's OpenWhisk action, Node.js, in SeBS's shape (its index.js).
//
// main(args) moves the MINIO_STORAGE_* and NOSQL_STORAGE_* parameters into the environment, adds
// request-id (the activation id) and income-timestamp, awaits handler(args) from the benchmark
// (function.js beside this file, at /function as in SeBS's image) and answers SeBS's record
// {begin, end, compute_time, results_time, result, request_id, is_cold}; `result` is the
// function's return (the run and the record: handler_support.js beside it, from
// wrappers/shared/handler/). The image's action runtime (handler.js) runs it; on OpenWhisk it is
// also the code a `wsk action create --docker` zip carries, as SeBS deploys it.
'use strict';

const path = require('path');

const STORAGE_ARGS = ['MINIO_STORAGE_CONNECTION_URL', 'MINIO_STORAGE_ACCESS_KEY', 'MINIO_STORAGE_SECRET_KEY'];

async function main(args) {
  for (const arg of STORAGE_ARGS) {
    if (arg in args) {
      process.env[arg] = String(args[arg]);
      delete args[arg];
    }
  }
  for (const arg of Object.keys(args)) {
    if (arg.includes('NOSQL_STORAGE_')) {
      process.env[arg] = String(args[arg]);
      delete args[arg];
    }
  }
  require(path.join(__dirname, 'function.js')); // loaded before the clock starts, as SeBS's index.js
  const support = require(path.join(__dirname, 'handler_support.js'));
  args['request-id'] = process.env.__OW_ACTIVATION_ID;
  args['income-timestamp'] = Date.now() / 1000;
  return support.invoke(args, process.env.__OW_ACTIVATION_ID);
}

exports.main = main;
