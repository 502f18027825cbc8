// 215.thumbnail: read a JPEG from object storage, shrink it to fit a box, store a JPEG back.
// Plain JavaScript (jpeg-js decodes and encodes; the resize is a box filter), no native modules.
//
// Event: {bucket: {bucket, input, output}, object: {key, width, height}}.
// Returns {result: {bucket, key}, measurement: {...}}; key is the stored thumbnail.
'use strict';

const path = require('path');
const jpeg = require('jpeg-js');
const storage = require('./storage');

const client = storage.storage.get_instance();

function readAll(readable) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    readable.on('data', (chunk) => chunks.push(Buffer.from(chunk)));
    readable.on('end', () => resolve(Buffer.concat(chunks)));
    readable.on('error', reject);
  });
}

// The size that fits (maxWidth, maxHeight) keeping the aspect ratio, never enlarging (as Pillow's thumbnail).
function fit(width, height, maxWidth, maxHeight) {
  const scale = Math.min(1, maxWidth / width, maxHeight / height);
  return [Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale))];
}

// Each target pixel is the mean of the source pixels it covers.
function shrink(image, width, height) {
  const out = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    const y0 = Math.floor((y * image.height) / height);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * image.height) / height));
    for (let x = 0; x < width; x++) {
      const x0 = Math.floor((x * image.width) / width);
      const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * image.width) / width));
      const sum = [0, 0, 0];
      for (let sy = y0; sy < y1; sy++) {
        for (let sx = x0; sx < x1; sx++) {
          const i = (sy * image.width + sx) * 4;
          sum[0] += image.data[i];
          sum[1] += image.data[i + 1];
          sum[2] += image.data[i + 2];
        }
      }
      const count = (y1 - y0) * (x1 - x0);
      const o = (y * width + x) * 4;
      out[o] = sum[0] / count;
      out[o + 1] = sum[1] / count;
      out[o + 2] = sum[2] / count;
      out[o + 3] = 255;
    }
  }
  return { width, height, data: out };
}

exports.handler = async function (event) {
  const bucket = event.bucket.bucket;
  const key = event.object.key;
  const stem = path.posix.parse(key).name;
  const inputKey = `${event.bucket.input.replace(/\/+$/, '')}/${key}`;
  const outputKey = `${event.bucket.output.replace(/\/+$/, '')}/${stem}.jpg`;

  const started = process.hrtime.bigint();
  const original = await readAll(await client.downloadStream(bucket, inputKey));
  const downloaded = process.hrtime.bigint();
  const image = jpeg.decode(original, { useTArray: true, formatAsRGBA: true });
  const [width, height] = fit(image.width, image.height, Number(event.object.width), Number(event.object.height));
  const thumbnail = jpeg.encode(shrink(image, width, height), 85).data;
  const processed = process.hrtime.bigint();
  const [writable, promise] = client.uploadStream(bucket, outputKey);
  writable.end(thumbnail);
  const stored = await promise;
  const uploaded = process.hrtime.bigint();

  const micros = (a, b) => Number(b - a) / 1e3;
  return {
    result: { bucket, key: stored },
    measurement: {
      download_time: micros(started, downloaded),
      download_size: original.length,
      compute_time: micros(downloaded, processed),
      upload_time: micros(processed, uploaded),
      upload_size: thumbnail.length,
      width,
      height,
    },
  };
};
