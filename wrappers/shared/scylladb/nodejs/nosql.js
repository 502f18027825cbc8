// Key-value tables over the DynamoDB API: faasforge's NoSQL helper for `local` and `openwhisk`.
//
// SeBS's interface (nosql.get_instance(); async insert, get, update, query, delete) comes from
// dynamodb.js (wrappers/shared/dynamodb/); this file makes the client: aws-sdk v2's DocumentClient,
// as SeBS's, at the configured server. Both platforms take it (their shared.txt names `scylladb`).
//
// Configuration (environment, read on first use), exactly the variables SeBS's helpers read:
//   NOSQL_STORAGE_TYPE=scylladb, NOSQL_STORAGE_ENDPOINT=host:port (plain HTTP),
//   NOSQL_STORAGE_TABLE_<table>=the real name of each table the benchmark uses.
'use strict';

const { DynamoTables } = require('./dynamodb');

const SUPPORTED_TYPES = ['scylladb'];

function documentClient() {
  const kind = process.env.NOSQL_STORAGE_TYPE || '';
  let endpoint = (process.env.NOSQL_STORAGE_ENDPOINT || '').trim();
  if (!SUPPORTED_TYPES.includes(kind)) {
    throw new Error(`nosql: unsupported NOSQL_STORAGE_TYPE ${JSON.stringify(kind)}; allowed: ${SUPPORTED_TYPES.join(', ')}`);
  }
  if (!endpoint) {
    throw new Error('nosql: set NOSQL_STORAGE_ENDPOINT to the DynamoDB API server (host:port)');
  }
  if (!endpoint.includes('://')) endpoint = `http://${endpoint}`;
  const aws = require('aws-sdk');
  // Alternator and test servers ignore credentials, but requests must be signed with some.
  return new aws.DynamoDB.DocumentClient({
    endpoint,
    region: process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1',
    accessKeyId: process.env.AWS_ACCESS_KEY_ID || 'none',
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY || 'none',
    maxRetries: 2,
  });
}

class nosql extends DynamoTables {
  _documentClient() {
    return documentClient();
  }
}

exports.nosql = nosql;
