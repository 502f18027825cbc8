// Test driver: runs one scenario against a faasforge Node.js helper and prints a JSON report.
// usage: node drive.js storage|nosql <helper.js> <json arguments>
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');

function readAll(readable) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    readable.on('data', (c) => chunks.push(Buffer.from(c)));
    readable.on('end', () => resolve(Buffer.concat(chunks)));
    readable.on('error', reject);
  });
}

async function storageScenario(helper, args) {
  const Storage = require(helper).storage;
  const client = Storage.get_instance();
  const report = { singleton: Storage.get_instance() === client, constructed: typeof new Storage().upload };
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'faasforge-drive-'));
  const source = path.join(work, 'photo.jpg');
  fs.writeFileSync(source, 'not really a jpeg');
  const [uploaded, done] = client.upload(args.bucket, 'input/photo.jpg', source);
  await done;
  const [writable, promise, streamedName] = client.uploadStream(args.bucket, 'output/result.txt');
  writable.write('from ');
  writable.end('a stream');
  const streamed = await promise;
  const back = (await readAll(await client.downloadStream(args.bucket, streamed))).toString();
  const copy = path.join(work, 'nested', 'copy.jpg');
  await client.download(args.bucket, uploaded, copy);
  const directory = path.join(work, 'directory');
  await client.downloadDirectory(args.bucket, args.prefix, directory);
  const files = {};
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else files[path.relative(directory, full).split(path.sep).join('/')] = fs.readFileSync(full, 'utf8');
    }
  };
  walk(directory);
  Object.assign(report, {
    uploaded, streamed, streamedName, back, copy: fs.readFileSync(copy, 'utf8'), files,
    unique: client.unique_name('dir/name.ext'),
  });
  fs.rmSync(work, { recursive: true, force: true });
  return report;
}

async function nosqlScenario(helper) {
  const db = require(helper).nosql.get_instance();
  const cart = ['cart_id', 'c1'];
  await db.insert('shopping_cart', cart, ['product_id', 'p1'], { name: 'Tea', price: 2.5, quantity: 3 });
  await db.insert('shopping_cart', cart, ['product_id', 'p2'], { name: 'Cup', price: 7, quantity: 1 });
  await db.insert('shopping_cart', ['cart_id', 'c2'], ['product_id', 'p1'], { name: 'Pot', price: 30, quantity: 1 });
  const report = {};
  report.get = await db.get('shopping_cart', cart, ['product_id', 'p1']);
  report.query = (await db.query('shopping_cart', cart, 'product_id')).map((i) => i.product_id).sort();
  await db.update('shopping_cart', cart, ['product_id', 'p2'], { status: 'paid', name: 'Mug' });
  report.updated = await db.get('shopping_cart', cart, ['product_id', 'p2']);
  await db.delete('shopping_cart', cart, ['product_id', 'p1']);
  report.deleted = await db.get('shopping_cart', cart, ['product_id', 'p1']);
  report.after = (await db.query('shopping_cart', cart, 'product_id')).map((i) => i.product_id);
  return report;
}

async function main() {
  const [scenario, helper, raw] = process.argv.slice(2);
  const args = JSON.parse(raw || '{}');
  const report = scenario === 'storage' ? await storageScenario(helper, args) : await nosqlScenario(helper, args);
  process.stdout.write(JSON.stringify(report) + '\n');
}

main().catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
