/**
 * mount(8)'s calling convention, through mount(8) itself: `mount -t fuse.ipfs-vfs CONFIG DIR -o ...`
 * (via the /sbin/mount.fuse.ipfs-vfs link install-helper makes, and via mount.fuse3 finding
 * `ipfs-vfs` on its PATH), an fstab line (`mount -T FILE DIR`), `umount DIR`, a daemon error
 * reported by mount, and a SIGKILLed daemon's stale mount cleared by the next mount.
 * mount(8) looks for helpers in /sbin only: the links are made there for the test (root) and
 * removed in finally; an existing link of someone else's is put back.
 */
import { execFile } from 'node:child_process'
import { lstat, mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { stringify } from 'yaml'
import { callDaemon, daemonAnswers } from '../../src/control/client.ts'
import { controlSocketPath } from '../../src/control/protocol.ts'
import { detach, isMounted } from '../../src/fuse/stale-mount.ts'
import { BIN } from '../../src/ops/install-helper.ts'
import { lastError, mapOptions, parseHelperArgs } from '../../src/ops/mount-helper.ts'
import { NODE, ROOT } from '../support/mount.ts'

const run = promisify(execFile)
const CLI = join(ROOT, 'src/cli/main.ts')

interface Result {
  code: number
  stdout: string
  stderr: string
}

async function sh(cmd: string, args: string[], env: Record<string, string> = {}): Promise<Result> {
  try {
    const { stdout, stderr } = await run(cmd, args, { timeout: 120_000, env: { ...process.env, ...env } })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) }
  }
}

const args = suite('options')

args('mount(8) and mount.fuse3 calling forms parse the same', () => {
  const direct = parseHelperArgs(['/etc/c.yaml', '/mnt/vfs', '-s', '-o', 'rw,allow_other,state_dir=/var/lib/x', '-t', 'fuse.ipfs-vfs'])
  assert.equal(direct, { source: '/etc/c.yaml', mountpoint: '/mnt/vfs', options: ['rw', 'allow_other', 'state_dir=/var/lib/x'], fake: false, verbose: false })
  const viaFuse3 = parseHelperArgs(['/etc/c.yaml', '/mnt/vfs', '-o', 'rw,allow_other,state_dir=/var/lib/x'])
  assert.equal(viaFuse3.options, direct.options)
  assert.is(parseHelperArgs(['none', '/m', '-fv']).fake, true)
  assert.throws(() => parseHelperArgs(['/etc/c.yaml']), /usage/)
})

args('options become flags; mount(8)\'s own are dropped; anything else is refused', () => {
  const m = mapOptions(parseHelperArgs(['c.yaml', '/m', '-o', 'defaults,_netdev,nofail,noauto,user,nosuid,nodev,x-systemd.automount,x-systemd.requires=network-online.target,comment=x,allow_other,ro,state_dir=/var/lib/v,log_level=info']), '/etc')
  assert.equal(m, {
    config: '/etc/c.yaml',
    stateDir: '/var/lib/v',
    flags: ['--allow-other', '--read-only', '--log-level', 'info'],
    dropped: ['defaults', '_netdev', 'nofail', 'noauto', 'user', 'nosuid', 'nodev', 'x-systemd.automount', 'x-systemd.requires=network-online.target', 'comment=x'],
  })
  assert.is(mapOptions(parseHelperArgs(['none', '/m'])).config, undefined)
  assert.is(mapOptions(parseHelperArgs(['none', '/m', '-o', 'config=/etc/other.yaml'])).config, '/etc/other.yaml')
  assert.throws(() => mapOptions(parseHelperArgs(['c', '/m', '-o', 'big_writes'])), /unknown mount option 'big_writes'/)
  assert.throws(() => mapOptions(parseHelperArgs(['c', '/m', '-o', 'log_level=loud'])), /unknown mount option/)
})

