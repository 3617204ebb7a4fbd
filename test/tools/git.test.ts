/**
 * git through the mount: a repository made and committed in the mount has the same commit ids
 * as the same work natively (fixed author, dates and branch), a clean status, and survives a
 * local clone (hard links on /local; /obj and /ipfs answer EPERM and git copies), a
 * --no-hardlinks clone, gc and fsck --full.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { CAN, TARGETS, ok, onMount, run, toolEnv } from '../support/tools.ts'

const test = suite('tools: git')
let home = ''
test.before(async () => {
  home = await mkdtemp(join(tmpdir(), 'ipfs-vfs-git-home-'))
})
test.after(async () => {
  await rm(home, { recursive: true, force: true })
})

const DATE = '2020-01-02T03:04:05Z'
function gitEnv(): Record<string, string> {
  return toolEnv({
    HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Test',
    GIT_AUTHOR_EMAIL: 'test@example.com',
    GIT_COMMITTER_NAME: 'Test',
    GIT_COMMITTER_EMAIL: 'test@example.com',
    GIT_AUTHOR_DATE: DATE,
    GIT_COMMITTER_DATE: DATE,
  })
}

function git(cwd: string, ...args: string[]): Promise<string> {
  return ok('git', ['-c', 'init.defaultBranch=main', ...args], { cwd, env: gitEnv() })
}

/** Three commits: new files, a nested folder, an executable, an edit, a rename and a delete. */
async function makeRepo(dir: string): Promise<void> {
  await mkdir(dir)
  await git(dir, 'init', '-q')
  await writeFile(join(dir, 'README.md'), '# repo\n')
  await mkdir(join(dir, 'src/lib'), { recursive: true })
  await writeFile(join(dir, 'src/lib/a.txt'), 'a\n'.repeat(1000))
  await writeFile(join(dir, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 })
  await git(dir, 'add', '.')
  await git(dir, 'commit', '-q', '-m', 'first')
  await writeFile(join(dir, 'README.md'), '# repo\n\nmore\n')
  await writeFile(join(dir, 'src/b.txt'), 'b\n')
  await git(dir, 'add', '-A')
  await git(dir, 'commit', '-q', '-m', 'second')
  await git(dir, 'mv', 'src/b.txt', 'src/lib/b.txt')
  await git(dir, 'rm', '-q', 'run.sh')
  await git(dir, 'commit', '-q', '-m', 'third')
}

async function linkCounts(repo: string): Promise<string[]> {
  const out = await ok('find', ['.git/objects', '-type', 'f', '-path', '*/objects/??/*', '-printf', '%n\\n'], { cwd: repo })
  return [...new Set(out.trim().split('\n'))]
}

for (const t of TARGETS) {
  test(`git init, add, commit on /${t}: same commit ids as natively, clean status`, () =>
    onMount(async ({ at, native }) => {
      await makeRepo(join(native, 'repo'))
      await makeRepo(join(at(t), 'repo'))
      const log = await git(join(native, 'repo'), 'log', '--format=%H %s')
      assert.is(log.split('\n').length, 4, log)
      assert.is(await git(join(at(t), 'repo'), 'log', '--format=%H %s'), log)
      assert.is(await git(join(at(t), 'repo'), 'status', '--porcelain'), '')
      assert.is(await git(join(at(t), 'repo'), 'ls-files', '-s'), await git(join(native, 'repo'), 'ls-files', '-s'))
      await git(join(at(t), 'repo'), 'fsck', '--full', '--strict')
    }))
}

for (const t of TARGETS) {
  test(`git clone of a repository in /${t} into /${t}: ${CAN[t].hardLinks ? 'hard-linked objects' : 'EPERM on link, git copies'}; fsck clean`, () =>
    onMount(async ({ at }) => {
      const dir = at(t)
      await makeRepo(join(dir, 'repo'))
      const log = await git(join(dir, 'repo'), 'log', '--format=%H %s')
      if (!CAN[t].hardLinks) {
        const ln = await run('ln', ['repo/README.md', 'hl'], { cwd: dir })
        assert.match(`${ln.code} ${ln.stderr}`, /^1 .*Operation not permitted/)
      }
      await git(dir, 'clone', '-q', 'repo', 'clone')
      // Local clones hard-link the object files: both names show nlink 2 where links exist.
      assert.equal(await linkCounts(join(dir, 'clone')), [CAN[t].hardLinks ? '2' : '1'])
      await git(dir, 'clone', '-q', '--no-hardlinks', 'repo', 'copy')
      assert.equal(await linkCounts(join(dir, 'copy')), ['1'], '--no-hardlinks copies every object')
      for (const c of ['clone', 'copy']) {
        const repo = join(dir, c)
        await git(repo, 'fsck', '--full', '--strict')
        assert.is(await git(repo, 'log', '--format=%H %s'), log)
        assert.is(await git(repo, 'status', '--porcelain'), '')
      }
      // Work in the clone: a commit, then gc packs and prunes (renames and unlinks many files).
      const clone = join(dir, 'clone')
      await writeFile(join(clone, 'new.txt'), 'new\n')
      await git(clone, 'add', 'new.txt')
      await git(clone, 'commit', '-q', '-m', 'fourth')
      await git(clone, 'gc', '-q', '--prune=now')
      await git(clone, 'fsck', '--full', '--strict')
      assert.is(await git(clone, 'count-objects', '-v').then((s) => /^count: 0$/m.test(s)), true, 'gc packed every loose object')
      assert.is(await git(clone, 'log', '--format=%s'), 'fourth\nthird\nsecond\nfirst\n')
      await git(join(dir, 'repo'), 'fsck', '--full', '--strict')
    }))
}

test.run()
