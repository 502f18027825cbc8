// Object storage on Azure Blob Storage: faasforge's storage helper for `azure`. Buckets are containers.
//
// SeBS's interface:
//   unique_name(file)                      dir/name.ext -> dir/name.<8 hex>.ext
//   upload(bucket, file, filepath)         -> [uniqueName, Promise]
//   download(bucket, file, filepath)       -> Promise
//   downloadDirectory(bucket, prefix, dir) -> Promise (every blob under prefix, to dir/<name>)
//   uploadStream(bucket, file)             -> [writable stream, Promise<uniqueName>, uniqueName]
//   downloadStream(bucket, file)           -> Promise<readable stream>
//
// Configuration: STORAGE_CONNECTION_STRING (the variable SeBS's helper reads; Azurite's works too).
'use strict';

const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const stream = require('stream');

function uniqueName(file) {
  const name = path.posix.parse(file);
  const suffix = crypto.randomBytes(4).toString('hex');
  return path.posix.join(name.dir, `${name.name}.${suffix}${name.ext}`);
}

class storage {
  get client() {
    if (!this._client) {
      const connectionString = process.env.STORAGE_CONNECTION_STRING;
      if (!connectionString) {
        throw new Error("storage: set STORAGE_CONNECTION_STRING to the storage account's connection string");
      }
      const { BlobServiceClient } = require('@azure/storage-blob');
      this._client = BlobServiceClient.fromConnectionString(connectionString);
    }
    return this._client;
  }

  _blob(container, name) {
    return this.client.getContainerClient(container).getBlockBlobClient(name);
  }

  unique_name(file) {
    return uniqueName(file);
  }

  upload(container, file, filepath) {
    const key = uniqueName(file);
    return [key, Promise.resolve().then(() => this._blob(container, key).uploadFile(filepath))];
  }

  async download(container, file, filepath) {
    await fs.promises.mkdir(path.dirname(path.resolve(filepath)), { recursive: true });
    await this._blob(container, file).downloadToFile(filepath);
  }

  async downloadDirectory(container, prefix, downloadPath) {
    const names = [];
    for await (const blob of this.client.getContainerClient(container).listBlobsFlat({ prefix })) {
      names.push(blob.name);
    }
    await Promise.all(names.map((name) => this.download(container, name, path.join(downloadPath, name))));
  }

  uploadStream(container, file) {
    const key = uniqueName(file);
    const writable = new stream.PassThrough();
    const promise = Promise.resolve()
      .then(() => this._blob(container, key).uploadStream(writable))
      .then(() => key);
    return [writable, promise, key];
  }

  downloadStream(container, file) {
    return Promise.resolve()
      .then(() => this._blob(container, file).download())
      .then((answer) => answer.readableStreamBody);
  }

  static get_instance() {
    if (!storage.instance) {
      storage.instance = new storage();
    }
    return storage.instance;
  }
}

exports.storage = storage;
