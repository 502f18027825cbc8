// Key-value tables on Google Cloud Datastore (Firestore in Datastore mode): the `gcp` NoSQL helper.
//
// SeBS's interface: nosql.get_instance(database); async insert, get, update, query, delete with keys
// as [attribute, value] pairs. As SeBS maps them: the table is the entity kind, the secondary key's
// value is the entity's name, and the primary key is its parent (kind = the primary key's
// attribute, name = its value), so query is an ancestor query. get and query put the key
// attributes back into the items they return.
//
// Configuration: the database id is get_instance's argument, else NOSQL_STORAGE_DATABASE;
// credentials and project are the library's own; DATASTORE_EMULATOR_HOST points it at an emulator.
'use strict';

class nosql {
  constructor(database) {
    this.database = database || process.env.NOSQL_STORAGE_DATABASE || undefined;
  }

  get client() {
    if (!this._client) {
      const { Datastore } = require('@google-cloud/datastore');
      this._client = new Datastore(this.database ? { databaseId: this.database } : {});
    }
    return this._client;
  }

  _key(tableName, primaryKey, secondaryKey) {
    return this.client.key([primaryKey[0], primaryKey[1], tableName, secondaryKey[1]]);
  }

  async insert(tableName, primaryKey, secondaryKey, data) {
    await this.client.save({ key: this._key(tableName, primaryKey, secondaryKey), data });
  }

  async get(tableName, primaryKey, secondaryKey) {
    const [entity] = await this.client.get(this._key(tableName, primaryKey, secondaryKey));
    if (!entity) return null;
    const item = { ...entity };
    item[primaryKey[0]] = primaryKey[1];
    item[secondaryKey[0]] = secondaryKey[1];
    return item;
  }

  // Set the given properties of one entity (created when missing), leaving the others.
  async update(tableName, primaryKey, secondaryKey, updates) {
    const key = this._key(tableName, primaryKey, secondaryKey);
    const transaction = this.client.transaction();
    await transaction.run();
    try {
      const [entity] = await transaction.get(key);
      transaction.save({ key, data: { ...(entity || {}), ...updates } });
      await transaction.commit();
    } catch (err) {
      await transaction.rollback();
      throw err;
    }
  }

  async query(tableName, primaryKey, secondaryKeyName) {
    const { Datastore } = require('@google-cloud/datastore');
    const ancestor = this.client.key([primaryKey[0], primaryKey[1]]);
    const [entities] = await this.client.runQuery(this.client.createQuery(tableName).hasAncestor(ancestor));
    return entities.map((entity) => {
      const item = { ...entity };
      item[primaryKey[0]] = primaryKey[1];
      item[secondaryKeyName] = entity[Datastore.KEY].name;
      return item;
    });
  }

  async delete(tableName, primaryKey, secondaryKey) {
    await this.client.delete(this._key(tableName, primaryKey, secondaryKey));
  }

  static get_instance(database = null) {
    if (!nosql.instance) {
      nosql.instance = new nosql(database);
    }
    return nosql.instance;
  }
}

exports.nosql = nosql;
