/**
 * The functional suite (rclone's vfstest.RunTests): POSIX behaviour written once against FsLike
 * and run on two targets, the in-process Vfs and the real FUSE mount. Every case runs under each
 * mount, /local (passthrough), /obj (whole-object, staged and uploaded on close) and /ipfs (whole-object
 * into a UnixFS tree on embedded Helia), in a fresh
 * folder; where the mounts differ by declared capability, the case asserts each side's answer.
 *
 *   functionalSuite('vfs', vfsTarget).run()
 */
import { lstat, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { suite, type Test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Target } from '../support/fs-like.ts'
import { ioCases } from './cases-io.ts'
import { namespaceCases } from './cases-namespace.ts'
import { type Each, fails, MOUNTS, type MountUnderTest, type Store } from './helpers.ts'

interface Ctx {
  target: Target
  seq: number
}

function hostStore(hostDir: string): Store {
  return {
    readdir: async () => (await readdir(hostDir)).sort(),
    lstat: async (name) => {
      const st = await lstat(join(hostDir, name), { bigint: true })
      return { size: Number(st.size), mode: Number(st.mode), mtimeNs: st.mtimeNs }
    },
    hiddenBits: 0,
  }
}

/** /ipfs's store: the tree under its current root CID, read through /ipfs/.cid (read-only, no write bits shown). */
function ipfsStore(target: Target, folder: string): Store {
  const at = async (name: string): Promise<string> => `/ipfs/.cid/${await target.ipfsRoot()}/${folder}${name === '' ? '' : `/${name}`}`
  return {
    readdir: async () => target.fs.readdir(await at('')),
    lstat: async (name) => target.fs.lstat(await at(name)),
    hiddenBits: 0o222,
  }
}

/** /cluster's and /storacha's store: the folder's root (its `user.ipfs.cid`: the pin, the upload), read through /ipfs/.cid (same Helia repository). */
function rootStore(target: Target, mount: string, folder: string): Store {
  const at = async (name: string): Promise<string> => `/ipfs/.cid/${await target.cidOf(`/${mount}/${folder}`)}${name === '' ? '' : `/${name}`}`
  return {
    readdir: async () => target.fs.readdir(await at('')),
    lstat: async (name) => target.fs.lstat(await at(name)),
    hiddenBits: 0o222,
  }
}

/**
 * `mounts`: which mounts' cases to run (default: all but /storacha, whose stand-in only
 * test/functional/storacha-*.test.ts start); `parts`: the io cases, the namespace cases or both.
 */
export function functionalSuite(
  name: string,
  makeTarget: () => Promise<Target>,
  mounts: readonly MountUnderTest['name'][] = ['local', 'obj', 'ipfs', 'cluster'],
  parts: readonly ('io' | 'namespace')[] = ['io', 'namespace'],
): Test<Ctx> {
  const test = suite<Ctx>(`functional: ${name}`, { seq: 0 } as Ctx)
  test.before(async (ctx) => {
    ctx.target = await makeTarget()
  })
  test.after(async (ctx) => {
    await ctx.target?.close()
  })

  const each: Each = (title, fn) => {
    for (const m of MOUNTS.filter((x) => mounts.includes(x.name))) {
      test(`${m.name}: ${title}`, async (ctx) => {
        const { fs } = ctx.target
        const n = ++ctx.seq
        const other = m.name === 'local' ? 'obj' : 'local'
        const dir = `/${m.name}/t${n}`
        const otherDir = `/${other}/t${n}`
        await fs.mkdir(dir)
        await fs.mkdir(otherDir)
        const store =
          ctx.target.store?.(m.name, `t${n}`) ??
          (m.name === 'ipfs'
            ? ipfsStore(ctx.target, `t${n}`)
            : m.name === 'cluster' || m.name === 'storacha'
              ? rootStore(ctx.target, m.name, `t${n}`)
              : hostStore(join(m.name === 'local' ? ctx.target.localRoot : ctx.target.objectRoot, `t${n}`)))
        await fn({ fs, dir, store, m, otherDir, kind: fs.kind })
      })
    }
  }

  if (parts.includes('io')) ioCases(each)
  if (parts.includes('namespace')) namespaceCases(each)

  test('root: synthetic folders refuse changes with EROFS', async ({ target: { fs } }) => {
    const before = (await fs.readdir('/')).join(',')
    assert.ok(before.includes('local') && before.includes('obj'), before)
    await fails(fs.mkdir('/newdir'), 'EROFS', 'mkdir in the root')
    await fails(fs.writeFile('/newfile', 'x'), 'EROFS', 'create in the root')
    await fails(fs.rmdir('/local'), 'EBUSY', 'rmdir of a mount point')
    await fails(fs.rename('/local', '/moved'), 'EBUSY', 'rename of a mount point')
    assert.is((await fs.readdir('/')).join(','), before)
  })

  return test
}

