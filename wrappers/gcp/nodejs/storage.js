// Object storage on Google Cloud Storage: faasforge's storage helper for `gcp`.
//
// SeBS's interface:
//   unique_name(file)                      dir/name.ext -> dir/name.<8 hex>.ext
//   upload(bucket, file, filepath)         -> [uniqueName, Promise]
//   download(bucket, file, filepath)       -> Promise
//   downloadDirectory(bucket, prefix, dir) -> Promise (every object under prefix, to dir/<name>)
//   uploadStream(bucket, file)             -> [writable stream, Promise<uniqueName>, uniqueName]
//   downloadStream(bucket, file)           -> Promise<readable stream>
//
// Configuration is the client library's own (application default credentials, project);
// STORAGE_EMULATOR_HOST points it at an emulator.
'use strict';

const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const stream = require('stream');
const { pipeline } = require('stream/promises');

function uniqueName(file) {
  const name = path.posix.parse(file);
  const suffix = crypto.randomBytes(4).toString('hex');
  return path.posix.join(name.dir, `${name.name}.${suffix}${name.ext}`);
}

class storage {
  get client() {
    if (!this._client) {
      const { Storage } = require('@google-cloud/storage');
      this._client = new Storage();
    }
    return this._client;
  }

  _file(bucket, name) {
    return this.client.bucket(bucket).file(name);
  }

  unique_name(file) {
    return uniqueName(file);
  }

  upload(bucket, file, filepath) {
    const key = uniqueName(file);
    const promise = Promise.resolve()
      .then(() => this.client.bucket(bucket).upload(filepath, { destination: key, resumable: false }));
    return [key, promise];
  }

  async download(bucket, file, filepath) {
    await fs.promises.mkdir(path.dirname(path.resolve(filepath)), { recursive: true });
    await this._file(bucket, file).download({ destination: filepath });
  }

  async downloadDirectory(bucket, prefix, downloadPath) {
    const [files] = await this.client.bucket(bucket).getFiles({ prefix });
    const names = files.map((f) => f.name).filter((name) => !name.endsWith('/'));
    await Promise.all(names.map((name) => this.download(bucket, name, path.join(downloadPath, name))));
  }

  uploadStream(bucket, file) {
    const key = uniqueName(file);
    const writable = new stream.PassThrough();
    const promise = Promise.resolve()
      .then(() => pipeline(writable, this._file(bucket, key).createWriteStream({ resumable: false })))
      .then(() => key);
    return [writable, promise, key];
  }

  downloadStream(bucket, file) {
    return Promise.resolve().then(() => this._file(bucket, file).createReadStream());
  }

  static get_instance() {
    if (!storage.instance) {
      storage.instance = new storage();
    }
    return storage.instance;
  }
}

exports.storage = storage;
