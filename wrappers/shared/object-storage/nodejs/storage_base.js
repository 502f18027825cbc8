// SeBS's storage interface, once, for faasforge's Node.js storage helpers (staged beside storage.js).
//
// A platform's storage.js extends ObjectStorage as SeBS's class name `storage` and supplies the
// client and its calls (_connect, _putFile, _getFile, _keys, _putStream, downloadStream); this
// class gives the rest:
//   unique_name(file)                      dir/name.ext -> dir/name.<8 hex>.ext
//   upload(bucket, file, filepath)         -> [uniqueName, Promise]
//   download(bucket, file, filepath)       -> Promise
//   downloadDirectory(bucket, prefix, dir) -> Promise (every object under prefix, to dir/<key>)
//   uploadStream(bucket, file)             -> [writable stream, Promise<uniqueName>, uniqueName]
//   get_instance()                         -> the one instance
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

// Everything a stream carries, as one Buffer (for stores that want a Content-Length).
function collect(readable) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    readable.on('data', (chunk) => chunks.push(Buffer.from(chunk)));
    readable.on('end', () => resolve(Buffer.concat(chunks)));
    readable.on('error', reject);
  });
}

class ObjectStorage {
  get client() {
    if (!this._client) {
      this._client = this._connect();
    }
    return this._client;
  }

  unique_name(file) {
    return uniqueName(file);
  }

  upload(bucket, file, filepath) {
    const key = uniqueName(file);
    return [key, Promise.resolve().then(() => this._putFile(bucket, key, filepath))];
  }

  async download(bucket, file, filepath) {
    await fs.promises.mkdir(path.dirname(path.resolve(filepath)), { recursive: true });
    await this._getFile(bucket, file, filepath);
  }

  async downloadDirectory(bucket, prefix, downloadPath) {
    const keys = (await this._keys(bucket, prefix)).filter((key) => !key.endsWith('/'));
    await Promise.all(keys.map((key) => this.download(bucket, key, path.join(downloadPath, key))));
  }

  uploadStream(bucket, file) {
    const key = uniqueName(file);
    const writable = new stream.PassThrough();
    const promise = Promise.resolve()
      .then(() => this._putStream(bucket, key, writable))
      .then(() => key);
    return [writable, promise, key];
  }

  static get_instance() {
    if (!Object.prototype.hasOwnProperty.call(this, 'instance')) {
      this.instance = new this();
    }
    return this.instance;
  }
}

exports.ObjectStorage = ObjectStorage;
exports.collect = collect;
