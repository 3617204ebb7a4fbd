/**
 * The reference-model runner: random op sequences over a small name space, applied to the model
 * and to a target (FsLike on one mount, in a fresh folder per sequence); after every step the
 * outcome (ok or errno) and the whole tree must agree. Shared by model tests and regressions.
 */
import { constants } from 'node:fs'
import fc from 'fast-check'
import { attrTimeoutPassed, type FsHandle, type FsLike } from '../support/fs-like.ts'
import { describe, type File, Model, ModelError, truncateNode, writeNode } from './model.ts'

export type Op =
  | { op: 'mkdir'; path: string }
  | { op: 'write'; path: string; offset: number; data: string }
  | { op: 'append'; path: string; data: string }
  | { op: 'truncate'; path: string; size: number }
  | { op: 'unlink'; path: string }
  | { op: 'rmdir'; path: string }
  | { op: 'rename'; from: string; to: string }
  | { op: 'symlink'; target: string; path: string }
  | { op: 'link'; from: string; to: string }
  | { op: 'chmod'; path: string; mode: number }
  | { op: 'overwrite'; path: string; data: string }
  /** Handle ops: two slots; `open` closes what the slot held first; an empty slot answers EBADF. */
  | { op: 'open'; slot: Slot; path: string }
  | { op: 'hwrite'; slot: Slot; offset: number; data: string }
  | { op: 'htruncate'; slot: Slot; size: number }
  | { op: 'hread'; slot: Slot }
  | { op: 'close'; slot: Slot }

export type Slot = 0 | 1

export type MountName = 'local' | 'obj' | 'ipfs' | 's3'

const name = fc.constantFrom('a', 'b', 'c')
const path = fc.oneof({ weight: 3, arbitrary: name }, { weight: 2, arbitrary: fc.tuple(name, name).map(([x, y]) => `${x}/${y}`) })
const slot = fc.constantFrom<Slot>(0, 1)
const data = fc.string({ unit: fc.constantFrom('x', 'y', 'z', '0', '1'), maxLength: 24 })

export const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('mkdir' as const), path }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('write' as const), path, offset: fc.nat(40), data }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('append' as const), path, data }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('truncate' as const), path, size: fc.nat(50) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('unlink' as const), path }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('rmdir' as const), path }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('rename' as const), from: path, to: path }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('symlink' as const), target: fc.constantFrom('a', 'b', 'c', 'a/b', 'b/a', 'zz'), path }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('overwrite' as const), path, data }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('link' as const), from: path, to: path }) },
  // Modes that keep the owner's rwx: a test run without root must still walk every folder.
  { weight: 1, arbitrary: fc.record({ op: fc.constant('chmod' as const), path, mode: fc.constantFrom(0o700, 0o750, 0o755, 0o744) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('open' as const), slot, path }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('hwrite' as const), slot, offset: fc.nat(40), data: data.filter((d) => d.length > 0) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('htruncate' as const), slot, size: fc.nat(50) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('hread' as const), slot }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('close' as const), slot }) },
)

export const opsArb = (maxLength: number): fc.Arbitrary<Op[]> => fc.array(opArb, { maxLength, size: 'max' })

export function showOp(o: Op): string {
  switch (o.op) {
    case 'write':
      return `write ${o.path} @${o.offset} ${JSON.stringify(o.data)}`
    case 'append':
      return `append ${o.path} ${JSON.stringify(o.data)}`
    case 'truncate':
      return `truncate ${o.path} ${o.size}`
    case 'rename':
      return `rename ${o.from} ${o.to}`
    case 'symlink':
      return `symlink ${o.target} ${o.path}`
    case 'overwrite':
      return `overwrite ${o.path} ${JSON.stringify(o.data)}`
    case 'link':
      return `link ${o.from} ${o.to}`
    case 'chmod':
      return `chmod ${o.path} ${o.mode.toString(8)}`
    case 'open':
      return `open #${o.slot} ${o.path}`
    case 'hwrite':
      return `hwrite #${o.slot} @${o.offset} ${JSON.stringify(o.data)}`
    case 'htruncate':
      return `htruncate #${o.slot} ${o.size}`
    case 'hread':
    case 'close':
      return `${o.op} #${o.slot}`
    default:
      return `${o.op} ${o.path}`
  }
}

/** One side of the comparison: the model or a target, each with its two handle slots. */
interface ModelSide {
  model: Model
  handles: [File | undefined, File | undefined]
}
interface TargetSide {
  fs: FsLike
  root: string
  handles: [FsHandle | undefined, FsHandle | undefined]
}

const badf = (): never => {
  throw new ModelError('EBADF', 'empty slot')
}
const readResult = (b: Buffer): string => `ok ${describe.file('read', b)}`