args("the daemon's failure is its own one line", () => {
  const log = '{"level":"info","msg":"x"}\n{"level":"error","msg":"metrics endpoint not served: EADDRINUSE"}\nipfs-vfs: /etc/c.yaml: mounts./x.type: expected one of local\n'
  assert.is(lastError(log), '/etc/c.yaml: mounts./x.type: expected one of local')
  assert.is(lastError('{"level":"info","msg":"x"}\n{"level":"error","msg":"boom: EIO"}\n'), 'boom: EIO')
})

args.run()

const viaMount = suite('through mount(8)')
const isRoot = process.getuid?.() === 0
const mountable = isRoot ? viaMount : viaMount.skip
if (!isRoot) console.log('skipped: mount(8) with a helper in /sbin needs root')

let dir = ''
let mnt = ''
let local = ''
let state = ''
let configFile = ''

/** Makes `path` a link to our launcher for the test; returns how to put things back. */
async function borrowLink(path: string): Promise<() => Promise<void>> {
  const before = await lstat(path).then(
    async (s) => (s.isSymbolicLink() ? await readlink(path) : 'not-a-link'),
    () => undefined,
  )
  if (before === 'not-a-link') throw new Error(`${path} exists and is not a link: not touching it`)
  if (before !== BIN) {
    await rm(path, { force: true })
    await symlink(BIN, path)
  }
  return async () => {
    if (before === BIN) return
    await rm(path, { force: true })
    if (before !== undefined) await symlink(before, path)
  }
}

/** Removes `path` for the test (a helper in /sbin would win over mount.fuse3); returns how to put it back. */
async function hideLink(path: string): Promise<() => Promise<void>> {
  const before = await readlink(path).catch(() => undefined)
  if (before === undefined) return async () => {}
  await rm(path)
  return async () => {
    await rm(path, { force: true })
    await symlink(before, path)
  }
}

/** The daemon serving the test's state directory, asked through its control socket. */
async function daemonPid(): Promise<number | undefined> {
  const socket = controlSocketPath(state)
  if (!(await daemonAnswers(socket))) return undefined
  return ((await callDaemon(socket, 'ping', {})) as { pid: number }).pid
}

async function gone(pid: number, timeoutMs: number): Promise<boolean> {
  for (const until = Date.now() + timeoutMs; Date.now() < until; await new Promise((r) => setTimeout(r, 100))) {
    try {
      process.kill(pid, 0)
    } catch {
      return true
    }
  }
  return false
}

viaMount.before.each(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipfs-vfs-helper-'))
  mnt = join(dir, 'mnt')
  local = join(dir, 'local')
  state = join(dir, 'state')
  configFile = join(dir, 'config.yaml')
  await Promise.all([mkdir(mnt), mkdir(local)])
  await writeFile(configFile, stringify({ mounts: { '/local': { type: 'local', root: local } } }))
})

viaMount.after.each(async () => {
  const pid = await daemonPid().catch(() => undefined)
  if (await isMounted(mnt)) await detach(mnt).catch(() => {})
  if (pid) {
    process.kill(pid, 'SIGKILL')
    await gone(pid, 5000)
  }
  await rm(dir, { recursive: true, force: true })
})

mountable('mount -t fuse.ipfs-vfs CONFIG DIR -o ... mounts (daemonised), umount DIR unmounts and the daemon exits', async () => {
  const restore = await borrowLink('/sbin/mount.fuse.ipfs-vfs')
  try {
    const r = await sh('mount', ['-t', 'fuse.ipfs-vfs', configFile, mnt, '-o', `allow_other,state_dir=${state},_netdev,nofail`])
    assert.is(r.code, 0, r.stderr)
    // mount(8) has returned: the mount answers now, not "soon".
    assert.ok(await isMounted(mnt))
    const info = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').find((l) => l.split(' ')[4] === mnt) ?? ''
    assert.match(info, / - fuse\.ipfs-vfs /)
    assert.match(info, /allow_other/)
    const w = await sh('sh', ['-c', `echo through-mount > ${mnt}/local/f && cat ${mnt}/local/f`])
    assert.is(w.stdout, 'through-mount\n', w.stderr)
    assert.is(await readFile(join(local, 'f'), 'utf8'), 'through-mount\n')
    const status = await sh(NODE, [CLI, 'status', '--json', '--state-dir', state])
    const pid = (JSON.parse(status.stdout || '{}') as { pid?: number; daemon?: boolean }).pid
    assert.ok(pid, `status reaches the daemon: ${status.stderr}`)
    assert.is(pid, await daemonPid())
    const u = await sh('umount', [mnt])
    assert.is(u.code, 0, u.stderr)
    assert.not.ok(await isMounted(mnt))
    assert.ok(await gone(pid as number, 15_000), 'the daemon exits after umount')
    assert.match(await readFile(join(state, 'daemon.log'), 'utf8'), /mounted \/local at /)
  } finally {
    await restore()
  }
})

