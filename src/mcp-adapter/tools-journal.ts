import { z } from 'zod'
import { passthrough, vfsPath } from './schemas.ts'
import { READ, type ToolDef, tool } from './tool.ts'

/**
 * The journal, sync and checkpoint tools: each one call of the methods in docs/CONTROL.md. Their
 * results belong to those features, so the output schemas name the documented fields and let the
 * features add more.
 */
const entries = passthrough('Journal entries, oldest first: seq, time, op, path, mount and the op\'s details')
const checkpointRef = z.union([z.number().int().positive(), z.string().min(1)])
const WRITE = { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false }

export const ipfsTools: ToolDef[] = [
  tool({
    name: 'vfs_sync_to_ipfs',
    title: 'Sync a folder to IPFS',
    description: 'Imports a VFS subtree (any mount) into the IPFS engine and returns its real root CID, with files and bytes imported and how many were reused unchanged. Sends progress; cancellable.',
    input: { path: vfsPath },
    output: { cid: z.string().describe('Root CID of the imported tree'), files: z.number().describe('Files in the tree'), bytes: z.number().describe('Bytes in the tree'), reused: z.number().describe('Files whose CID was reused from the last sync') },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    loose: true,
    run: async (a, env) => (await env.call('sync.toIpfs', { path: a.path })) as never,
  }),
  tool({
    name: 'vfs_sync_from_ipfs',
    title: 'Sync from IPFS',
    description: 'Writes the tree of an IPFS CID into a VFS path. conflict: fail (default) stops at an existing differing file, skip keeps it, overwrite replaces it; delete_extraneous removes what the CID does not have. Sends progress; cancellable.',
    input: {
      cid: z.string().min(1).describe('The CID to materialise'),
      path: vfsPath,
      conflict: z.enum(['fail', 'skip', 'overwrite']).default('fail').describe('What to do with an existing file that differs'),
      delete_extraneous: z.boolean().default(false).describe('Remove files under path that the CID does not have'),
    },
    output: { files: z.number().describe('Files written'), bytes: z.number().describe('Bytes written'), skipped: z.number().describe('Files left as they were'), deleted: z.number().describe('Entries removed') },
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
    loose: true,
    run: async (a, env) => (await env.call('sync.fromIpfs', { cid: a.cid, path: a.path, conflict: a.conflict, delete: a.delete_extraneous })) as never,
  }),
]

