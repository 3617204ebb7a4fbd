// Tests for the patched fuse-native binding (patches/fuse-native+2.2.6.patch) and the posix-time
// addon. The passthrough daemon runs in a child process (test/binding/passthrough-child.ts).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const run = promisify(execFile);
const CHILD = path.join(import.meta.dirname, 'passthrough-child.ts');
const INO_OFFSET = 2n ** 40n; // the child reports backing inode + 2^40
const NS = 1_000_000_000n;

interface Mounted {
  root: string;
  back: string;
  mnt: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  nextLine(prefix: string, ms?: number): Promise<string>;
  stats(): Promise<{ maxWrite: number; maxRead: number; creates: Record<string, { uid: number; gid: number; pid: number }>; noPath: string[] }>;
}

async function withMount(fn: (m: Mounted) => Promise<void>): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fuse-binding-'));
  const back = path.join(root, 'back');
  const mnt = path.join(root, 'mnt');
  fs.mkdirSync(back);
  fs.mkdirSync(mnt);
  // Let an unprivileged caller (setpriv uid 1000) reach and write into the mount.
  fs.chmodSync(root, 0o755);
  fs.chmodSync(back, 0o777);
  fs.chmodSync(mnt, 0o777);

  const child = spawn(process.execPath, [CHILD, back, mnt], { stdio: ['pipe', 'pipe', 'inherit'] });
  const { stdin, stdout } = child;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines: string[] = [];
  const waiters: Array<() => void> = [];
  readline.createInterface({ input: stdout }).on('line', (l) => {
    lines.push(l);
    for (const w of waiters.splice(0)) w();
  });
  const nextLine = (prefix: string, ms = 10_000) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for "${prefix}" from child`)), ms);
      const check = () => {
        const i = lines.findIndex((l) => l.startsWith(prefix));
        if (i >= 0) {
          clearTimeout(timer);
          resolve(lines.splice(i, 1)[0] ?? '');
        } else waiters.push(check);
      };
      check();
    });
  const m: Mounted = {
    root,
    back,
    mnt,
    child,
    exited,
    nextLine,
    async stats() {
      stdin.write('stats\n');
      return JSON.parse((await nextLine('stats ')).slice(6));
    },
  };
  try {
    await Promise.race([
      nextLine('ready'),
      exited.then((code) => Promise.reject(new Error(`child exited (${code}) before mounting`))),
    ]);
    await fn(m);
  } finally {
    await run('fusermount', ['-uz', mnt]).catch(() => {});
    if (child.exitCode === null && child.signalCode === null) {
      const t = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(t);
    }
    fs.rmSync(root, { recursive: true, force: true });
  }
}

const statNs = (p: string) => fs.statSync(p, { bigint: true });

test('utimens: nanosecond times, UTIME_OMIT and UTIME_NOW reach the backing file', () =>
  withMount(async ({ back, mnt }) => {
    const f = path.join(mnt, 'f');
    const b = path.join(back, 'f');
    fs.writeFileSync(f, 'hello');
    const env = { ...process.env, TZ: 'UTC' };

    await run('touch', ['-d', '2001-02-03 04:05:06.123456789', f], { env });
    let st = statNs(b);
    assert.is(st.mtimeNs, 981173106123456789n, 'mtime exact to the ns');
    assert.is(st.atimeNs, 981173106123456789n, 'atime exact to the ns');

    await run('touch', ['-m', '-d', '2010-01-01 00:00:00.5', f], { env });
    st = statNs(b);
    assert.is(st.mtimeNs, 1262304000500000000n, 'touch -m sets mtime');
    assert.is(st.atimeNs, 981173106123456789n, 'touch -m leaves atime (UTIME_OMIT)');

    await run('touch', ['-a', '-d', '2011-01-01 00:00:00.25', f], { env });
    st = statNs(b);
    assert.is(st.atimeNs, 1293840000250000000n, 'touch -a sets atime');
    assert.is(st.mtimeNs, 1262304000500000000n, 'touch -a leaves mtime (UTIME_OMIT)');

    const before = BigInt(Date.now()) * 1_000_000n;
    await run('touch', [f]);
    st = statNs(b);
    for (const [name, t] of [['atime', st.atimeNs], ['mtime', st.mtimeNs]] as const) {
      const diff = t > before ? t - before : before - t;
      assert.ok(diff < 5n * NS, `touch sets ${name} to now (off by ${diff} ns)`);
    }
  }),
);

test('stat through the mount: 64-bit inode and nanosecond times', () =>
  withMount(async ({ back, mnt }) => {
    const b = path.join(back, 'g');
    fs.writeFileSync(b, 'x'.repeat(12345));
    await run('touch', ['-m', '-d', '@1234567890.987654321', b]);
    const sb = statNs(b);
    const sm = statNs(path.join(mnt, 'g'));
    assert.is(sm.ino, sb.ino + INO_OFFSET, 'inode (low and high word) survives');
    assert.ok(sm.ino > 2n ** 32n);
    assert.is(sm.mtimeNs, 1234567890987654321n, 'mtime with nanoseconds');
    assert.is(sm.mtimeNs, sb.mtimeNs);
    assert.is(sm.atimeNs, sb.atimeNs);
    assert.is(sm.size, 12345n);
    // readdir stats path (readdir_ino) and the root inode
    const names = fs.readdirSync(mnt);
    assert.equal(names, ['g']);
    assert.is(statNs(mnt).ino, statNs(back).ino + INO_OFFSET);
  }),
);

test('big_writes and FUSE_MAX_PAGES: a 1 MiB write(2) arrives as one call of 1 MiB (libfuse 2 alone: 128 KiB at most); reads come as the readahead window', () =>
  withMount(async (m) => {
    await run('dd', ['if=/dev/zero', `of=${path.join(m.mnt, 'big')}`, 'bs=1M', 'count=8'], {
      encoding: 'utf8',
    });
    assert.is(fs.statSync(path.join(m.back, 'big')).size, 8 * 1024 * 1024);
    // Written in the backing folder, so no page of it is cached on the mount's side.
    fs.writeFileSync(path.join(m.back, 'cold'), Buffer.alloc(8 * 1024 * 1024, 1));
    await run('dd', [`if=${path.join(m.mnt, 'cold')}`, 'of=/dev/null', 'bs=1M'], { encoding: 'utf8' });
    const { maxWrite, maxRead } = await m.stats();
    assert.is(maxWrite, 1048576, `largest write was ${maxWrite}`);
    // Buffered reads are readahead, whose window the kernel keeps at its default (128 KiB).
    assert.is(maxRead, 131072, `largest read was ${maxRead}`);
  }),
);

test('callerContext: uid/gid/pid of the process calling create', () =>
  withMount(async (m) => {
    await run('setpriv', ['--reuid=1000', '--regid=1000', '--clear-groups', 'touch', path.join(m.mnt, 'ctx')]);
    const { creates } = await m.stats();
    const ctx = creates['/ctx'];
    if (!ctx) return assert.unreachable('create was not called');
    assert.is(ctx.uid, 1000);
    assert.is(ctx.gid, 1000);
    assert.ok(ctx.pid > 0 && ctx.pid !== m.child.pid && ctx.pid !== process.pid, 'pid of the caller');
    const st = fs.statSync(path.join(m.back, 'ctx'));
    assert.is(st.uid, 1000);
    assert.is(st.gid, 1000);
  }),
);

test('hard_remove: an unlinked open file leaves no .fuse_hidden name; its fd reads, writes, truncates and fstats (path \'\')', () =>
  withMount(async (m) => {
    const f = path.join(m.mnt, 'f');
    // Written behind the mount, so the read below is not served from the kernel's page cache.
    fs.writeFileSync(path.join(m.back, 'f'), 'hello world');
    const fd = fs.openSync(f, 'r+');
    try {
      fs.unlinkSync(f);
      assert.equal(fs.readdirSync(m.mnt), [], 'no name left in the mount (no .fuse_hidden*)');
      assert.equal(fs.readdirSync(m.back), [], 'nor in the backing folder');
      // The unlink made the kernel drop the cached attributes: fstat(2) is a GETATTR without a
      // handle, which the binding's channel gives the open handle (libfuse has no path for it).
      const before = fs.fstatSync(fd, { bigint: true });
      assert.is(before.nlink, 0n, 'fstat right after unlink: no links left');
      assert.is(before.size, 11n);
      const buf = Buffer.alloc(32);
      assert.is(buf.subarray(0, fs.readSync(fd, buf, 0, 32, 0)).toString(), 'hello world');
      fs.writeSync(fd, 'HELLO', 0);
      fs.ftruncateSync(fd, 8);
      const st = fs.fstatSync(fd, { bigint: true });
      assert.is(st.nlink, 0n);
      assert.is(st.size, 8n, 'fstat after write and ftruncate');
    } finally {
      fs.closeSync(fd);
    }
    // RELEASE reaches the daemon after close(2) has returned.
    let noPath: string[] = [];
    for (let i = 0; i < 50; i++) {
      noPath = (await m.stats()).noPath;
      if (noPath.includes('release')) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const op of ['read', 'write', 'ftruncate', 'fgetattr', 'release']) assert.ok(noPath.includes(op), `${op} came with path '' (got: ${noPath.join(', ')})`);
    assert.equal(fs.readdirSync(m.back), [], 'nothing appeared on release');
  }),
);

test('onExit: an external fusermount -u ends the daemon', () =>
  withMount(async (m) => {
    await run('fusermount', ['-u', m.mnt]);
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      m.exited,
      new Promise<string>((r) => {
        timer = setTimeout(() => r('still running after 5 s'), 5000);
      }),
    ]);
    clearTimeout(timer);
    assert.is(code, 0);
  }),
);

test('rsync -a twice: the second run transfers nothing', () =>
  withMount(async ({ root, mnt, back }) => {
    const src = path.join(root, 'src');
    fs.mkdirSync(path.join(src, 'sub'), { recursive: true });
    for (let i = 0; i < 5; i++) fs.writeFileSync(path.join(src, `file${i}.txt`), `content ${i}\n`.repeat(i * 100));
    fs.writeFileSync(path.join(src, 'sub', 'nested.bin'), Buffer.alloc(300_000, 7));
    fs.utimesSync(path.join(src, 'file1.txt'), new Date('2003-04-05T06:07:08.123Z'), new Date('2004-05-06T07:08:09.456Z'));
    fs.mkdirSync(path.join(mnt, 'dst'));

    await run('rsync', ['-a', `${src}/`, `${mnt}/dst/`]);
    const srcSt = statNs(path.join(src, 'file1.txt'));
    assert.is(statNs(path.join(back, 'dst', 'file1.txt')).mtimeNs, srcSt.mtimeNs, 'rsync set the mtime');
    const { stdout } = await run('rsync', ['-a', '--itemize-changes', `${src}/`, `${mnt}/dst/`]);
    const sent = stdout.split('\n').filter((l) => l.startsWith('>f'));
    assert.equal(sent, [], `second rsync re-sent files:\n${stdout}`);
  }),
);

test.run();