mountable('an fstab line mounts with mount -T FILE DIR; after SIGKILL the next mount clears the stale mount', async () => {
  const restore = await borrowLink('/sbin/mount.fuse.ipfs-vfs')
  try {
    const fstab = join(dir, 'fstab')
    await writeFile(fstab, `# test fstab\n${configFile} ${mnt} fuse.ipfs-vfs _netdev,allow_other,state_dir=${state},x-systemd.automount 0 0\n`)
    const r = await sh('mount', ['-T', fstab, mnt])
    assert.is(r.code, 0, r.stderr)
    assert.is((await sh('ls', [mnt])).stdout, 'local\n')
    const pid = await daemonPid()
    assert.ok(pid)
    process.kill(pid as number, 'SIGKILL')
    assert.ok(await gone(pid as number, 5000))
    const stale = await sh('ls', [mnt])
    assert.match(stale.stderr, /Transport endpoint is not connected/)
    const again = await sh('mount', ['-T', fstab, mnt])
    assert.is(again.code, 0, again.stderr)
    assert.is((await sh('ls', [mnt])).stdout, 'local\n')
    const u = await sh('umount', [mnt])
    assert.is(u.code, 0, u.stderr)
  } finally {
    await restore()
  }
})

mountable('without the /sbin link, mount.fuse3 runs `ipfs-vfs SOURCE DIR -o OPTS` from its PATH', async () => {
  const unhide = await hideLink('/sbin/mount.fuse.ipfs-vfs')
  const restore = await borrowLink('/usr/local/bin/ipfs-vfs')
  try {
    const r = await sh('mount', ['-t', 'fuse.ipfs-vfs', configFile, mnt, '-o', `state_dir=${state},defaults,_netdev`])
    assert.is(r.code, 0, r.stderr)
    assert.ok(await isMounted(mnt))
    assert.is((await sh('ls', [mnt])).stdout, 'local\n')
    assert.is((await sh('umount', [mnt])).code, 0)
  } finally {
    await restore()
    await unhide()
  }
})

mountable("a daemon that cannot start fails mount with its error on one line, and leaves nothing behind", async () => {
  const restore = await borrowLink('/sbin/mount.fuse.ipfs-vfs')
  try {
    await writeFile(configFile, stringify({ mounts: { '/local': { type: 'local', root: local } }, metrics: { listen: '10.255.255.1:9464' } }))
    const r = await sh('mount', ['-t', 'fuse.ipfs-vfs', configFile, mnt, '-o', `state_dir=${state}`])
    assert.is.not(r.code, 0)
    const lines = r.stderr.trim().split('\n')
    assert.is(lines.length, 1, r.stderr)
    assert.match(lines[0] ?? '', /not a loopback address/)
    assert.match(lines[0] ?? '', /daemon\.log/)
    assert.not.ok(await isMounted(mnt))
    assert.is(await daemonPid(), undefined)
    const bad = await sh('mount', ['-t', 'fuse.ipfs-vfs', configFile, mnt, '-o', `state_dir=${state},frobnicate`])
    assert.is.not(bad.code, 0)
    assert.match(bad.stderr, /unknown mount option 'frobnicate'/)
  } finally {
    await restore()
  }
})

viaMount.run()
