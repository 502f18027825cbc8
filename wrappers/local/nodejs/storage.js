// Object storage for the `local` platform: buckets are folders under one directory.
//
// Same interface as SeBS's storage wrappers (storage.get_instance(), upload, download,
// uploadStream, downloadStream), so benchmarks doing require('./storage') run unchanged.
// The root is $FAASFORGE_STORAGE_DIR (default /tmp/storage); bucket b, key k → {root}/b/k.
'use strict';

const fs = require('fs');
const path = require('path');
const crypto = require('crypto');

class storage {
  constructor(root) {
    this.root = path.resolve(root || process.env.FAASFORGE_STORAGE_DIR || '/tmp/storage');
  }

  unique_name(file) {
    const name = path.parse(file);
    const suffix = crypto.randomBytes(4).toString('hex');
    return path.posix.join(name.dir, `${name.name}.${suffix}${name.ext}`);
  }

  _path(bucket, key) {
    const bucketDir = path.resolve(this.root, bucket);
    if (bucketDir === this.root || !bucketDir.startsWith(this.root + path.sep)) {
      throw new Error(`invalid bucket name ${JSON.stringify(bucket)}`);
    }
    if (!key) return bucketDir;
    const full = path.resolve(bucketDir, key);
    if (!full.startsWith(bucketDir + path.sep)) {
      throw new Error(`key ${JSON.stringify(key)} escapes bucket ${JSON.stringify(bucket)}`);
    }
    return full;
  }

  // Returns [uniqueName, promise], like SeBS.
  upload(bucket, file, filepath) {
    const key = this.unique_name(file);
    const dest = this._path(bucket, key);
    const promise = fs.promises.mkdir(path.dirname(dest), { recursive: true })
      .then(() => fs.promises.copyFile(filepath, dest));
    return [key, promise];
  }

  download(bucket, file, filepath) {
    const source = this._path(bucket, file);
    return fs.promises.mkdir(path.dirname(path.resolve(filepath)), { recursive: true })
      .then(() => fs.promises.copyFile(source, filepath));
  }

  // Returns [writeStream, promise, uniqueName], like SeBS; the promise settles when the stream ends.
  uploadStream(bucket, file) {
    const key = this.unique_name(file);
    const dest = this._path(bucket, key);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    const stream = fs.createWriteStream(dest);
    const promise = new Promise((resolve, reject) => {
      stream.on('finish', () => resolve(key));
      stream.on('error', reject);
    });
    return [stream, promise, key];
  }

  // Resolves to a readable stream, like SeBS's minio getObject.
  downloadStream(bucket, file) {
    const source = this._path(bucket, file);
    return fs.promises.access(source, fs.constants.R_OK).then(() => fs.createReadStream(source));
  }

  static get_instance() {
    if (!this.instance) {
      this.instance = new storage();
    }
    return this.instance;
  }
}

exports.storage = storage;
