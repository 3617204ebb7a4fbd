/**
 * Every shrunk failure the reference-model test found, pinned by name: the exact op sequence,
 * replayed against the model and against all four targets (in-process Vfs and FUSE mount, each
 * on /local and /obj). A few bugs the model cannot reach through FsLike (the kernel's own checks
 * stand in front of them) are pinned below as direct Vfs calls.
 */
import { constants } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mountTarget, type Target, vfsTarget } from '../support/fs-like.ts'
import { type MountName, type Op, replay } from './harness.ts'

interface Ctx {
  vfs: Target
  mount: Target
  seq: number
}

const test = suite<Ctx>('model regressions', { seq: 0 } as Ctx)

test.before(async (ctx) => {
  ctx.vfs = await vfsTarget()
  ctx.mount = await mountTarget()
})
test.after(async (ctx) => {
  await ctx.vfs?.close()
  await ctx.mount?.close()
})

/**
 * Replays `ops` on every target and mount; `times` repeats it where the failure was a race.
 * All four are tried before the test fails, so the message names every target that disagrees.
 */
function pin(name: string, ops: Op[], times = 1): void {
  test(name, async (ctx) => {
    const failures: string[] = []
    for (const [kind, target] of [['vfs', ctx.vfs], ['mount', ctx.mount]] as const) {
      for (const mount of ['local', 'obj'] as MountName[]) {
        for (let i = 0; i < times; i++) {
          const root = `/${mount}/reg-${++ctx.seq}`
          await target.fs.mkdir(root)
          try {
            await replay(target.fs, root, mount, ops)
          } catch (err) {
            failures.push(`${kind} /${mount}${times > 1 ? ` (try ${i + 1})` : ''}: ${(err as Error).message}`)
            break
          }
        }
      }
    }
    if (failures.length > 0) throw new Error(`${failures.length} target(s) disagree with the model:\n\n${failures.join('\n\n')}`)
  })
}

// Vfs.rename(x, x) returned early without looking: a missing name succeeded (ENOENT).
pin('rename of a missing name onto itself is ENOENT', [{ op: 'rename', from: 'c', to: 'c' }])

// Vfs.rename checked "into itself" before existence: EINVAL for a missing source (ENOENT).
// Through FsLike the kernel's walk answers first; the Vfs itself is pinned below.
pin('rename of a missing folder into its own subfolder is ENOENT, not EINVAL', [{ op: 'rename', from: 'c', to: 'c/a' }])

// /obj: O_CREAT in a missing folder opened a staged file; its upload failed on close and the
// dirty node stayed, listed as a ghost once the folder was made (the Vfs itself: below).
pin('create in a missing folder leaves no ghost once the folder exists', [
  { op: 'append', path: 'a/a', data: '' },
  { op: 'mkdir', path: 'a' },
])

// The local backend's confinement resolved the target's folder (ENOENT) before noticing the
// source's folder is a file (the kernel's walk says ENOTDIR first); the adapter now walks like it.
pin('rename from below a file is ENOTDIR', [
  { op: 'write', path: 'c', offset: 0, data: '' },
  { op: 'rename', from: 'c/a', to: 'a/a' },
])

// /obj: Vfs.symlink refused with EPERM (no symlinks) before EEXIST for a taken name.
pin('symlink over an existing name is EEXIST on every mount', [
  { op: 'mkdir', path: 'a' },
  { op: 'symlink', target: 'a', path: 'a' },
])

// /obj: renaming a file onto the folder that holds it gave the store's EISDIR (ENOTEMPTY).
pin('rename of a file onto its own folder is ENOTEMPTY', [
  { op: 'mkdir', path: 'b' },
  { op: 'append', path: 'b/a', data: '' },
  { op: 'rename', from: 'b/a', to: 'b' },
])

// /obj: fstat on the handle of an unlinked file looked its path up again: ENOENT.
pin('an unlinked open file still answers fstat and read', [
  { op: 'open', slot: 0, path: 'a' },
  { op: 'unlink', path: 'a' },
  { op: 'hread', slot: 0 },
])

// /obj through FUSE, before the mount used hard_remove: libfuse unlinked `.fuse_hidden*` on
// RELEASE, after close(2) returned; the dir-object listing lstat'ed each name and failed whole
// (ENOENT) when one vanished meanwhile, which the kernel showed as an empty folder. A race:
// repeated. (No hidden name exists any more; the listing still skips a name that vanishes.)
pin(
  'a listing racing the unlink of a hidden open file still shows the other names',
  [
    { op: 'open', slot: 0, path: 'a' },
    { op: 'unlink', path: 'a' },
    { op: 'write', path: 'a', offset: 2, data: 'x' },
    { op: 'symlink', target: 'a', path: 'a' },
  ],
  25,
)