/** Applies one op to the model; the result is 'ok' or, for hread, what was read. */
function applyModel(side: ModelSide, o: Op): string | void {
  const m = side.model
  switch (o.op) {
    case 'mkdir':
      return m.mkdir(o.path)
    case 'write':
      return m.write(o.path, o.offset, Buffer.from(o.data))
    case 'append':
      return m.write(o.path, 'end', Buffer.from(o.data))
    case 'overwrite':
      return writeNode(m.open(o.path, true), 0, Buffer.from(o.data))
    case 'truncate':
      return m.truncate(o.path, o.size)
    case 'unlink':
      return m.unlink(o.path)
    case 'rmdir':
      return m.rmdir(o.path)
    case 'rename':
      return m.rename(o.from, o.to)
    case 'symlink':
      return m.symlink(o.target, o.path)
    case 'link':
      return m.link(o.from, o.to)
    case 'chmod':
      return m.chmod(o.path, o.mode)
    case 'open':
      side.handles[o.slot] = undefined
      side.handles[o.slot] = m.open(o.path)
      return
    case 'hwrite':
      return writeNode(side.handles[o.slot] ?? badf(), o.offset, Buffer.from(o.data))
    case 'htruncate':
      return truncateNode(side.handles[o.slot] ?? badf(), o.size)
    case 'hread':
      return readResult((side.handles[o.slot] ?? badf()).data)
    case 'close':
      if (side.handles[o.slot] === undefined) badf()
      side.handles[o.slot] = undefined
  }
}

const { O_WRONLY, O_RDWR, O_CREAT, O_APPEND, O_TRUNC } = constants

async function writeThrough(fs: FsLike, p: string, flags: number, data: string, offset: number): Promise<void> {
  const h = await fs.open(p, flags, 0o644)
  try {
    if (data.length > 0) await h.write(data, offset)
  } catch (err) {
    await h.close().catch(() => {})
    throw err
  }
  await h.close()
}

const targetHandle = (side: TargetSide, slot: Slot): FsHandle => side.handles[slot] ?? badf()

async function closeSlot(side: TargetSide, slot: Slot): Promise<void> {
  const h = side.handles[slot]
  side.handles[slot] = undefined
  await h?.close()
}

async function applyTarget(side: TargetSide, o: Op): Promise<string | void> {
  const { fs } = side
  const at = (p: string) => `${side.root}/${p}`
  switch (o.op) {
    case 'mkdir':
      return fs.mkdir(at(o.path), 0o755)
    case 'write':
      return writeThrough(fs, at(o.path), O_WRONLY | O_CREAT, o.data, o.offset)
    case 'append':
      return writeThrough(fs, at(o.path), O_WRONLY | O_CREAT | O_APPEND, o.data, 0)
    case 'overwrite':
      return writeThrough(fs, at(o.path), O_WRONLY | O_CREAT | O_TRUNC, o.data, 0)
    case 'truncate':
      return fs.truncate(at(o.path), o.size)
    case 'unlink':
      return fs.unlink(at(o.path))
    case 'rmdir':
      return fs.rmdir(at(o.path))
    case 'rename':
      return fs.rename(at(o.from), at(o.to))
    case 'symlink':
      return fs.symlink(o.target, at(o.path))
    case 'link':
      return fs.link(at(o.from), at(o.to))
    case 'chmod':
      return fs.chmod(at(o.path), o.mode)
    case 'open':
      await closeSlot(side, o.slot)
      side.handles[o.slot] = await fs.open(at(o.path), O_RDWR | O_CREAT, 0o644)
      return
    case 'hwrite':
      await targetHandle(side, o.slot).write(o.data, o.offset)
      return
    case 'htruncate':
      return targetHandle(side, o.slot).truncate(o.size)
    case 'hread': {
      const h = targetHandle(side, o.slot)
      const { size } = await h.stat()
      const got = await h.read(size + 64, 0)
      if (got.length !== size) return `fstat size ${size}, read ${got.length} bytes`
      return readResult(got)
    }
    case 'close':
      targetHandle(side, o.slot)
      return closeSlot(side, o.slot)
  }
}

async function outcome(fn: () => string | void | Promise<string | void>): Promise<string> {
  try {
    return (await fn()) ?? 'ok'
  } catch (err) {
    const code = (err as { code?: unknown }).code
    if (err instanceof ModelError || typeof code === 'string') return code as string
    throw err
  }
}

