// Key-value tables over the DynamoDB API: faasforge's NoSQL helper for `local` and `openwhisk`.
//
// SeBS's interface: nosql.get_instance(); async insert, get, update, query, delete with keys as
// [attribute, value] pairs, the primary (partition) key and the secondary (sort) key. query returns
// every item of one primary key. The client is aws-sdk v2's DocumentClient, as SeBS's.
//
// Configuration (environment, read on first use), exactly the variables SeBS's helpers read:
//   NOSQL_STORAGE_TYPE=scylladb, NOSQL_STORAGE_ENDPOINT=host:port (plain HTTP),
//   NOSQL_STORAGE_TABLE_<table>=the real name of each table the benchmark uses.
'use strict';

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

function keyOf(primaryKey, secondaryKey) {
  return { [primaryKey[0]]: primaryKey[1], [secondaryKey[0]]: secondaryKey[1] };
}

class nosql {
  constructor() {
    this._tables = {};
  }

  get client() {
    if (!this._client) this._client = documentClient();
    return this._client;
  }

  _table(tableName) {
    if (!(tableName in this._tables)) {
      const variable = `NOSQL_STORAGE_TABLE_${tableName}`;
      if (!process.env[variable]) {
        throw new Error(`nosql: set ${variable} to the name of table ${JSON.stringify(tableName)}`);
      }
      this._tables[tableName] = process.env[variable];
    }
    return this._tables[tableName];
  }

  async insert(tableName, primaryKey, secondaryKey, data) {
    Object.assign(data, keyOf(primaryKey, secondaryKey));
    await this.client.put({ TableName: this._table(tableName), Item: data }).promise();
  }

  // The item of these keys, key attributes included; null when there is none.
  async get(tableName, primaryKey, secondaryKey) {
    const answer = await this.client
      .get({ TableName: this._table(tableName), Key: keyOf(primaryKey, secondaryKey) })
      .promise();
    return answer.Item === undefined ? null : answer.Item;
  }

  // Set the given attributes of one item (created when missing), leaving the others.
  async update(tableName, primaryKey, secondaryKey, updates) {
    const entries = Object.entries(updates);
    if (entries.length === 0) return;
    const names = {};
    const values = {};
    // Placeholders for names too: DynamoDB reserves words such as "status" and "name".
    const assignments = entries.map(([attribute, value], index) => {
      names[`#a${index}`] = attribute;
      values[`:v${index}`] = value;
      return `#a${index} = :v${index}`;
    });
    await this.client.update({
      TableName: this._table(tableName),
      Key: keyOf(primaryKey, secondaryKey),
      UpdateExpression: `SET ${assignments.join(', ')}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    }).promise();
  }

  // Every item whose primary key is primaryKey, in sort-key order.
  async query(tableName, primaryKey, _secondaryKeyName) {
    const params = {
      TableName: this._table(tableName),
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': primaryKey[0] },
      ExpressionAttributeValues: { ':pk': primaryKey[1] },
    };
    const items = [];
    for (;;) {
      const page = await this.client.query(params).promise();
      items.push(...(page.Items || []));
      if (!page.LastEvaluatedKey) return items;
      params.ExclusiveStartKey = page.LastEvaluatedKey;
    }
  }

  async delete(tableName, primaryKey, secondaryKey) {
    await this.client
      .delete({ TableName: this._table(tableName), Key: keyOf(primaryKey, secondaryKey) })
      .promise();
  }

  static get_instance() {
    if (!nosql.instance) {
      nosql.instance = new nosql();
    }
    return nosql.instance;
  }
}

exports.nosql = nosql;
