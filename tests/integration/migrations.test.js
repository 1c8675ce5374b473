'use strict';
// The schema contract: migrations apply idempotently and concurrently under their advisory
// lock, and a server refuses to start on (and /readyz reports) a schema it does not expect:
// a changed migration, or one it does not know.

const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const h = require('./lib/harness');
const { asOsUser } = require('./lib/psql');

const SUPER = h.env('FREECOOP_TEST_CONNINFO_SUPER');

// Runs `api-server --migrate CONNINFO`; resolves with {code, out}.
function migrate() {
  return new Promise((resolve) => {
    const [cmd, ...args] = asOsUser(SUPER, [h.env('FREECOOP_BIN'), '--migrate', SUPER]);
    const p = spawn(cmd, args, { cwd: '/' });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { out += d; });
    p.on('close', (code) => resolve({ code, out })); // 'close': the output is all read
  });
}

// Runs fn with the recorded checksum of migration `version` replaced, then restores it.
async function withChecksum(version, sha, fn) {
  const orig = h.superSql(`SELECT sha256 FROM public.schema_migrations WHERE version = ${version}`);
  assert.match(orig, /^[0-9a-f]{64}$/, 'the recorded checksum');
  h.superSql(`UPDATE public.schema_migrations SET sha256 = '${sha}' WHERE version = ${version}`);
  try {
    await fn();
  } finally {
    h.superSql(`UPDATE public.schema_migrations SET sha256 = '${orig}' WHERE version = ${version}`);
  }
}

// Runs fn with an extra migration row recorded, then removes it.
async function withUnknownMigration(fn) {
  h.superSql("INSERT INTO public.schema_migrations (version, name, sha256) VALUES (9999, 'from_the_future', repeat('a', 64))");
  try {
    await fn();
  } finally {
    h.superSql('DELETE FROM public.schema_migrations WHERE version = 9999');
  }
}

async function assertRefuses(pattern) {
  const r = await h.runServerUntilExit({}, 15000);
  assert.ok(!r.timedOut, `the server kept running; log:\n${r.logs.join('\n')}`);
  assert.notEqual(r.code, 0, 'exit code');
  assert.equal(r.answered, false, 'it answered requests on a schema it does not expect');
  assert.ok(r.logs.some((l) => pattern.test(l)), `no log line matches ${pattern}; log:\n${r.logs.join('\n')}`);
}

describe('migrations and the schema contract', () => {
  it('applying again changes nothing, and concurrent runs serialise on the lock', async () => {
    const before = h.superSql('SELECT count(*) FROM public.schema_migrations');
    const runs = await Promise.all([migrate(), migrate(), migrate()]);
    for (const r of runs) {
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /0 migrations applied now/, r.out);
    }
    assert.equal(h.superSql('SELECT count(*) FROM public.schema_migrations'), before);
  });

  it('refuses to start when an applied migration was changed', async () => {
    await withChecksum(1, '0'.repeat(64), () => assertRefuses(/changed after it was applied/));
  });

  it('refuses to start on a schema newer than the server', async () => {
    await withUnknownMigration(() => assertRefuses(/does not know/));
  });

  it('--migrate refuses to build on a changed migration', async () => {
    await withChecksum(1, '0'.repeat(64), async () => {
      const r = await migrate();
      assert.notEqual(r.code, 0, r.out);
      assert.match(r.out, /changed after it was applied/);
    });
  });

  it('/readyz turns 503 with migrations "mismatch" when the schema changes under a running server', async () => {
    const server = await h.startServer();
    try {
      await withUnknownMigration(async () => {
        const r = await h.api(server, 'GET', '/readyz');
        h.assertProblem(r, 503, 'not-ready', '/readyz on a newer schema');
        assert.equal(r.json.checks.migrations, 'mismatch');
        assert.equal(r.json.checks.database, 'ok');
      });
      const ok = await h.api(server, 'GET', '/readyz');
      assert.equal(ok.status, 200, ok.text);
    } finally {
      assert.equal(await server.stop(), 0, 'api-server exit code after SIGTERM');
    }
  });
});
