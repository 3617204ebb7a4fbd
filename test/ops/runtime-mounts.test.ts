/**
 * `ipfs-vfs mounts list|add|remove` against a running daemon: an added mount appears in the FUSE
 * mount at once, is validated as the config file's mounts are (same one-line messages), refuses
 * overlaps, comes back after a restart, and a busy mount is not removed (EBUSY) unless forced.
 */
import { execFile, spawn } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { callDaemon } from '../../src/control/client.ts'
import { type ControlError, controlSocketPath } from '../../src/control/protocol.ts'
import type { MountRow } from '../../src/ops/runtime-mounts.ts'
import { startMount } from '../support/mount.ts'
import { cli } from '../support/cli.ts'

const run = promisify(execFile)


const test = suite('runtime mounts')

test('add, use through FUSE, refuse bad specs and overlaps, persist across a restart, remove', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ipfs-vfs-rtm-'))
  const extra = join(dir, 'extra')
  await mkdir(extra)
  let m = await startMount({ dir })
  try {
    const state = ['--state-dir', m.stateDir]
    const add = await cli('mounts', 'add', '/extra', 'local', `root=${extra}`, ...state)
    assert.is(add.code, 0, add.stderr)
    assert.match(add.stdout, new RegExp(`^/extra\\s+local\\s+runtime\\s+root=${extra}$`, 'm'))
    assert.match(add.stdout, /^\/local\s+local\s+config\s+/m)
    // Through the kernel at once: the root lists it, files land in its folder.
    assert.is((await run('ls', [m.mountpoint])).stdout, 'extra\nlocal\n')
    await run('sh', ['-c', `echo runtime > ${m.mountpoint}/extra/f`])
    assert.is(await readFile(join(extra, 'f'), 'utf8'), 'runtime\n')
    const history = await cli('journal', 'history', '/extra', '--json', ...state)
    assert.is(history.code, 0, history.stderr)
    const mounted = (JSON.parse(history.stdout) as { entries: { op: string; args?: { root?: string }; errno?: string }[] }).entries.find((e) => e.op === 'mount')
    assert.is(mounted?.args?.root, extra, 'the mount is in the journal, with its description')

    // The config file's validation, word for word.
    const bad = await cli('mounts', 'add', '/bad', 'local', 'root=/tmp', 'colour=red', ...state)
    assert.is(bad.code, 1)
    assert.is(bad.stderr.trim(), 'ipfs-vfs: EINVAL: mounts.add: mounts./bad.colour: unknown key')
    // The rest straight through the control socket (the CLI prints the same message after 'ipfs-vfs: ').
    const socket = controlSocketPath(m.stateDir)
    const refusal = (params: unknown) => callDaemon(socket, 'mounts.add', params).then(() => 'accepted', (e: ControlError) => `${e.code} ${e.message}`)
    assert.match(await refusal({ point: '/bad', spec: { type: 'floppy' } }), /^EINVAL EINVAL: mounts\.add: mounts\.\/bad\.type: expected one of local, ipfs/)
    assert.is(await refusal({ point: 'relative', spec: { type: 'local', root: '/tmp' } }), 'EINVAL EINVAL: mounts.add: point: an absolute path such as /local')
    assert.is(await refusal({ point: '/', spec: { type: 'local', root: extra } }), 'EINVAL EINVAL: mounts.add: point: an absolute path such as /local')
    assert.is(await refusal({ point: '/extra/sub', spec: { type: 'local', root: extra } }), 'EBUSY EBUSY: mounts.add /extra/sub: overlaps the mount at /extra')
    assert.is(await refusal({ point: '/l2', spec: { type: 'local', root: extra }, extra: 1 }), 'EINVAL EINVAL: mounts.add: params: Unrecognized key: "extra"')
    const listed = (await callDaemon(socket, 'mounts.list', {})) as { mounts: MountRow[] }
    assert.equal(listed.mounts.map((r) => [r.point, r.source]), [['/extra', 'runtime'], ['/local', 'config']])

    // A restart mounts it again, from the state database.
    assert.is(await m.stop(), 0, m.logs())
    m = await startMount({ dir })
    assert.is((await run('ls', [m.mountpoint])).stdout, 'extra\nlocal\n')
    assert.is((await run('cat', [`${m.mountpoint}/extra/f`])).stdout, 'runtime\n')

    // Busy: a file open there keeps it (EBUSY, as umount(2)), --force removes it anyway.
    const holder = spawn('sh', ['-c', `exec 3<${m.mountpoint}/extra/f; echo open; exec sleep 30`], { stdio: ['ignore', 'pipe', 'inherit'] })
    try {
      await new Promise((r) => holder.stdout?.once('data', r))
      const busy = await cli('mounts', 'remove', '/extra', ...state)
      assert.is(busy.code, 1)
      assert.match(busy.stderr.trim(), /^ipfs-vfs: EBUSY: unmount \/extra: 1 open handle\(s\), 0 upload\(s\) not finished$/)
    } finally {
      holder.kill('SIGKILL')
      await new Promise((r) => holder.once('exit', r))
    }
    const removed = await cli('mounts', 'remove', '/extra', ...state)
    assert.is(removed.code, 0, removed.stderr)
    assert.not.match(removed.stdout, /\/extra/)
    assert.is((await run('ls', [m.mountpoint])).stdout, 'local\n')
    // Removed for good: not back after a restart.
    assert.is(await m.stop(), 0, m.logs())
    m = await startMount({ dir })
    assert.is((await run('ls', [m.mountpoint])).stdout, 'local\n')
  } finally {
    await m.stop()
    await rm(dir, { recursive: true, force: true })
  }
})

test('without a daemon, mounts add persists for the next start', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ipfs-vfs-rtm-'))
  const extra = join(dir, 'extra')
  try {
    const first = await startMount({ dir })
    const stateDir = first.stateDir
    await first.stop()
    const add = await cli('mounts', 'add', '/later', '--spec', JSON.stringify({ type: 'local', root: extra }), '--state-dir', stateDir)
    assert.is(add.code, 0, add.stderr)
    const m = await startMount({ dir })
    try {
      assert.is((await run('ls', [m.mountpoint])).stdout, 'later\nlocal\n')
    } finally {
      await m.stop()
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test.run()
