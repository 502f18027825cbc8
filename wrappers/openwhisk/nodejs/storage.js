// Object storage over the S3 API with MinIO's client: faasforge's helper for `local` and `openwhisk`.
//
// SeBS's interface, so a benchmark doing `new (require('./storage').storage)()` or
// `storage.get_instance()` runs unchanged:
//   unique_name(file)                      dir/name.ext -> dir/name.<8 hex>.ext
//   upload(bucket, file, filepath)         -> [uniqueName, Promise]
//   download(bucket, file, filepath)       -> Promise
//   downloadDirectory(bucket, prefix, dir) -> Promise (every object under prefix, to dir/<key>)
//   uploadStream(bucket, file)             -> [writable stream, Promise<uniqueName>, uniqueName]
//   downloadStream(bucket, file)           -> Promise<readable stream>
//
// Configuration (environment, read on first use; plain HTTP as SeBS's helpers):
//   local:     MINIO_ADDRESS (host:port), MINIO_ACCESS_KEY, MINIO_SECRET_KEY
//   openwhisk: MINIO_STORAGE_CONNECTION_URL, MINIO_STORAGE_ACCESS_KEY, MINIO_STORAGE_SECRET_KEY
// The same file ships for both platforms; the first set present wins.
'use strict';

const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const stream = require('stream');

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

function uniqueName(file) {
  const name = path.posix.parse(file);
  const suffix = crypto.randomBytes(4).toString('hex');
  return path.posix.join(name.dir, `${name.name}.${suffix}${name.ext}`);
}

function collect(readable) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    readable.on('data', (chunk) => chunks.push(Buffer.from(chunk)));
    readable.on('end', () => resolve(Buffer.concat(chunks)));
    readable.on('error', reject);
  });
}

class storage {
  get client() {
    if (!this._client) {
      const minio = require('minio');
      this._client = new minio.Client(settings());
    }
    return this._client;
  }

  unique_name(file) {
    return uniqueName(file);
  }

  upload(bucket, file, filepath) {
    const key = uniqueName(file);
    return [key, Promise.resolve().then(() => this.client.fPutObject(bucket, key, filepath, {}))];
  }

  async download(bucket, file, filepath) {
    await fs.promises.mkdir(path.dirname(path.resolve(filepath)), { recursive: true });
    await this.client.fGetObject(bucket, file, filepath);
  }

  async downloadDirectory(bucket, prefix, downloadPath) {
    const keys = [];
    for await (const obj of this.client.listObjectsV2(bucket, prefix, true)) {
      if (obj.name && !obj.name.endsWith('/')) keys.push(obj.name);
    }
    await Promise.all(keys.map((key) => this.download(bucket, key, path.join(downloadPath, key))));
  }

  // What is written is collected, then stored with one PutObject of known length (MinIO's
  // client would otherwise go multipart, which some S3 servers answer in ways it cannot parse).
  uploadStream(bucket, file) {
    const key = uniqueName(file);
    const writable = new stream.PassThrough();
    const promise = collect(writable)
      .then((body) => this.client.putObject(bucket, key, body, body.length))
      .then(() => key);
    return [writable, promise, key];
  }

  downloadStream(bucket, file) {
    return Promise.resolve().then(() => this.client.getObject(bucket, file));
  }

  static get_instance() {
    if (!storage.instance) {
      storage.instance = new storage();
    }
    return storage.instance;
  }
}

exports.storage = storage;
