// Key-value tables on Amazon DynamoDB (AWS SDK for JavaScript v3): faasforge's NoSQL helper for `aws`.
//
// SeBS's interface (nosql.get_instance(); async insert, get, update, query, delete) comes from
// dynamodb.js (wrappers/shared/dynamodb/, which the local and openwhisk helpers take too); only
// the client differs.
//
// Configuration: NOSQL_STORAGE_TABLE_<table>=the real name of each table the benchmark uses (as
// SeBS); the client is the SDK's default (the function's role, AWS_REGION; AWS_ENDPOINT_URL_DYNAMODB
// / AWS_ENDPOINT_URL point it at another DynamoDB server).
'use strict';

const { DynamoTables } = require('./dynamodb');

class nosql extends DynamoTables {
  // The v3 document client in the v2 DocumentClient's call shape (`client.put(params).promise()`).
  _documentClient() {
    const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
    const lib = require('@aws-sdk/lib-dynamodb');
    const client = lib.DynamoDBDocumentClient.from(new DynamoDBClient({}), {
      marshallOptions: { removeUndefinedValues: true },
    });
    const operation = (command) => (input) => ({ promise: () => client.send(new lib[command](input)) });
    return {
      put: operation('PutCommand'),
      get: operation('GetCommand'),
      update: operation('UpdateCommand'),
      query: operation('QueryCommand'),
      delete: operation('DeleteCommand'),
    };
  }
}

exports.nosql = nosql;
