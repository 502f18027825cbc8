// Object storage on Azure Blob Storage: faasforge's storage helper for `azure`. Buckets are containers.
//
// SeBS's interface (unique_name, upload, download, downloadDirectory, uploadStream,
// downloadStream, get_instance) comes from storage_base.js (wrappers/shared/object-storage/);
// this file holds Blob Storage's calls.
//
// Configuration: STORAGE_CONNECTION_STRING (the variable SeBS's helper reads; Azurite's works too).
'use strict';

const { ObjectStorage } = require('./storage_base');

class storage extends ObjectStorage {
  _connect() {
    const connectionString = process.env.STORAGE_CONNECTION_STRING;
    if (!connectionString) {
      throw new Error("storage: set STORAGE_CONNECTION_STRING to the storage account's connection string");
    }
    const { BlobServiceClient } = require('@azure/storage-blob');
    return BlobServiceClient.fromConnectionString(connectionString);
  }

  _blob(container, name) {
    return this.client.getContainerClient(container).getBlockBlobClient(name);
  }

  _putFile(container, key, filepath) {
    return this._blob(container, key).uploadFile(filepath);
  }

  _getFile(container, key, filepath) {
    return this._blob(container, key).downloadToFile(filepath);
  }

  async _keys(container, prefix) {
    const names = [];
    for await (const blob of this.client.getContainerClient(container).listBlobsFlat({ prefix })) {
      names.push(blob.name);
    }
    return names;
  }

  _putStream(container, key, readable) {
    return this._blob(container, key).uploadStream(readable);
  }

  downloadStream(container, file) {
    return Promise.resolve()
      .then(() => this._blob(container, file).download())
      .then((answer) => answer.readableStreamBody);
  }
}

exports.storage = storage;
