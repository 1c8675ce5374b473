'use strict';
// Run SQL through the psql client for integration tests (no npm dependencies).
// Output is unaligned, tuples only (-A -t), so each row is one line with
// fields separated by '|'.

const { spawn, spawnSync } = require('node:child_process');

// The superuser authenticates only by peer authentication as the cluster's OS owner
// (FREECOOP_TEST_PG_OS_USER, postgres, when the tests run as root): its commands run as
// that user. asOsUser(conninfo, argv) is the argv to run argv with conninfo's rights.
function asOsUser(conninfo, argv) {
  const os = process.env.FREECOOP_TEST_PG_OS_USER;
  if (os && conninfo === process.env.FREECOOP_TEST_CONNINFO_SUPER) return ['runuser', '-u', os, '--', ...argv];
  return argv;
}

// psql(conninfo, sql, {allowError, osUser}) -> {status, stdout, stderr}
// stdout is trimmed. Throws an Error carrying psql's stderr when psql fails,
// unless allowError is true. osUser runs psql as that OS user (root only).
function psql(conninfo, sql, opts = {}) {
  let argv = asOsUser(conninfo,
    ['psql', '-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-d', conninfo, '-c', sql]);
  if (opts.osUser) argv = ['runuser', '-u', opts.osUser, '--', ...argv];
  const r = spawnSync(argv[0], argv.slice(1),
    { encoding: 'utf8', env: { ...process.env, PGCONNECT_TIMEOUT: '10' }, cwd: '/' });
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

// An interactive psql session on conninfo (with its OS user, as asOsUser says), reading
// SQL from its stdin: for tests that hold a transaction open.
function psqlSession(conninfo) {
  const [cmd, ...args] = asOsUser(conninfo, ['psql', '-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-d', conninfo]);
  return spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], cwd: '/' });
}

// Runs sql (which takes locks) in a transaction of its own session on conninfo and holds
// it: resolves {pid, release} once sql has run, pid the session's backend; release()
// commits and waits for the session to end (killing it after 5 s).
function holdTransaction(conninfo, sql) {
  return new Promise((resolve, reject) => {
    const p = psqlSession(conninfo);
    let out = '';
    let err = '';
    const closed = new Promise((r) => p.on('close', r));
    const release = async () => {
      if (p.exitCode === null && !p.stdin.destroyed) p.stdin.end('COMMIT;\n');
      const timer = setTimeout(() => p.kill('SIGKILL'), 5000);
      await closed;
      clearTimeout(timer);
    };
    p.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/held (\d+)/);
      if (m) resolve({ pid: Number(m[1]), release });
    });
    p.stderr.on('data', (d) => { err += d; });
    p.on('close', (code) => reject(new Error(`psql lock session ended (${code}): ${err}`)));
    p.on('error', reject);
    p.stdin.write(`BEGIN;\n${sql};\nSELECT 'held ' || pg_backend_pid();\n`);
  });
}

module.exports = { psql, psqlRows, asOsUser, psqlSession, holdTransaction };
