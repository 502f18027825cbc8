// faasforge's action runtime for Apache OpenWhisk (Docker action), Node.js.
//
// This file is the action runtime (OpenWhisk's action interface on $PORT, 8080
// by default): POST /init with {value: {code, binary, main, env}} loads the code it is given (a
// base64 zip with index.js or package.json's main when `binary`, else the source text) and its
// `main`; with no code it takes the action baked into the image: index.js beside this file
// (faasforge's, or SeBS's when its wrapper is used). POST /run with {value: params, activation_id, ...}
// sets __OW_* variables and answers the action's result.
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');
const zlib = require('zlib');

const ACTION_DIR = process.env.FAASFORGE_ACTION_DIR || '/tmp/faasforge-action';
const LOG_SENTINEL = 'XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX';

// ---------------------------------------------------------------------------- action runtime
function unzip(buffer, target) { // stored and deflated entries, as `zip` writes them
  let eocd = buffer.length - 22;
  while (eocd >= 0 && buffer.readUInt32LE(eocd) !== 0x06054b50) eocd -= 1;
  if (eocd < 0) throw new Error('the code is not a zip file');
  const count = buffer.readUInt16LE(eocd + 10);
  let offset = buffer.readUInt32LE(eocd + 16);
  for (let i = 0; i < count; i += 1) {
    if (buffer.readUInt32LE(offset) !== 0x02014b50) throw new Error('corrupt zip central directory');
    const method = buffer.readUInt16LE(offset + 10);
    const size = buffer.readUInt32LE(offset + 20);
    const nameLength = buffer.readUInt16LE(offset + 28);
    const extraLength = buffer.readUInt16LE(offset + 30);
    const commentLength = buffer.readUInt16LE(offset + 32);
    const local = buffer.readUInt32LE(offset + 42);
    const name = buffer.toString('utf-8', offset + 46, offset + 46 + nameLength);
    offset += 46 + nameLength + extraLength + commentLength;
    const dest = path.resolve(target, name);
    if (!dest.startsWith(path.resolve(target) + path.sep)) throw new Error(`zip entry ${name} escapes the action`);
    if (name.endsWith('/')) {
      fs.mkdirSync(dest, { recursive: true });
      continue;
    }
    const dataStart = local + 30 + buffer.readUInt16LE(local + 26) + buffer.readUInt16LE(local + 28);
    const data = buffer.subarray(dataStart, dataStart + size);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    if (method === 0) fs.writeFileSync(dest, data);
    else if (method === 8) fs.writeFileSync(dest, zlib.inflateRawSync(data));
    else throw new Error(`zip entry ${name} uses compression method ${method}`);
  }
}

function loadCode(code, binary) {
  fs.mkdirSync(ACTION_DIR, { recursive: true });
  let entry = path.join(ACTION_DIR, 'index.js');
  if (binary) {
    unzip(Buffer.from(code, 'base64'), ACTION_DIR);
    const pkg = path.join(ACTION_DIR, 'package.json');
    if (fs.existsSync(pkg)) entry = path.resolve(ACTION_DIR, JSON.parse(fs.readFileSync(pkg, 'utf-8')).main || 'index.js');
  } else {
    fs.writeFileSync(entry, code);
  }
  if (!fs.existsSync(entry)) throw new Error('the zip file has no index.js');
  return require(entry);
}

const runtime = { action: null };

function initialize(value) {
  if (runtime.action !== null) {
    const err = new Error('Cannot initialize the action more than once.');
    err.status = 403;
    throw err;
  }
  const env = value.env || {};
  for (const [key, item] of Object.entries(env)) process.env[key] = typeof item === 'string' ? item : JSON.stringify(item);
  const entry = value.main || 'main';
  let module;
  if (value.code) module = loadCode(value.code, Boolean(value.binary));
  else if (fs.existsSync(path.join(__dirname, 'index.js'))) module = require(path.join(__dirname, 'index.js'));
  else throw new Error('no code given and no index.js in the image');
  if (typeof module[entry] !== 'function') throw new Error(`the action has no function ${entry}`);
  runtime.action = module[entry];
}

function reply(res, status, payload) {
  const body = Buffer.from(JSON.stringify(payload));
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': body.length });
  res.end(body);
}

async function run(message) {
  if (runtime.action === null) return [403, { error: 'Cannot invoke an uninitialized action.' }];
  for (const [key, value] of Object.entries(message)) {
    if (key !== 'value' && typeof value === 'string') process.env['__OW_' + key.toUpperCase()] = value;
  }
  try {
    const result = await runtime.action(message.value || {});
    if (result === null || typeof result !== 'object' || Array.isArray(result)) {
      return [502, { error: 'The action did not return a dictionary.' }];
    }
    return [200, result];
  } catch (err) {
    console.error(err);
    return [502, { error: `${err && err.name}: ${err && err.message}` }];
  } finally {
    console.log(LOG_SENTINEL);
    console.error(LOG_SENTINEL);
  }
}

if (require.main === module) {
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', async () => {
      if (req.method !== 'POST') return reply(res, 405, { error: 'method not allowed' });
      let message;
      try {
        const raw = Buffer.concat(chunks).toString('utf-8');
        message = raw.trim() ? JSON.parse(raw) : {};
        if (message === null || typeof message !== 'object' || Array.isArray(message)) throw new Error('not an object');
      } catch (err) {
        return reply(res, 400, { error: 'body is not a JSON object: ' + err.message });
      }
      if (req.url === '/init') {
        try {
          initialize(message.value || {});
        } catch (err) {
          console.error(err);
          return reply(res, err.status || 502, {
            error: err.status ? err.message : 'Initialization has failed due to: ' + err.message,
          });
        }
        return reply(res, 200, { ok: true });
      }
      if (req.url === '/run') {
        const [status, payload] = await run(message);
        return reply(res, status, payload);
      }
      return reply(res, 404, { error: 'no route ' + req.url });
    });
  });
  process.on('SIGTERM', () => process.exit(0));
  server.listen(parseInt(process.env.PORT || '8080', 10), '0.0.0.0');
}
