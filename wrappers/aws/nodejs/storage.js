// Object storage on Amazon S3 (AWS SDK for JavaScript v3): faasforge's storage helper for `aws`.
//
// SeBS's interface (unique_name, upload, download, downloadDirectory, uploadStream,
// downloadStream, get_instance) comes from storage_base.js (wrappers/shared/object-storage/);
// this file holds S3's calls.
//
// Configuration is the SDK's own: the function's role and AWS_REGION; AWS_ENDPOINT_URL_S3 /
// AWS_ENDPOINT_URL point it at another S3 server.
'use strict';

const fs = require('fs');
const { pipeline } = require('stream/promises');
const { ObjectStorage, collect } = require('./storage_base');

class storage extends ObjectStorage {
  _connect() {
    const { S3Client } = require('@aws-sdk/client-s3');
    return new S3Client({});
  }

  _send(command, input) {
    const s3 = require('@aws-sdk/client-s3');
    return this.client.send(new s3[command](input));
  }

  async _putFile(bucket, key, filepath) {
    const body = await fs.promises.readFile(filepath);
    await this._send('PutObjectCommand', { Bucket: bucket, Key: key, Body: body });
  }

  async _getFile(bucket, key, filepath) {
    const answer = await this._send('GetObjectCommand', { Bucket: bucket, Key: key });
    await pipeline(answer.Body, fs.createWriteStream(filepath));
  }

  async _keys(bucket, prefix) {
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
    return keys;
  }

  // Streams of unknown length are collected before the PutObject (S3 wants a Content-Length).
  async _putStream(bucket, key, readable) {
    const body = await collect(readable);
    await this._send('PutObjectCommand', { Bucket: bucket, Key: key, Body: body });
  }

  downloadStream(bucket, file) {
    return this._send('GetObjectCommand', { Bucket: bucket, Key: file }).then((answer) => answer.Body);
  }
}

exports.storage = storage;
