// 110.dynamic-html: render an HTML page with a greeting and random numbers (mustache).
//
// Event: username (default "anonymous"), random_len (default 10), optional integer seed for
// reproducible numbers. Returns the page plus the inputs it used.
'use strict';

const fs = require('fs');
const path = require('path');
const Mustache = require('mustache');

const TEMPLATE_PATH = path.resolve(__dirname, 'templates', 'template.html');
const MAX_NUMBERS = 1000000;

// mulberry32: a small seeded PRNG, so a given seed always yields the same numbers.
function seededRandom(seed) {
  let a = seed >>> 0;
  return function () {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

exports.handler = async function (event) {
  const name = event.username === undefined ? 'anonymous' : String(event.username);
  const size = event.random_len === undefined ? 10 : event.random_len;
  if (!Number.isInteger(size) || size < 0 || size > MAX_NUMBERS) {
    throw new RangeError(`'random_len' must be an integer in [0, ${MAX_NUMBERS}], got ${JSON.stringify(size)}`);
  }
  const seed = event.seed === undefined ? null : event.seed;
  if (seed !== null && !Number.isInteger(seed)) {
    throw new TypeError(`'seed' must be an integer, got ${JSON.stringify(seed)}`);
  }
  const random = seed === null ? Math.random : seededRandom(seed);
  const randomNumbers = new Array(size);
  let sum = 0;
  for (let i = 0; i < size; ++i) {
    randomNumbers[i] = Math.floor(random() * MAX_NUMBERS);
    sum += randomNumbers[i];
  }
  const template = await fs.promises.readFile(TEMPLATE_PATH, 'utf-8');
  const html = Mustache.render(template, {
    cur_time: new Date().toLocaleString(),
    username: name,
    random_numbers: randomNumbers,
  });
  return { result: html, username: name, random_len: size, seed: seed, numbers_sum: sum };
};
