// Object storage over the S3 API with MinIO's client: faasforge's helper for `local` and `openwhisk`.
//
// SeBS's interface, so a benchmark doing `new (require('./storage').storage)()` or
// `storage.get_instance()` runs unchanged (unique_name, upload, download, downloadDirectory,
// uploadStream, downloadStream), from storage_base.js (wrappers/shared/object-storage/); this file
// holds MinIO's calls.
//
// Configuration (environment, read on first use; plain HTTP as SeBS's helpers):
//   local:     MINIO_ADDRESS (host:port), MINIO_ACCESS_KEY, MINIO_SECRET_KEY
//   openwhisk: MINIO_STORAGE_CONNECTION_URL, MINIO_STORAGE_ACCESS_KEY, MINIO_STORAGE_SECRET_KEY
// Both platforms take this file (their shared.txt names `minio`); the first set present wins.
'use strict';

const { ObjectStorage, collect } = require('./storage_base');

const ENVIRONMENTS = [
  ['MINIO_ADDRESS', 'MINIO_ACCESS_KEY', 'MINIO_SECRET_KEY'],
  ['MINIO_STORAGE_CONNECTION_URL', 'MINIO_STORAGE_ACCESS_KEY', 'MINIO_STORAGE_SECRET_KEY'],
];

function settings() {
  for (const [addressName, accessName, secretName] of ENVIRONMENTS) {
    let address = (process.env[addressName] || '').trim();
    if (!address) continue;
    const useSSL = address.startsWith('https://');
    address = address.replace(/^https?:\/\//, '').replace(/\/+$/, '');
    const colon = address.lastIndexOf(':');
    const endPoint = colon > 0 ? address.slice(0, colon) : address;
    const port = colon > 0 ? parseInt(address.slice(colon + 1), 10) : (useSSL ? 443 : 80);
    return {
      endPoint, port, useSSL,
      accessKey: process.env[accessName] || '',
      secretKey: process.env[secretName] || '',
    };
  }
  const wanted = ENVIRONMENTS.map((names) => names.join('/')).join(' or ');
  throw new Error(`storage: no object storage configured; set ${wanted} (address as host:port)`);
}

class storage extends ObjectStorage {
  _connect() {
    const minio = require('minio');
    return new minio.Client(settings());
  }

  _putFile(bucket, key, filepath) {
    return this.client.fPutObject(bucket, key, filepath, {});
  }

  _getFile(bucket, key, filepath) {
    return this.client.fGetObject(bucket, key, filepath);
  }

  async _keys(bucket, prefix) {
    const keys = [];
    for await (const obj of this.client.listObjectsV2(bucket, prefix, true)) {
      if (obj.name) keys.push(obj.name);
    }
    return keys;
  }

  // What is written is collected, then stored with one PutObject of known length (MinIO's
  // client would otherwise go multipart, which some S3 servers answer in ways it cannot parse).
  async _putStream(bucket, key, readable) {
    const body = await collect(readable);
    await this.client.putObject(bucket, key, body, body.length);
  }

  downloadStream(bucket, file) {
    return Promise.resolve().then(() => this.client.getObject(bucket, file));
  }
}

exports.storage = storage;
