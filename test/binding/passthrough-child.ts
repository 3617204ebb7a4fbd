// Minimal fuse-native passthrough used by binding.test.ts. Runs in its own process: a kernel call
// into a FUSE daemon living in the same process would deadlock.
//   node passthrough-child.ts <backing-dir> <mount-dir>
// Prints `ready` once mounted. On stdin line `stats`, prints `stats <json>` (largest write size
// seen, caller context of each create, ops on a handle that came with no path). Exits when the
// FUSE loop ends (onExit). Mounted with hard_remove: an unlinked open file has no name left, and
// libfuse passes its handle ops path '' (flag_nullpath_ok in the patched binding).
// Inodes are reported as backing inode + INO_OFFSET (2^40) to exercise the 64-bit inode path.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import readline from 'node:readline';
import { utimensat } from '../../src/native/posix-time.ts';

const require = createRequire(import.meta.url);
const Fuse = require('fuse-native');

const INO_OFFSET = 2n ** 40n;

const [backing, mnt] = process.argv.slice(2);
if (!backing || !mnt) {
  console.error('usage: passthrough-child.ts <backing-dir> <mount-dir>');
  process.exit(2);
}

type Cb = (...args: unknown[]) => void;
const real = (p: string) => path.join(backing, p);
const errno = (err: NodeJS.ErrnoException | null) => (err ? (err.errno ?? Fuse.EIO) : 0);
const stats = { maxWrite: 0, maxRead: 0, creates: {} as Record<string, { uid: number; gid: number; pid: number }>, noPath: [] as string[] };
/** Records an op on a handle that libfuse sent without a path (its file has no name). */
const seen = (op: string, p: string) => {
  if (p === '' && !stats.noPath.includes(op)) stats.noPath.push(op);
};

function statOut(st: fs.BigIntStats) {
  return {
    mode: st.mode, uid: st.uid, gid: st.gid, size: st.size, dev: st.dev, nlink: st.nlink,
    ino: st.ino + INO_OFFSET, rdev: st.rdev, blksize: st.blksize, blocks: st.blocks,
    atimeNs: st.atimeNs, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs,
  };
}

const ops = {
  getattr(p: string, cb: Cb) {
    fs.lstat(real(p), { bigint: true }, (err, st) => (err ? cb(errno(err)) : cb(0, statOut(st))));
  },
  fgetattr(p: string, fd: number, cb: Cb) {
    seen('fgetattr', p);
    fs.fstat(fd, { bigint: true }, (err, st) => (err ? cb(errno(err)) : cb(0, statOut(st))));
  },
  readdir(p: string, cb: Cb) {
    fs.readdir(real(p), async (err, names) => {
      if (err) return cb(errno(err));
      try {
        const all = ['.', '..', ...names];
        const sts = await Promise.all(
          all.map((n) => fs.promises.lstat(n === '..' ? real(p) : path.join(real(p), n), { bigint: true })),
        );
        cb(0, all, sts.map(statOut));
      } catch (e) {
        cb(errno(e as NodeJS.ErrnoException));
      }
    });
  },
  open(p: string, flags: number, cb: Cb) {
    fs.open(real(p), flags, (err, fd) => cb(errno(err), fd));
  },
  create(p: string, mode: number, cb: Cb) {
    const ctx = fuse.callerContext(); // valid only synchronously at the start of the op
    stats.creates[p] = ctx;
    fs.open(real(p), fs.constants.O_CREAT | fs.constants.O_RDWR, mode, (err, fd) => {
      if (err) return cb(errno(err));
      fs.fchown(fd, ctx.uid, ctx.gid, (err2) => cb(errno(err2), fd));
    });
  },
  read(p: string, fd: number, buf: Buffer, len: number, pos: number, cb: Cb) {
    seen('read', p);
    if (len > stats.maxRead) stats.maxRead = len;
    fs.read(fd, buf, 0, len, pos, (err, n) => cb(err ? errno(err) : n));
  },
  write(p: string, fd: number, buf: Buffer, len: number, pos: number, cb: Cb) {
    seen('write', p);
    if (len > stats.maxWrite) stats.maxWrite = len;
    fs.write(fd, buf, 0, len, pos, (err, n) => cb(err ? errno(err) : n));
  },
  release(p: string, fd: number, cb: Cb) {
    seen('release', p);
    fs.close(fd, (err) => cb(errno(err)));
  },
  truncate(p: string, size: number, cb: Cb) {
    fs.truncate(real(p), size, (err) => cb(errno(err)));
  },
  ftruncate(p: string, fd: number, size: number, cb: Cb) {
    seen('ftruncate', p);
    fs.ftruncate(fd, size, (err) => cb(errno(err)));
  },
  utimens(p: string, atime: bigint | 'now' | 'omit', mtime: bigint | 'now' | 'omit', cb: Cb) {
    utimensat(real(p), atime, mtime, { noFollow: true }).then(
      () => cb(0),
      (err) => cb(errno(err)),
    );
  },
  chown(p: string, uid: number, gid: number, cb: Cb) {
    fs.lchown(real(p), uid, gid, (err) => cb(errno(err)));
  },
  chmod(p: string, mode: number, cb: Cb) {
    fs.chmod(real(p), mode, (err) => cb(errno(err)));
  },
  unlink(p: string, cb: Cb) {
    fs.unlink(real(p), (err) => cb(errno(err)));
  },
  mkdir(p: string, mode: number, cb: Cb) {
    fs.mkdir(real(p), { mode }, (err) => cb(errno(err)));
  },
  rmdir(p: string, cb: Cb) {
    fs.rmdir(real(p), (err) => cb(errno(err)));
  },
  rename(src: string, dest: string, cb: Cb) {
    fs.rename(real(src), real(dest), (err) => cb(errno(err)));
  },
};

const fuse = new Fuse(mnt, ops, {
  timeout: { default: 120000 },
  extraOptions: [
    'big_writes', 'max_write=1048576', 'max_read=1048576', 'use_ino', 'readdir_ino',
    'attr_timeout=1', 'entry_timeout=1', 'negative_timeout=0',
    'fsname=ipfs-vfs-test', 'subtype=ipfs-vfs-test', 'allow_other', 'default_permissions', 'hard_remove',
  ],
  onExit: () => process.exit(0),
});

fuse.mount((err: Error | null) => {
  if (err) {
    console.error(`mount failed: ${err.message}`);
    process.exit(1);
  }
  process.stdout.write('ready\n');
});

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'stats') process.stdout.write(`stats ${JSON.stringify(stats)}\n`);
});
