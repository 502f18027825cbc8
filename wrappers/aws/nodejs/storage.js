// Object storage on Amazon S3 (AWS SDK for JavaScript v3): faasforge's storage helper for `aws`.
//
// SeBS's interface:
//   unique_name(file)                      dir/name.ext -> dir/name.<8 hex>.ext
//   upload(bucket, file, filepath)         -> [uniqueName, Promise]
//   download(bucket, file, filepath)       -> Promise
//   downloadDirectory(bucket, prefix, dir) -> Promise (every object under prefix, to dir/<key>)
//   uploadStream(bucket, file)             -> [writable stream, Promise<uniqueName>, uniqueName]
//   downloadStream(bucket, file)           -> Promise<readable stream>
//
// Configuration is the SDK's own: the function's role and AWS_REGION; AWS_ENDPOINT_URL_S3 /
// AWS_ENDPOINT_URL point it at another S3 server.
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

// Streams of unknown length are collected before the PutObject (S3 wants a Content-Length).
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
      const { S3Client } = require('@aws-sdk/client-s3');
      this._client = new S3Client({});
    }
    return this._client;
  }

  _send(command, input) {
    const s3 = require('@aws-sdk/client-s3');
    return this.client.send(new s3[command](input));
  }

  unique_name(file) {
    return uniqueName(file);
  }

  upload(bucket, file, filepath) {
    const key = uniqueName(file);
    const promise = fs.promises.readFile(filepath)
      .then((body) => this._send('PutObjectCommand', { Bucket: bucket, Key: key, Body: body }));
    return [key, promise];
  }

  async download(bucket, file, filepath) {
    await fs.promises.mkdir(path.dirname(path.resolve(filepath)), { recursive: true });
    const answer = await this._send('GetObjectCommand', { Bucket: bucket, Key: file });
    await pipeline(answer.Body, fs.createWriteStream(filepath));
  }

  async downloadDirectory(bucket, prefix, downloadPath) {
    const keys = [];
    let token;
    do {
      const page = await this._send('ListObjectsV2Command', { Bucket: bucket, Prefix: prefix, ContinuationToken: token });
      for (const obj of page.Contents || []) {
        if (!obj.Key.endsWith('/')) keys.push(obj.Key);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    if (keys.length === 0) {
      throw new Error(`storage: no objects in bucket ${JSON.stringify(bucket)} under prefix ${JSON.stringify(prefix)}`);
    }
    await Promise.all(keys.map((key) => this.download(bucket, key, path.join(downloadPath, key))));
  }

  uploadStream(bucket, file) {
    const key = uniqueName(file);
    const writable = new stream.PassThrough();
    const promise = collect(writable)
      .then((body) => this._send('PutObjectCommand', { Bucket: bucket, Key: key, Body: body }))
      .then(() => key);
    return [writable, promise, key];
  }

  downloadStream(bucket, file) {
    return this._send('GetObjectCommand', { Bucket: bucket, Key: file }).then((answer) => answer.Body);
  }

  static get_instance() {
    if (!storage.instance) {
      storage.instance = new storage();
    }
    return storage.instance;
  }
}

exports.storage = storage;
