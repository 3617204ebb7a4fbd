/**
 * `checkpoint diff`: what changed between two sets of roots, by walking both DAGs side by side
 * and skipping every pair of equal CIDs, so the cost is the changed folders, not the tree.
 *
 * What is reported, by absolute VFS path, sorted:
 *   - added / removed: the topmost entry that exists on one side only (a removed folder is one
 *     line, not one per file in it);
 *   - modified: a file or symlink whose CID differs (bytes, mode or mtime), an entry whose type
 *     changed, and a folder whose mode changed. A folder whose entries changed is not itself
 *     reported (its mtime follows its entries): its changed entries are.
 */
import { CID } from 'multiformats/cid'
import { joinPath } from '../../vfs/paths.ts'
import { type DagReader, entriesOf, loadDagNode } from './dag.ts'

export type ChangeKind = 'added' | 'removed' | 'modified'

export interface Change {
  path: string
  change: ChangeKind
}

export async function diffRoots(r: DagReader, a: Record<string, string>, b: Record<string, string>): Promise<Change[]> {
  const out: Change[] = []
  for (const path of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const ca = a[path]
    const cb = b[path]
    if (ca === undefined) out.push({ path, change: 'added' })
    else if (cb === undefined) out.push({ path, change: 'removed' })
    else await diffNodes(r, CID.parse(ca), CID.parse(cb), path, out)
  }
  return out.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0))
}

export async function diffNodes(r: DagReader, a: CID, b: CID, path: string, out: Change[]): Promise<void> {
  if (a.equals(b)) return
  r.signal?.throwIfAborted()
  const [na, nb] = await Promise.all([loadDagNode(r, a), loadDagNode(r, b)])
  if (na.kind !== 'dir' || nb.kind !== 'dir') {
    out.push({ path, change: 'modified' })
    return
  }
  if ((na.mode ?? 0o755) !== (nb.mode ?? 0o755)) out.push({ path, change: 'modified' })
  const [ea, eb] = await Promise.all([entriesOf(r, na), entriesOf(r, nb)])
  for (const [name, cid] of ea) {
    const other = eb.get(name)
    if (other === undefined) out.push({ path: joinPath(path, name), change: 'removed' })
    else await diffNodes(r, cid, other, joinPath(path, name), out)
  }
  for (const name of eb.keys()) if (!ea.has(name)) out.push({ path: joinPath(path, name), change: 'added' })
}
