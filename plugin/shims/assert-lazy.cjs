'use strict';
// Stands in for node:assert in yargs (SEA bundle only). yargs's two checks pass unless yargs has a
// bug, yet loading node:assert (with its diff and colour modules) costs ~2 ms at each start:
// it is loaded only when a check fails, and then fails the same way.
exports.strictEqual = (actual, expected, message) => {
  if (!Object.is(actual, expected)) require('node:assert').strictEqual(actual, expected, message);
};
exports.notStrictEqual = (actual, expected, message) => {
  if (Object.is(actual, expected)) require('node:assert').notStrictEqual(actual, expected, message);
};
