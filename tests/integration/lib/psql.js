'use strict';
// Run SQL through the psql client for integration tests (no npm dependencies).
// Output is unaligned, tuples only (-A -t), so each row is one line with
// fields separated by '|'.

const { spawnSync } = require('node:child_process');

// psql(conninfo, sql, {allowError}) -> {status, stdout, stderr}
// stdout is trimmed. Throws an Error carrying psql's stderr when psql fails,
// unless allowError is true.
function psql(conninfo, sql, opts = {}) {
  const r = spawnSync(
    'psql',
    ['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-d', conninfo, '-c', sql],
    { encoding: 'utf8', env: { ...process.env, PGCONNECT_TIMEOUT: '10' } },
  );
  if (r.error) throw new Error(`could not run psql: ${r.error.message}`);
  const res = { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
  if (res.status !== 0 && !opts.allowError) {
    throw new Error(`psql failed (exit ${res.status}): ${res.stderr.trim()}`);
  }
  return res;
}

// psqlRows(conninfo, sql) -> array of rows, each an array of text fields.
// Fields containing '|' or newlines cannot be told apart; keep queries simple.
function psqlRows(conninfo, sql) {
  const out = psql(conninfo, sql).stdout;
  if (out === '') return [];
  return out.split('\n').map((line) => line.split('|'));
}

module.exports = { psql, psqlRows };
