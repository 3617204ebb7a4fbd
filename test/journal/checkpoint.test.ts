/**
 * Checkpoints on a real Service (Vfs, state database, journal, Helia engine; no FUSE):
 * create → change → diff shows exactly the changes → restore brings back bytes, modes and mtimes,
 * in place and into another mount; ids and labels; the journal sequence; automatic checkpoints
 * with `keep`. The same through the CLI and a mounted daemon: checkpoint-cli.test.ts.
 */
import { execFileSync } from 'node:child_process'
import { chmod, mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { parseConfig } from '../../src/cli/config.ts'
import { Service } from '../../src/cli/service.ts'
import type { Checkpoint } from '../../src/journal/checkpoints/store.ts'

interface Ctx {
  dir: string
  local: string
  other: string
  service: Service
  call(method: string, params?: unknown): Promise<unknown>
}

const test = suite<Ctx>('checkpoint', {} as Ctx)

async function open(c: Ctx, extra = ''): Promise<void> {
  const yaml = `mounts:\n  /local: { type: local, root: ${c.local} }\n  /other: { type: local, root: ${c.other} }\n  /ipfs: { type: ipfs }\n${extra}`
  c.service = await Service.open(parseConfig(yaml, 'test', { stateDir: join(c.dir, 'state') }))
  c.call = (method, params = {}) => {
    const fn = c.service.methods[method]
    if (!fn) throw new Error(`no method ${method}`)
    return fn(params, { signal: new AbortController().signal, progress: () => {} })
  }
}

test.before.each(async (c) => {
  c.dir = await mkdtemp(join(tmpdir(), 'ipfs-vfs-cp-'))
  c.local = join(c.dir, 'local')
  c.other = join(c.dir, 'other')
  await mkdir(join(c.local, 'proj/sub/deep'), { recursive: true })
  await mkdir(c.other)
  await writeFile(join(c.local, 'proj/a.txt'), 'alpha\n')
  await writeFile(join(c.local, 'proj/empty'), '')
  await writeFile(join(c.local, 'proj/sub/big.bin'), Buffer.alloc(2 * 1024 * 1024 + 5, 3))
  await writeFile(join(c.local, 'proj/sub/deep/x'), 'x')
  await symlink('a.txt', join(c.local, 'proj/link'))
  await chmod(join(c.local, 'proj/a.txt'), 0o640)
  await utimes(join(c.local, 'proj/sub/big.bin'), 1_500_000_000, 1_500_000_000.125)
  await open(c)
})

test.after.each(async (c) => {
  await c.service.close()
  await rm(c.dir, { recursive: true, force: true })
})

/** Every entry below `dir` with its type, mode, size, mtime (ns) and sha of its bytes: equal trees print the same. */
function manifest(dir: string): string {
  return execFileSync('sh', ['-c', `cd "${dir}" && find . -mindepth 1 -printf '%p %y %m %s %T@\\n' | sort && find . -type f -exec sha256sum {} + | sort`], { encoding: 'utf8' })
}

test('create, change, diff shows exactly the changes, restore brings back bytes, modes and mtimes', async (c) => {
  const before = manifest(join(c.local, 'proj'))
  const cp = (await c.call('checkpoint.create', { paths: ['/local/proj'], label: 'before' })) as Checkpoint
  assert.is(cp.id, 1)
  assert.is(cp.label, 'before')
  assert.ok(cp.roots['/local/proj']?.startsWith('bafy'))
  assert.ok(cp.seq > 0, 'the journal sequence is recorded')
  // Changes through the Vfs (journaled) and behind its back.
  await writeFile(join(c.local, 'proj/a.txt'), 'changed\n')
  await c.service.vfs.unlink('/local/proj/sub/deep/x')
  await c.service.vfs.chmod('/local/proj/empty', 0o600)
  await writeFile(join(c.local, 'proj/new.txt'), 'new')
  await rm(join(c.local, 'proj/sub/deep'), { recursive: true })
  const { changes } = (await c.call('checkpoint.diff', { a: 1, b: 'current' })) as { changes: unknown[] }
  assert.equal(changes, [
    { path: '/local/proj/a.txt', change: 'modified' },
    { path: '/local/proj/empty', change: 'modified' },
    { path: '/local/proj/new.txt', change: 'added' },
    { path: '/local/proj/sub/deep', change: 'removed' },
  ])
  assert.equal(((await c.call('checkpoint.list')) as { checkpoints: unknown[] }).checkpoints.length, 1, 'diff against current records nothing')
  const r = (await c.call('checkpoint.restore', { id: 'before', delete: true })) as { files: number; deleted: number; unchanged: number }
  assert.is(r.files, 3, 'a.txt, empty and sub/deep/x rewritten')
  assert.is(r.deleted, 1, 'new.txt removed')
  assert.is(r.unchanged, 2, 'big.bin and the link left alone')
  assert.is(manifest(join(c.local, 'proj')), before)
  const again = (await c.call('checkpoint.diff', { a: 1, b: 'current' })) as { changes: unknown[] }
  assert.equal(again.changes, [])
  // Both are journal entries of their own, with their outcome.
  const { entries } = (await c.call('journal.list', { since: 0, limit: 1000 })) as { entries: { seq: number; op: string; status: string; paths: string[]; result?: Record<string, unknown> }[] }
  const mine = entries.filter((e) => e.op === 'checkpoint' || e.op === 'restore')
  assert.equal(
    mine.map((e) => [e.op, e.status, e.paths.join(' ')]),
    [
      ['checkpoint', 'ok', '/local/proj'],
      ['restore', 'ok', '/local/proj'],
    ],
  )
  assert.is(mine[0]?.seq, cp.seq)
  assert.is(mine[0]?.result?.id, 1)
})

test('restore into another mount: /other and /ipfs, the whole root or one folder', async (c) => {
  const before = manifest(join(c.local, 'proj'))
  await c.call('checkpoint.create', { paths: ['/local/proj'] })
  await c.call('checkpoint.restore', { id: 1, path: '/local/proj', target: '/other/copy' })
  assert.is(manifest(join(c.other, 'copy')), before)
  await c.call('checkpoint.restore', { id: 1, path: '/local/proj/sub', target: '/ipfs/sub' })
  assert.is((await c.service.vfs.stat('/ipfs/sub/big.bin')).mtimeNs, 1_500_000_000_125_000_000n)
  assert.is((await c.service.vfs.readdir('/ipfs/sub')).map((e) => e.name).sort().join(' '), 'big.bin deep')
  // The copy on /ipfs is the same tree: checkpointing it gives the same CID as the folder in the first one.
  const cp = (await c.call('checkpoint.create', { paths: ['/ipfs/sub', '/local/proj/sub'] })) as Checkpoint
  assert.is(cp.roots['/ipfs/sub'], cp.roots['/local/proj/sub'])
})

test('diff between two checkpoints; unknown ids; a path outside the checkpoint', async (c) => {
  await c.call('checkpoint.create', { paths: ['/local'] })
  await writeFile(join(c.local, 'proj/sub/deep/x'), 'xx')
  const two = (await c.call('checkpoint.create', { paths: ['/local'], label: 'two' })) as Checkpoint
  assert.is(two.id, 2)
  const { changes } = (await c.call('checkpoint.diff', { a: 1, b: 'two' })) as { changes: unknown[] }
  assert.equal(changes, [{ path: '/local/proj/sub/deep/x', change: 'modified' }])
  const e1 = (await c.call('checkpoint.diff', { a: 9, b: 1 }).catch((e: unknown) => e)) as { code: string }
  assert.is(e1.code, 'ENOENT')
  const e2 = (await c.call('checkpoint.restore', { id: 1, path: '/other/x' }).catch((e: unknown) => e)) as { code: string }
  assert.is(e2.code, 'ENOENT')
  const e3 = (await c.call('checkpoint.create', { paths: ['relative'] }).catch((e: unknown) => e)) as { code: string }
  assert.is(e3.code, 'EINVAL')
})

test('a checkpoint with no paths covers every writable mount', async (c) => {
  const cp = (await c.call('checkpoint.create')) as Checkpoint
  assert.equal(Object.keys(cp.roots).sort(), ['/ipfs', '/local', '/other'])
})

test('automatic checkpoints: by interval, labelled auto, only `keep` of them kept', async (c) => {
  await c.service.close()
  await open(c, 'checkpoints: { intervalSeconds: 0.3, keep: 2 }\n')
  await c.call('checkpoint.create', { paths: ['/local'], label: 'manual' })
  c.service.startDaemonTasks()
  const deadline = Date.now() + 15_000
  let list: Checkpoint[] = []
  while (Date.now() < deadline) {
    list = ((await c.call('checkpoint.list')) as { checkpoints: Checkpoint[] }).checkpoints
    // Pruning follows each new automatic checkpoint: a list taken between the two shows one more.
    if (list.some((cp) => cp.id >= 5) && list.filter((cp) => cp.label === 'auto').length <= 2) break
    await new Promise((r) => setTimeout(r, 100))
  }
  const auto = list.filter((cp) => cp.label === 'auto')
  assert.is(auto.length, 2, JSON.stringify(list))
  assert.ok(list.some((cp) => cp.label === 'manual'), 'a checkpoint made by hand is never pruned')
  assert.equal(Object.keys(auto[0]?.roots ?? {}).sort(), ['/ipfs', '/local', '/other'])
})

test('automatic checkpoints by op count: once everyOps operations were journaled', async (c) => {
  await c.service.close()
  await open(c, 'checkpoints: { everyOps: 3 }\n')
  c.service.startDaemonTasks()
  const list = async () => ((await c.call('checkpoint.list')) as { checkpoints: Checkpoint[] }).checkpoints
  await new Promise((r) => setTimeout(r, 2500))
  assert.is((await list()).length, 0, 'nothing journaled yet: no checkpoint')
  for (const n of ['a', 'b', 'c']) await c.service.vfs.mkdir(`/local/${n}`, 0o755)
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline && (await list()).length === 0) await new Promise((r) => setTimeout(r, 100))
  const [auto] = await list()
  assert.is(auto?.label, 'auto')
  assert.ok((auto?.seq ?? 0) > 3, 'taken after the three mkdirs')
})

test.run()
