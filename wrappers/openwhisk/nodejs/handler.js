// faasforge wrapper for Apache OpenWhisk (Docker action), Node.js.
//
// exports.main(args) is the action entry point, as in SeBS's index.js: it awaits
// handler(args) from function/function.js and returns SeBS's measurement record. Run as a
// program, this file is the action's own runtime: it serves OpenWhisk's action protocol on port
// 8080 (POST /init → {ok: true}; POST /run with {value, activation_id, ...} → main's result), so
// the image works as a --docker action without uploading code.
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');

const COLD_MARKER = path.join('/tmp', 'cold_run');
const LOG_SENTINEL = 'XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX';

async function main(args) {
  const func = require('./function/function');
  const begin = Date.now() / 1000;
  const start = process.hrtime.bigint();
  const output = await func.handler(args);
  const computeTime = Number(process.hrtime.bigint() - start) / 1e3;
  const end = Date.now() / 1000;
  const isCold = !fs.existsSync(COLD_MARKER);
  if (isCold) fs.closeSync(fs.openSync(COLD_MARKER, 'w'));
  return {
    begin: begin,
    end: end,
    compute_time: computeTime,
    results_time: 0,
    is_cold: isCold,
    result: { output: output === undefined ? null : output },
    request_id: process.env.__OW_ACTIVATION_ID || '',
  };
}

exports.main = main;

function reply(res, status, payload) {
  const body = Buffer.from(JSON.stringify(payload));
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': body.length });
  res.end(body);
}

if (require.main === module) {
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', async () => {
      if (req.method !== 'POST') return reply(res, 405, { error: 'method not allowed' });
      if (req.url === '/init') return reply(res, 200, { ok: true }); // the code is baked in
      if (req.url !== '/run') return reply(res, 404, { error: 'no route ' + req.url });
      let status = 200;
      let result;
      try {
        const raw = Buffer.concat(chunks).toString('utf-8');
        const message = raw.trim() ? JSON.parse(raw) : {};
        for (const [key, value] of Object.entries(message)) {
          if (key !== 'value' && typeof value === 'string') process.env['__OW_' + key.toUpperCase()] = value;
        }
        result = await main(message.value || {});
      } catch (err) {
        console.error(err);
        status = 502;
        result = { error: `${err && err.name}: ${err && err.message}` };
      }
      console.log(LOG_SENTINEL);
      console.error(LOG_SENTINEL);
      reply(res, status, result);
    });
  });
  process.on('SIGTERM', () => process.exit(0));
  server.listen(parseInt(process.env.PORT || '8080', 10), '0.0.0.0');
}
