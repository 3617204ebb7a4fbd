/**
 * Shared pieces of the functional suite: what a case gets (its FsLike, a fresh folder on the
 * mount under test and its host twin), and assertions on POSIX outcomes.
 */
import * as assert from 'uvu/assert'
import type { FsLike } from '../support/fs-like.ts'

/** What a case may rely on per mount: the capabilities the two backends declare. */
export interface MountUnderTest {
  name: 'local' | 'obj' | 'ipfs' | 'cluster' | 'storacha' | 's3'
  symlinks: boolean
  hardLinks: boolean
  /** atime is kept apart from mtime (UnixFS has no atime: /ipfs reports the mtime). */
  atime: boolean
}

export const MOUNTS: readonly MountUnderTest[] = [
  { name: 'local', symlinks: true, hardLinks: true, atime: true },
  { name: 'obj', symlinks: false, hardLinks: false, atime: true },
  { name: 'ipfs', symlinks: true, hardLinks: false, atime: false },
  // Each case's folder is one top-level pin (a UnixFS directory) of the cluster contract double.
  { name: 'cluster', symlinks: true, hardLinks: false, atime: false },
  // The same, one upload per folder, on the real upload-api stand-in.
  { name: 'storacha', symlinks: true, hardLinks: false, atime: false },
  // A bucket on OpenStack Swift's s3api (test/mounts/s3-functional.test.ts starts it): symlinks as s3fs keeps them.
  { name: 's3', symlinks: true, hardLinks: false, atime: false },
]

/**
 * What the store behind the mount holds now, past any staged copy, in the case's folder: the host
 * directory behind /local and /obj, and for /ipfs the tree's current root read back through
 * /ipfs/.cid/<root> (which shows every entry without its write bits).
 */
export interface Store {
  readdir(): Promise<string[]>
  lstat(name: string): Promise<{ size: number; mode: number; mtimeNs: bigint }>
  /** Permission bits the store's view does not show (0o222 under /ipfs/.cid). */
  hiddenBits: number
}

export interface CaseCtx {
  fs: FsLike
  /** A fresh, empty folder of the mount under test ('/local/t7'). */
  dir: string
  /** The same folder in the store behind the mount. */
  store: Store
  m: MountUnderTest
  /** A fresh folder on the other mount (for EXDEV). */
  otherDir: string
  kind: FsLike['kind']
}

/** Registers one case, run once per mount. */
export type Each = (title: string, fn: (c: CaseCtx) => Promise<void>) => void

/** 'ok' or the error's code: results compared as strings read better in a failure. */
export async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p
    return 'ok'
  } catch (err) {
    const code = (err as { code?: unknown }).code
    if (typeof code !== 'string') throw err
    return code
  }
}

export async function fails(p: Promise<unknown>, code: string, what: string): Promise<void> {
  assert.is(await outcome(p), code, what)
}

export const text = async (fs: FsLike, p: string): Promise<string> => (await fs.readFile(p)).toString('latin1')
