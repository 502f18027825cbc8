// Key-value tables on Azure Cosmos DB (NoSQL API): faasforge's NoSQL helper for `azure`.
//
// SeBS's interface: nosql.get_instance(database, url, credential); async insert, get, update,
// query, delete with keys as [attribute, value] pairs. As SeBS maps them: a table is a container
// partitioned by the primary key's attribute, the secondary key's value is the item's id. Items
// come back without Cosmos DB's own fields and with the secondary key attribute restored.
//
// Configuration: get_instance's arguments, else NOSQL_STORAGE_DATABASE, NOSQL_STORAGE_URL and
// NOSQL_STORAGE_CREDS (database, account endpoint, key).
'use strict';

const SYSTEM_FIELDS = ['id', '_etag', '_rid', '_self', '_ts', '_attachments'];

function plain(item, secondaryKeyName) {
  const result = {};
  for (const [name, value] of Object.entries(item)) {
    if (!SYSTEM_FIELDS.includes(name)) result[name] = value;
  }
  result[secondaryKeyName] = item.id;
  return result;
}

class nosql {
  constructor(url, credential, database) {
    this._url = url || process.env.NOSQL_STORAGE_URL;
    this._credential = credential || process.env.NOSQL_STORAGE_CREDS;
    this._databaseName = database || process.env.NOSQL_STORAGE_DATABASE;
    this._containers = {};
  }

  get database() {
    if (!this._database) {
      const missing = [
        ['NOSQL_STORAGE_DATABASE', this._databaseName],
        ['NOSQL_STORAGE_URL', this._url],
        ['NOSQL_STORAGE_CREDS', this._credential],
      ].filter(([, value]) => !value).map(([name]) => name);
      if (missing.length > 0) {
        throw new Error(`nosql: set ${missing.join(', ')} (Cosmos DB database, endpoint and key)`);
      }
      const { CosmosClient } = require('@azure/cosmos');
      this._database = new CosmosClient({ endpoint: this._url, key: this._credential }).database(this._databaseName);
    }
    return this._database;
  }

  _container(tableName) {
    if (!(tableName in this._containers)) {
      this._containers[tableName] = this.database.container(tableName);
    }
    return this._containers[tableName];
  }

  async insert(tableName, primaryKey, secondaryKey, data) {
    data[primaryKey[0]] = primaryKey[1];
    data.id = secondaryKey[1]; // Cosmos DB's item id
    await this._container(tableName).items.upsert(data);
  }

  async get(tableName, primaryKey, secondaryKey) {
    try {
      const { resource } = await this._container(tableName).item(secondaryKey[1], primaryKey[1]).read();
      return resource ? plain(resource, secondaryKey[0]) : null;
    } catch (err) {
      if (err && err.code === 404) return null;
      throw err;
    }
  }

  // Set the given attributes of one item, leaving the others (a patch; the item must exist).
  async update(tableName, primaryKey, secondaryKey, updates) {
    const operations = Object.entries(updates).map(([name, value]) => ({ op: 'set', path: `/${name}`, value }));
    await this._container(tableName).item(secondaryKey[1], primaryKey[1]).patch(operations);
  }

  // Every item of this primary key (a single-partition query).
  async query(tableName, primaryKey, secondaryKeyName) {
    const attribute = primaryKey[0];
    if (!/^[A-Za-z0-9_]+$/.test(attribute)) {
      throw new Error(`nosql: key attribute ${JSON.stringify(attribute)} must be letters, digits and underscores`);
    }
    const { resources } = await this._container(tableName).items
      .query(
        { query: `SELECT * FROM c WHERE c["${attribute}"] = @value`, parameters: [{ name: '@value', value: primaryKey[1] }] },
        { partitionKey: primaryKey[1] },
      )
      .fetchAll();
    return resources.map((item) => plain(item, secondaryKeyName));
  }

  async delete(tableName, primaryKey, secondaryKey) {
    await this._container(tableName).item(secondaryKey[1], primaryKey[1]).delete();
  }

  static get_instance(database = null, url = null, credential = null) {
    if (!nosql.instance) {
      nosql.instance = new nosql(url, credential, database);
    }
    return nosql.instance;
  }
}

exports.nosql = nosql;
