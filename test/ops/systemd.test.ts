/**
 * The systemd side of operations: the shipped unit files pass `systemd-analyze verify` (with the
 * checkout's launcher in ExecStart, as `install-helper --systemd` writes them), and the daemon
 * speaks Type=notify: READY=1 with its own MAINPID once the mount answers, STOPPING=1 on SIGTERM.
 * There is no running systemd here: a Python Unix datagram socket stands in for NOTIFY_SOCKET.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { BIN, installHelper, renderUnits, UNIT_BIN, uninstallHelper } from '../../src/ops/install-helper.ts'
import { startMount } from '../support/mount.ts'

const run = promisify(execFile)

const hasAnalyze = await run('systemd-analyze', ['--version']).then(
  () => true,
  () => false,
)

const units = suite('unit files')

const verify = hasAnalyze ? units : units.skip
if (!hasAnalyze) console.log('skipped: systemd-analyze is not installed (Debian package systemd; scripts/setup.sh installs it)')

verify('systemd-analyze verify passes the .service and the .mount without a warning', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ipfs-vfs-units-'))
  try {
    const rendered = await renderUnits(BIN)
    assert.equal([...rendered.keys()].sort(), ['ipfs-vfs.service', 'mnt-vfs.mount'])
    for (const [name, text] of rendered) {
      assert.not.match(text, UNIT_BIN, `${name} still names ${UNIT_BIN}`)
      await writeFile(join(dir, name), text)
    }
    const files = [...rendered.keys()].map((n) => join(dir, n))
    const r = await run('systemd-analyze', ['verify', ...files]).then(
      (o) => ({ code: 0, stderr: o.stderr }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    )
    assert.is(r.code, 0, r.stderr)
    // verify only warns about unknown keys and the like: any output is a defect.
    assert.is(r.stderr.trim(), '', r.stderr)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

verify('verify does catch a broken unit (the check can fail)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ipfs-vfs-units-'))
  try {
    const text = (await renderUnits('/nonexistent/ipfs-vfs')).get('ipfs-vfs.service') ?? ''
    await writeFile(join(dir, 'ipfs-vfs.service'), text.replace(/^Type=notify$/m, 'Tyype=notify'))
    const r = await run('systemd-analyze', ['verify', join(dir, 'ipfs-vfs.service')]).then(
      (o) => o.stderr,
      (e: { stderr: string }) => `failed ${e.stderr}`,
    )
    assert.match(r, /Tyype/)
    assert.match(r, /not executable/)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

units('the .service names no HOME-relative path and runs the daemon in the foreground as Type=notify', async () => {
  const text = (await renderUnits(BIN)).get('ipfs-vfs.service') ?? ''
  assert.match(text, /^Type=notify$/m)
  assert.match(text, /^NotifyAccess=all$/m)
  assert.match(text, /^ExecStart=\S+ mount \/mnt\/vfs --config \S+ --state-dir \/var\/lib\/ipfs-vfs/m)
  assert.not.match(text, /~|\$HOME|%h/)
})

units('install-helper links the helper and ipfs-vfs, writes the units, refuses a foreign file, uninstalls only its own links', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ipfs-vfs-install-'))
  try {
    const opts = { prefix: join(dir, 'sbin'), binDir: join(dir, 'bin'), systemdDir: join(dir, 'units'), bin: BIN, force: false }
    const done = await installHelper(opts)
    assert.equal(done.slice(0, 2), [`${join(dir, 'sbin/mount.fuse.ipfs-vfs')} -> ${BIN}`, `${join(dir, 'bin/ipfs-vfs')} -> ${BIN}`])
    assert.is(await readlink(join(dir, 'sbin/mount.fuse.ipfs-vfs')), BIN)
    const unit = await readFile(join(dir, 'units/ipfs-vfs.service'), 'utf8')
    assert.match(unit, new RegExp(`^ExecStart=${join(dir, 'bin/ipfs-vfs')} mount `, 'm'))
    // Again: nothing to do. A file of someone else's is not replaced without force.
    assert.match((await installHelper({ ...opts, systemdDir: undefined }))[0] ?? '', /\(already\)$/)
    await rm(join(dir, 'bin/ipfs-vfs'))
    await writeFile(join(dir, 'bin/ipfs-vfs'), '#!/bin/sh\n')
    await installHelper({ ...opts, systemdDir: undefined }).then(
      () => assert.unreachable('a foreign file was replaced'),
      (err: Error) => assert.match(err.message, /exists; --force replaces it/),
    )
    assert.equal(await uninstallHelper(opts), [`removed ${join(dir, 'sbin/mount.fuse.ipfs-vfs')}`])
    assert.is(await readFile(join(dir, 'bin/ipfs-vfs'), 'utf8'), '#!/bin/sh\n', 'uninstall leaves a file that is not its link')
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

units.run()

const notify = suite('sd_notify')

/** A Unix datagram socket that prints every message it receives, one per line. */
function notifySocket(path: string): ChildProcess {
  const py = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("listening", flush=True)
while True:
    data = s.recv(4096)
    print(data.decode().replace("\\n", " "), flush=True)
`
  return spawn('python3', ['-c', py, path], { stdio: ['ignore', 'pipe', 'inherit'] })
}

notify('READY=1 with the daemon as MAINPID once mounted, STOPPING=1 on SIGTERM', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ipfs-vfs-notify-'))
  const sock = join(dir, 'notify.sock')
  const listener = notifySocket(sock)
  let received = ''
  listener.stdout?.on('data', (d: Buffer) => (received += d))
  try {
    for (let i = 0; i < 100 && !received.includes('listening'); i++) await new Promise((r) => setTimeout(r, 50))
    const m = await startMount({ env: { NOTIFY_SOCKET: sock } })
    try {
      for (let i = 0; i < 100 && !received.includes('READY=1'); i++) await new Promise((r) => setTimeout(r, 50))
      assert.match(received, /READY=1/)
      assert.match(received, new RegExp(`MAINPID=${m.child.pid}\\b`))
      assert.match(received, /STATUS=serving \/local at /)
    } finally {
      assert.is(await m.stop(), 0, m.logs())
    }
    assert.match(received, /STOPPING=1/)
  } finally {
    listener.kill()
    await rm(dir, { recursive: true, force: true })
  }
})

notify('without NOTIFY_SOCKET nothing is attempted (no systemd-notify warning in the log)', async () => {
  const m = await startMount({ env: { IPFS_VFS_LOG: 'warn' } })
  const code = await m.stop()
  assert.is(code, 0)
  assert.not.match(m.logs(), /systemd-notify/)
})

notify.run()