/** The target's tree in the model's canonical form (lstat, never following a link). */
export async function snapshotTarget(fs: FsLike, root: string): Promise<string> {
  const lines: string[] = []
  const visit = async (dir: string, prefix: string): Promise<void> => {
    // No .fuse_hidden* ever: the mount uses hard_remove, so such a name is a difference too.
    for (const n of await fs.readdir(dir)) {
      const p = prefix ? `${prefix}/${n}` : n
      const full = `${dir}/${n}`
      const st = await fs.lstat(full)
      const type = st.mode & constants.S_IFMT
      if (type === constants.S_IFDIR) {
        lines.push(describe.dir(p, st.mode & 0o7777))
        await visit(full, p)
      } else if (type === constants.S_IFLNK) lines.push(describe.symlink(p, await fs.readlink(full)))
      else {
        const bytes = await fs.readFile(full)
        if (bytes.length !== st.size) lines.push(`${p} STAT SIZE ${st.size} != READ ${bytes.length}`)
        lines.push(describe.file(p, bytes, st.mode & 0o7777))
      }
    }
  }
  await visit(root, '')
  return lines.join('\n')
}

export class Mismatch extends Error {}

/**
 * Applies `ops` to a fresh model and to the target folder `root` (which must exist and be
 * empty), comparing outcome and tree after every step; throws a Mismatch naming the step.
 */
export async function replay(fs: FsLike, root: string, mount: MountName, ops: readonly Op[]): Promise<void> {
  // /ipfs keeps symlinks (UnixFS symlink nodes) but has no hard links.
  const m: ModelSide = { model: new Model({ symlinks: mount !== 'obj', hardLinks: mount === 'local' }), handles: [undefined, undefined] }
  const t: TargetSide = { fs, root, handles: [undefined, undefined] }
  const done: string[] = []
  const history = () => `\n  ${done.join('\n  ')}`
  /** A link was made: through FUSE the names' attributes may be stale until the attribute timeout. */
  let linked = false
  const compare = async (what: string): Promise<void> => {
    const wantTree = m.model.snapshot()
    let gotTree = await snapshotTarget(fs, root)
    if (gotTree !== wantTree && linked && fs.kind === 'mount') {
      // What the mount promises for hard links (docs/SEMANTICS.md, /local): each name is its own
      // kernel inode, refreshed once attrTimeout has passed. So the tree must agree by then.
      await attrTimeoutPassed()
      gotTree = await snapshotTarget(fs, root)
    }
    if (gotTree !== wantTree) throw new Mismatch(`${what}: trees differ\n--- model\n${wantTree}\n--- target\n${gotTree}${history()}`)
  }
  try {
    for (const [i, o] of ops.entries()) {
      const want = await outcome(() => applyModel(m, o))
      const got = await outcome(() => applyTarget(t, o))
      done.push(`${i}: ${showOp(o)} -> ${want}${got === want ? '' : ` (target: ${got})`}`)
      if (got !== want) throw new Mismatch(`step ${i} ${showOp(o)}: model ${want}, target ${got}${history()}`)
      if (o.op === 'link' && got === 'ok') linked = true
      await compare(`after step ${i} ${showOp(o)}`)
    }
    for (const slot of [0, 1] as const) await closeSlot(t, slot)
    done.push('(every handle closed)')
    await compare('after the last close')
  } finally {
    for (const slot of [0, 1] as const) await closeSlot(t, slot).catch(() => {})
  }
}

export interface RunOptions {
  fs: FsLike
  mount: MountName
  numRuns: number
  maxLength: number
  seed: number
  /** Label of the target, for the folder names and the failure report. */
  label: string
}

let runCounter = 0

/** fast-check over replay(); a failure reports the seed and the shrunk sequence as JSON, ready to pin. */
export async function checkModel(o: RunOptions): Promise<void> {
  const prop = fc.asyncProperty(opsArb(o.maxLength), async (ops) => {
    const root = `/${o.mount}/run-${++runCounter}`
    await o.fs.mkdir(root, 0o755)
    try {
      await replay(o.fs, root, o.mount, ops)
    } finally {
      await o.fs.rm(root).catch(() => {})
    }
  })
  const out = await fc.check(prop, { seed: o.seed, numRuns: o.numRuns })
  if (!out.failed) return
  const ops = out.counterexample?.[0] ?? []
  const err = out.errorInstance instanceof Error ? out.errorInstance.message : String(out.errorInstance)
  throw new Error(`${o.label}: model mismatch (seed ${o.seed}, path ${out.counterexamplePath}, ${out.numShrinks} shrinks)\n${err}\npin it: ${JSON.stringify(ops)}`)
}

/**
 * The fixed defaults (CI reproduces) and their overrides (a developer explores): MODEL_SEED,
 * MODEL_RUNS (in-process) or MODEL_MOUNT_RUNS (through the kernel), MODEL_LENGTH.
 */
export function runSettings(kind: 'vfs' | 'mount'): { seed: number; numRuns: number; maxLength: number } {
  const env = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback)
  return {
    seed: env('MODEL_SEED', 20260523),
    numRuns: kind === 'vfs' ? env('MODEL_RUNS', 100) : env('MODEL_MOUNT_RUNS', 40),
    maxLength: env('MODEL_LENGTH', 30),
  }
}
