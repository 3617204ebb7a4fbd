/**
 * The editors' save pattern through the mount: a swap file beside the file, the new content
 * written to another name, fsync, rename over the original, the helpers removed. Run with vim
 * itself and with a scripted write-temp-fsync-rename. Afterwards the file holds exactly the new
 * bytes with its old mode, under a new inode, and nothing else is left in the folder.
 */
import { chmod, open, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { TARGETS, onMount, run, toolEnv } from '../support/tools.ts'

const test = suite('tools: editor save pattern')

const OLD = 'one\ntwo\n'
const NEW = 'one\ntwo\nnew line\n'

/**
 * vim with the rename-style save forced: 'backupcopy=no' renames the original away and writes a
 * new file; 'backupskip' is emptied because its default skips backups for anything under /tmp.
 */
const VIM_SETTINGS = 'set nocompatible backupcopy=no writebackup nobackup backupskip= directory=. fsync'

async function vimSave(dir: string): Promise<string> {
  const r = await run('vim', ['-u', 'NONE', '-i', 'NONE', '-es', '-c', VIM_SETTINGS, '-c', 'verbose echo glob(".*.sw?", 1, 1)', '-c', 'normal Gonew line', '-c', 'wq', 'ed.txt'], {
    cwd: dir,
    env: toolEnv({ HOME: dir, TERM: 'dumb' }),
    timeoutMs: 30_000,
  })
  assert.is(r.code, 0, `vim in ${dir}: ${r.stderr}${r.stdout}`)
  return r.stdout + r.stderr
}

for (const t of TARGETS) {
  test(`vim's save on /${t}: swap file used, new bytes under a new inode, mode kept, nothing left over`, () =>
    onMount(async ({ at, native, store }) => {
      for (const dir of [native, at(t)]) {
        await writeFile(join(dir, 'ed.txt'), OLD)
        await chmod(join(dir, 'ed.txt'), 0o640)
        const before = await stat(join(dir, 'ed.txt'))
        const said = await vimSave(dir)
        assert.match(said, /\['\.ed\.txt\.swp'\]/, `vim kept its swap file in ${dir}`)
        const after = await stat(join(dir, 'ed.txt'))
        assert.is(await readFile(join(dir, 'ed.txt'), 'utf8'), NEW)
        assert.is.not(after.ino, before.ino, `the original was replaced by rename in ${dir}`)
        assert.is(after.mode & 0o7777, 0o640)
        assert.equal(await readdir(dir), ['ed.txt'], `no swap, backup or temporary file in ${dir}`)
      }
      const stored = await store(t)
      assert.is(await readFile(join(stored, 'ed.txt'), 'utf8'), NEW)
      // /ipfs/.cid/<cid> shows every entry read-only.
      assert.is((await stat(join(stored, 'ed.txt'))).mode & 0o7777, t === 'ipfs' ? 0o440 : 0o640)
    }))
}

async function visible(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => !n.startsWith('.fuse_hidden'))
}

/** The listing once the kernel's asynchronous RELEASE has removed libfuse's hidden file. */
async function settled(dir: string): Promise<string[]> {
  for (let i = 0; ; i++) {
    const names = await readdir(dir)
    if (!names.some((n) => n.startsWith('.fuse_hidden')) || i === 50) return names
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** The pattern spelled out (write-file-atomic, VS Code, emacs): each step a real syscall. */
async function scriptedSave(dir: string, name: string, content: string): Promise<void> {
  const swap = await open(join(dir, `.${name}.swp`), 'wx', 0o600)
  await swap.write('swap: editing\n')
  await swap.sync()
  const { mode } = await stat(join(dir, name))
  const tmp = join(dir, `.${name}.tmp-1234`)
  const fh = await open(tmp, 'wx', 0o600)
  await fh.write(content)
  await fh.sync()
  await fh.close()
  await chmod(tmp, mode & 0o7777)
  await rename(tmp, join(dir, name))
  const d = await open(dir, 'r')
  await d.sync()
  await d.close()
  await swap.close()
  await unlink(join(dir, `.${name}.swp`))
}

for (const t of TARGETS) {
  test(`scripted write-temp-fsync-rename on /${t}: new bytes, new inode, mode kept; an old reader keeps the old bytes`, () =>
    onMount(async ({ at, store }) => {
      const dir = at(t)
      await writeFile(join(dir, 'notes.md'), OLD, { mode: 0o600 })
      await chmod(join(dir, 'notes.md'), 0o604)
      const before = await stat(join(dir, 'notes.md'))
      const reader = await open(join(dir, 'notes.md'), 'r')
      try {
        assert.is((await reader.read(Buffer.alloc(3), 0, 3, 0)).bytesRead, 3)
        for (let round = 1; round <= 3; round++) {
          const content = `${NEW}round ${round}\n`
          await scriptedSave(dir, 'notes.md', content)
          assert.is(await readFile(join(dir, 'notes.md'), 'utf8'), content)
          assert.is(await readFile(join(await store(t), 'notes.md'), 'utf8'), content)
          // libfuse 2 hides a file replaced while open as .fuse_hidden* until its release.
          assert.equal(await visible(dir), ['notes.md'])
        }
        const after = await stat(join(dir, 'notes.md'))
        assert.is.not(after.ino, before.ino)
        assert.is(after.mode & 0o7777, 0o604)
        const buf = Buffer.alloc(64)
        const { bytesRead } = await reader.read(buf, 0, 64, 0)
        assert.is(buf.subarray(0, bytesRead).toString(), OLD, 'a descriptor opened before the save still reads the replaced file')
      } finally {
        await reader.close()
      }
      assert.equal(await settled(dir), ['notes.md'], 'the hidden old file goes with the last descriptor')
      assert.equal(await settled(await store(t)), ['notes.md'], 'and from the store')
    }))
}

test.run()
