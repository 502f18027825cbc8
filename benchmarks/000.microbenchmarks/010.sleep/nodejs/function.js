// 010.sleep: sleep for event.sleep seconds (default 0) and report it.
'use strict';

exports.handler = async function (event) {
  const seconds = event.sleep === undefined || event.sleep === null ? 0 : event.sleep;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) {
    throw new TypeError(`'sleep' must be a number of seconds, got ${JSON.stringify(seconds)}`);
  }
  if (seconds < 0) {
    throw new RangeError(`'sleep' must not be negative, got ${seconds}`);
  }
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  return { result: seconds };
};
