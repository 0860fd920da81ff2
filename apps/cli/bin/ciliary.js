#!/usr/bin/env node
// Entry point kept in git so the `ciliary` bin link exists before the first build.
const { runCli } = require('../dist/index.js');

runCli(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`ciliary: ${err && err.message ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
