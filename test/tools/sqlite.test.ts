/**
 * sqlite3 through the mount: 10,000 rows in a few transactions, an index, updates and deletes;
 * the database then passes `PRAGMA integrity_check`, reopened in a new process and read straight
 * from the store behind the mount, and dumps the same SQL as the same work natively. Rollback
 * journal on /local, /obj and /ipfs, WAL on /local.
 */
import { readdir } from 'node:fs/promises'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { type Target, ok, onMount } from '../support/tools.ts'

const test = suite('tools: sqlite3')

const BATCHES = 5
const PER_BATCH = 2000

function script(journal: 'delete' | 'wal'): string {
  const lines = [`PRAGMA journal_mode=${journal};`, 'CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL, n INTEGER);']
  for (let b = 0; b < BATCHES; b++) {
    lines.push('BEGIN;')
    for (let i = 1; i <= PER_BATCH; i++) {
      const id = b * PER_BATCH + i
      lines.push(`INSERT INTO t(v, n) VALUES('row ${id} ${'x'.repeat(id % 200)}', ${id});`)
    }
    lines.push('COMMIT;')
  }
  // Pages rewritten and freed, an index built over them, a rolled-back transaction.
  lines.push('BEGIN; UPDATE t SET n = n * 2 WHERE id % 3 = 0; DELETE FROM t WHERE id % 7 = 0; COMMIT;')
  lines.push('CREATE INDEX t_n ON t(n);')
  lines.push('BEGIN; DELETE FROM t; ROLLBACK;')
  lines.push(`INSERT INTO t(v, n) SELECT 'again ' || id, id FROM t WHERE id % 7 = 1 LIMIT ${Math.floor((BATCHES * PER_BATCH) / 7)};`)
  lines.push('PRAGMA integrity_check;', 'SELECT count(*) FROM t;')
  return lines.join('\n')
}

const ROWS = BATCHES * PER_BATCH

async function check(dir: string, file: string): Promise<string> {
  return ok('sqlite3', [file, 'PRAGMA integrity_check;', 'PRAGMA journal_mode;', 'SELECT count(*), sum(n), max(id) FROM t;'], { cwd: dir })
}

const cases: [Target, 'delete' | 'wal'][] = [
  ['local', 'delete'],
  ['local', 'wal'],
  ['obj', 'delete'],
  ['ipfs', 'delete'],
]

for (const [t, journal] of cases) {
  test(`sqlite3 on /${t}, journal_mode=${journal}: 10,000 rows in transactions, integrity ok, same dump as natively`, () =>
    onMount(async ({ at, native, store }) => {
      const outputs: string[] = []
      for (const dir of [native, at(t)]) {
        outputs.push(await ok('sqlite3', ['db.sqlite'], { cwd: dir, input: script(journal), timeoutMs: 60_000 }))
      }
      assert.is(outputs[0], `${journal}\nok\n${ROWS}\n`)
      assert.is(outputs[1], outputs[0])
      // A new process, the journal gone: what the mount and the store hold is a whole database.
      const want = await check(native, 'db.sqlite')
      assert.match(want, new RegExp(`^ok\\n${journal}\\n${ROWS}\\|`))
      assert.is(await check(at(t), 'db.sqlite'), want)
      assert.is(await check(await store(t), 'db.sqlite'), want)
      const dump = await ok('sqlite3', ['db.sqlite', '.dump'], { cwd: native })
      assert.ok(dump.length > 500_000, `a dump of ${dump.length} bytes`)
      assert.ok((await ok('sqlite3', ['db.sqlite', '.dump'], { cwd: at(t) })) === dump, '.dump through the mount equals the native one')
      assert.equal(await readdir(at(t)), ['db.sqlite'], 'no journal or WAL left behind')
    }))
}

test('sqlite3 on /local: a WAL reader sees committed rows while the writer keeps the database open', () =>
  onMount(async ({ at }) => {
    const dir = at('local')
    await ok('sqlite3', ['db.sqlite', 'PRAGMA journal_mode=wal;', 'CREATE TABLE t(x);'], { cwd: dir })
    // One process writes and, before it exits, a second process reads through the -shm index.
    const writer = ['PRAGMA journal_mode=wal;', 'BEGIN;', ...Array.from({ length: 500 }, (_, i) => `INSERT INTO t VALUES(${i});`), 'COMMIT;', '.shell sqlite3 db.sqlite "SELECT count(*) FROM t;"', 'SELECT count(*) FROM t;'].join('\n')
    assert.is(await ok('sqlite3', ['db.sqlite'], { cwd: dir, input: writer }), 'wal\n500\n500\n')
  }))

test.run()
