// Object storage on Google Cloud Storage: faasforge's storage helper for `gcp`.
//
// SeBS's interface (unique_name, upload, download, downloadDirectory, uploadStream,
// downloadStream, get_instance) comes from storage_base.js (wrappers/shared/object-storage/);
// this file holds Cloud Storage's calls.
//
// Configuration is the client library's own (application default credentials, project);
// STORAGE_EMULATOR_HOST points it at an emulator.
'use strict';

const { pipeline } = require('stream/promises');
const { ObjectStorage } = require('./storage_base');

class storage extends ObjectStorage {
  _connect() {
    const { Storage } = require('@google-cloud/storage');
    return new Storage();
  }

  _file(bucket, name) {
    return this.client.bucket(bucket).file(name);
  }

  _putFile(bucket, key, filepath) {
    return this.client.bucket(bucket).upload(filepath, { destination: key, resumable: false });
  }

  _getFile(bucket, key, filepath) {
    return this._file(bucket, key).download({ destination: filepath });
  }

  async _keys(bucket, prefix) {
    const [files] = await this.client.bucket(bucket).getFiles({ prefix });
    return files.map((f) => f.name);
  }

  _putStream(bucket, key, readable) {
    return pipeline(readable, this._file(bucket, key).createWriteStream({ resumable: false }));
  }

  downloadStream(bucket, file) {
    return Promise.resolve().then(() => this._file(bucket, file).createReadStream());
  }
}

exports.storage = storage;
