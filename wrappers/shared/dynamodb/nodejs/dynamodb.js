// SeBS's NoSQL interface over the DynamoDB API, once, for faasforge's Node.js nosql helpers
// (staged beside nosql.js).
//
// A platform's nosql.js extends DynamoTables as SeBS's class name `nosql` and says how the
// document client is made (_documentClient: an object with aws-sdk v2 DocumentClient's call shape,
// `client.put(params).promise()`); this class gives SeBS's operations: nosql.get_instance(); async
// insert, get, update, query, delete with keys as [attribute, value] pairs, the primary
// (partition) key and the secondary (sort) key. query returns every item of one primary key.
// NOSQL_STORAGE_TABLE_<table> names the real table of each table the benchmark uses (as SeBS).
'use strict';

function keyOf(primaryKey, secondaryKey) {
  return { [primaryKey[0]]: primaryKey[1], [secondaryKey[0]]: secondaryKey[1] };
}

class DynamoTables {
  constructor() {
    this._tables = {};
  }

  get client() {
    if (!this._client) this._client = this._documentClient();
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
    if (!Object.prototype.hasOwnProperty.call(this, 'instance')) {
      this.instance = new this();
    }
    return this.instance;
  }
}

exports.DynamoTables = DynamoTables;