// The model itself had link(2)'s order wrong: Linux looks the existing name up whole (ENOENT)
// before it walks to the new name (ENOTDIR).
pin('link of a missing name to below a file is ENOENT: the source is looked up first', [
  { op: 'mkdir', path: 'b' },
  { op: 'write', path: 'c', offset: 0, data: '' },
  { op: 'link', from: 'b/a', to: 'c/a' },
])

// /local through FUSE: libfuse's high-level API gives every path its own node, so the kernel
// caches the attributes of two hard links separately; after a write through one name the other
// keeps its old size (and reads are cut to it) until attrTimeout. That is the documented promise
// (docs/SEMANTICS.md): replay() compares once more after the timeout when a link was made, and
// fails if the names still disagree. With attrTimeout 0: test/functional/attr-timeout.test.ts.
pin('a write through one hard link shows through the other (through FUSE: after attrTimeout)', [
  { op: 'write', path: 'c', offset: 0, data: '' },
  { op: 'link', from: 'c', to: 'a' },
  { op: 'write', path: 'a', offset: 0, data: 'x' },
])

// /local through FUSE: rename(2) between two links of one inode does nothing, but libfuse
// "hid" an open target (renamed it to .fuse_hidden*) first, so the source name was gone. Fixed
// by mounting with hard_remove (libfuse no longer hides; handles work by fh, not by path).
pin('rename of a hard link onto its open twin changes nothing', [
  { op: 'open', slot: 0, path: 'b' },
  { op: 'link', from: 'b', to: 'a' },
  { op: 'rename', from: 'a', to: 'b' },
])

// --- bugs behind the kernel's checks: direct Vfs calls (the CLI and MCP call it this way) ------

test('vfs /obj: a write of no bytes beyond the end changes nothing (was: size grew, upload EIO)', async ({ vfs }) => {
  const v = vfsOf(vfs)
  const fh = await v.create('/obj/empty-write', 0o644, constants.O_RDWR)
  try {
    await v.write(fh, Buffer.from('ab'), 0)
    assert.is(await v.write(fh, Buffer.alloc(0), 10), 0)
    assert.is((await v.fstat(fh)).size, 2)
    await v.flush(fh)
  } finally {
    await v.release(fh)
  }
  assert.is((await v.stat('/obj/empty-write')).size, 2)
})

test('vfs /obj: rename of a never-uploaded open file into a missing folder is ENOENT (was: ok, then a ghost)', async ({ vfs }) => {
  const v = vfsOf(vfs)
  const fh = await v.create('/obj/new-open', 0o644, constants.O_RDWR)
  try {
    await v.write(fh, Buffer.from('new'), 0)
    assert.is(await codeOf(v.rename('/obj/new-open', '/obj/no-such-folder/n')), 'ENOENT')
    await v.flush(fh)
  } finally {
    await v.release(fh)
  }
  assert.ok((await readdir(vfs.objectRoot)).includes('new-open'), 'the file stayed where it was')
})

const codeOf = (p: Promise<unknown>): Promise<string | undefined> =>
  p.then(
    () => 'ok',
    (err: { code?: string }) => err.code,
  )

test('vfs: rename of a missing folder into its own subfolder is ENOENT on both mounts (was: EINVAL)', async ({ vfs }) => {
  const v = vfsOf(vfs)
  for (const m of ['local', 'obj']) {
    assert.is(await codeOf(v.rename(`/${m}/no-such`, `/${m}/no-such/a`)), 'ENOENT', m)
    assert.is(await codeOf(v.rename(`/${m}/no-such`, `/${m}/no-such`)), 'ENOENT', `${m}: onto itself`)
  }
})

test('vfs /obj: O_CREAT in a missing folder is ENOENT at open, and no ghost appears later (was: open succeeded, the upload failed on close, a ghost was listed)', async ({ vfs }) => {
  const v = vfsOf(vfs)
  assert.is(await codeOf(v.create('/obj/later/f', 0o644, constants.O_RDWR)), 'ENOENT')
  await v.mkdir('/obj/later', 0o755)
  assert.is((await v.readdir('/obj/later')).map((e) => e.name).join(','), '')
})

/** The in-process target's Vfs, for calls FsLike does not make. */
function vfsOf(t: Target) {
  if (!t.vfs) throw new Error('not an in-process target')
  return t.vfs
}

test.run()
