// Typed wrapper around native/posix-time.c: nanosecond-exact, non-blocking utimensat(2).
import { createRequire } from 'node:module';
import { getSystemErrorName } from 'node:util';

interface PosixTimeBinding {
  utimensat(
    path: string,
    atimeSec: number,
    atimeNsec: number,
    mtimeSec: number,
    mtimeNsec: number,
    noFollow: boolean,
  ): Promise<void>;
  UTIME_NOW: number;
  UTIME_OMIT: number;
}

const require = createRequire(import.meta.url);
const binding = require('../../native/build/Release/posix_time.node') as PosixTimeBinding;

export const UTIME_NOW: number = binding.UTIME_NOW;
export const UTIME_OMIT: number = binding.UTIME_OMIT;

export type UtimeSpec = bigint | 'now' | 'omit';

const NS = 1_000_000_000n;

function split(t: UtimeSpec): [number, number] {
  if (t === 'now') return [0, UTIME_NOW];
  if (t === 'omit') return [0, UTIME_OMIT];
  if (typeof t !== 'bigint') throw new TypeError(`utimensat: time must be a bigint (ns), 'now' or 'omit'`);
  let sec = t / NS;
  let nsec = t % NS;
  if (nsec < 0n) {
    nsec += NS;
    sec -= 1n;
  }
  return [Number(sec), Number(nsec)];
}

/**
 * utimensat(AT_FDCWD, path, [atime, mtime], noFollow ? AT_SYMLINK_NOFOLLOW : 0) on the libuv
 * thread pool. Times are nanoseconds since the epoch, or 'now' / 'omit' (UTIME_NOW / UTIME_OMIT).
 * Rejects with an Error carrying `code` ('ENOENT', ...), `errno` (negative, as Node's fs errors),
 * `syscall` and `path`.
 */
export async function utimensat(
  path: string,
  atime: UtimeSpec,
  mtime: UtimeSpec,
  opts?: { noFollow?: boolean },
): Promise<void> {
  const [as, an] = split(atime);
  const [ms, mn] = split(mtime);
  try {
    await binding.utimensat(path, as, an, ms, mn, opts?.noFollow === true);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EUNKNOWN' && typeof e.errno === 'number') {
      try {
        e.code = getSystemErrorName(e.errno);
      } catch {}
    }
    throw e;
  }
}
