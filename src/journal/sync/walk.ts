/**
 * A VFS subtree, listed the way the importer wants it: every folder before what it holds, names
 * in byte order (so two syncs of one tree feed the importer the same sequence), with the lstat of
 * each entry. Works on any mount: only Vfs calls.
 */
import { type EntryType, entryType } from '../../vfs/backend.ts'
import { VfsError } from '../../vfs/errors.ts'
import { joinPath } from '../../vfs/paths.ts'
import type { Vfs, VfsStat } from '../../vfs/vfs.ts'

export interface SourceEntry {
  /** Path below the walked root ('' for the root itself). */
  rel: string
  /** Absolute VFS path. */
  path: string
  type: EntryType
  stat: VfsStat
}

/** Stats run this many at a time within one folder (a remote mount answers each with a request). */
const STAT_CONCURRENCY = 32

const utf8 = new TextEncoder()
const byBytes = (a: string, b: string): number => Buffer.compare(utf8.encode(a), utf8.encode(b))

export async function* walkVfs(vfs: Vfs, root: string, signal?: AbortSignal): AsyncGenerator<SourceEntry> {
  const stat = await vfs.stat(root, { signal })
  const top: SourceEntry = { rel: '', path: root, type: entryType(stat.mode), stat }
  yield top
  if (top.type === 'dir') yield* walkDir(vfs, top, signal)
}

async function* walkDir(vfs: Vfs, dir: SourceEntry, signal?: AbortSignal): AsyncGenerator<SourceEntry> {
  signal?.throwIfAborted()
  const names = (await vfs.readdir(dir.path, { signal })).map((e) => e.name).filter((n) => n !== '.' && n !== '..')
  names.sort(byBytes)
  for (let i = 0; i < names.length; i += STAT_CONCURRENCY) {
    const batch = await Promise.all(names.slice(i, i + STAT_CONCURRENCY).map((name) => statChild(vfs, dir, name, signal)))
    for (const child of batch) {
      if (child === undefined) continue
      yield child
      if (child.type === 'dir') yield* walkDir(vfs, child, signal)
    }
  }
}

async function statChild(vfs: Vfs, dir: SourceEntry, name: string, signal?: AbortSignal): Promise<SourceEntry | undefined> {
  const path = joinPath(dir.path, name)
  try {
    const stat = await vfs.stat(path, { signal })
    return { rel: dir.rel === '' ? name : `${dir.rel}/${name}`, path, type: entryType(stat.mode), stat }
  } catch (err) {
    // Removed between the listing and the stat: a sync is a snapshot of what it finds.
    if (err instanceof VfsError && err.code === 'ENOENT') return undefined
    throw err
  }
}