export const journalTools: ToolDef[] = [
  tool({
    name: 'fs_journal_status',
    title: 'Journal status',
    description: 'The journal\'s last sequence number, entry count and the report of the last crash recovery.',
    input: {},
    output: {
      lastSeq: z.number().describe('Sequence number of the newest entry'),
      entries: z.number().describe('Entries kept'),
      pendingUploads: z.number().optional().describe('Files acknowledged but not yet stored'),
      tracked: z.array(z.string()).optional().describe('Tracked paths'),
      lastRecovery: passthrough('What the last recovery found and did, or null'),
    },
    annotations: READ,
    loose: true,
    run: async (_a, env) => (await env.call('journal.status')) as never,
  }),
  tool({
    name: 'fs_journal_list',
    title: 'Journal entries',
    description: 'Journal entries after a sequence number, optionally of one mount.',
    input: {
      since: z.number().int().min(0).optional().describe('Only entries with a larger seq'),
      limit: z.number().int().min(1).max(10_000).default(100).describe('At most this many'),
      mount: z.string().optional().describe('Only this mount, e.g. /local'),
    },
    output: { entries },
    annotations: READ,
    loose: true,
    run: async (a, env) => (await env.call('journal.list', { limit: a.limit, ...(a.since === undefined ? {} : { since: a.since }), ...(a.mount === undefined ? {} : { mount: a.mount }) })) as never,
  }),
  tool({
    name: 'fs_journal_get_history',
    title: 'History of a path',
    description: 'The journal entries that touched one path, newest last.',
    input: { path: vfsPath, limit: z.number().int().min(1).max(10_000).default(100).describe('At most this many') },
    output: { entries },
    annotations: READ,
    loose: true,
    run: async (a, env) => (await env.call('journal.history', { path: a.path, limit: a.limit })) as never,
  }),
  tool({
    name: 'fs_journal_track',
    title: 'Track a path',
    description: 'Marks a path (and what is below it) as tracked: its history is kept in detail.',
    input: { path: vfsPath },
    output: { path: z.string().describe('The path'), tracked: z.boolean().describe('True: it is tracked now'), paths: z.array(z.string()).describe('Every tracked path') },
    annotations: WRITE,
    loose: true,
    run: async (a, env) => (await env.call('journal.track', { path: a.path })) as never,
  }),
  tool({
    name: 'fs_journal_untrack',
    title: 'Untrack a path',
    description: 'Stops tracking a path; its past history stays in the journal.',
    input: { path: vfsPath },
    output: { path: z.string().describe('The path'), tracked: z.boolean().describe('False: it is not tracked now'), wasTracked: z.boolean().optional().describe('Whether it was tracked before'), paths: z.array(z.string()).describe('Every tracked path') },
    annotations: WRITE,
    loose: true,
    run: async (a, env) => (await env.call('journal.untrack', { path: a.path })) as never,
  }),
  tool({
    name: 'fs_journal_list_tracked',
    title: 'Tracked paths',
    description: 'Every tracked path (paths whose history the journal keeps in detail).',
    input: {},
    output: { paths: z.array(z.string()).describe('Tracked VFS paths') },
    annotations: READ,
    loose: true,
    run: async (_a, env) => (await env.call('journal.tracked')) as never,
  }),
  tool({
    name: 'vfs_checkpoint',
    title: 'Create a checkpoint',
    description: 'Records the current state of some paths (all mounts by default) as a named checkpoint: a root CID per path. Sends progress; cancellable.',
    input: { paths: z.array(vfsPath).max(100).optional().describe('Paths to include (default: every mount)'), label: z.string().max(200).optional().describe('A name for it') },
    output: {
      id: z.number().describe('Checkpoint id (1, 2, 3... in creation order)'),
      label: z.string().describe('Its label'),
      seq: z.number().describe('The journal seq it was taken at'),
      time: z.number().describe('When it was taken, milliseconds since the epoch'),
      roots: z.record(z.string(), z.string()).describe('Root CID of each VFS path it holds'),
    },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    loose: true,
    run: async (a, env) => (await env.call('checkpoint.create', { ...(a.paths === undefined ? {} : { paths: a.paths }), ...(a.label === undefined ? {} : { label: a.label }) })) as never,
  }),
  tool({
    name: 'vfs_checkpoint_list',
    title: 'List checkpoints',
    description: 'Every checkpoint with its id, label, journal seq, time and root CIDs, oldest first.',
    input: {},
    output: { checkpoints: passthrough('Checkpoints: id, label, seq, time, roots') },
    annotations: READ,
    loose: true,
    run: async (_a, env) => (await env.call('checkpoint.list')) as never,
  }),
  tool({
    name: 'vfs_checkpoint_diff',
    title: 'Diff checkpoints',
    description: 'Paths added, removed or modified between two checkpoints, or between one and the current state (b: "current").',
    input: { a: checkpointRef.describe('Checkpoint id or label'), b: checkpointRef.default('current').describe('Checkpoint id or label, or "current"') },
    output: { changes: passthrough('[{path, change: added|removed|modified}]') },
    annotations: READ,
    loose: true,
    run: async (a, env) => (await env.call('checkpoint.diff', { a: a.a, b: a.b })) as never,
  }),
  tool({
    name: 'vfs_restore',
    title: 'Restore a checkpoint',
    description: 'Writes a checkpoint\'s content (or one path of it) back, in place or into target; delete removes what the checkpoint did not have. Sends progress; cancellable.',
    input: {
      id: checkpointRef.describe('Checkpoint id or label'),
      path: vfsPath.optional().describe('Only this path of the checkpoint'),
      target_path: vfsPath.optional().describe('Restore into this path instead of in place'),
      delete: z.boolean().default(false).describe('Remove entries the checkpoint does not have'),
    },
    output: { files: z.number().describe('Files written'), bytes: z.number().describe('Bytes written'), deleted: z.number().describe('Entries removed') },
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    loose: true,
    run: async (a, env) => (await env.call('checkpoint.restore', { id: a.id, delete: a.delete, ...(a.path === undefined ? {} : { path: a.path }), ...(a.target_path === undefined ? {} : { target: a.target_path }) })) as never,
  }),
]
