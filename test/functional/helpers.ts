/**
 * Shared pieces of the functional suite: what a case gets (its FsLike, a fresh folder on the
 * mount under test and its host twin), and assertions on POSIX outcomes.
 */
import * as assert from 'uvu/assert'
import type { FsLike } from '../support/fs-like.ts'

/** What a case may rely on per mount: the capabilities the two backends declare. */
export interface MountUnderTest {
  name: 'local' | 'obj'
  symlinks: boolean
  hardLinks: boolean
}

export const MOUNTS: readonly MountUnderTest[] = [
  { name: 'local', symlinks: true, hardLinks: true },
  { name: 'obj', symlinks: false, hardLinks: false },
]

export interface CaseCtx {
  fs: FsLike
  /** A fresh, empty folder of the mount under test ('/local/t7'). */
  dir: string
  /** The same folder on the host, in the store behind the mount. */
  hostDir: string
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
