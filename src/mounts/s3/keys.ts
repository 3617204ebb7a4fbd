/**
 * Mount paths and object keys. A file `/a/b` is the key `PREFIX a/b`; a folder is a key prefix
 * `PREFIX a/`, shown by any key under it and, when empty, by a marker object with exactly that key
 * (what s3fs, the AWS console and rclone create).
 */
export class KeySpace {
  /** '' or 'some/prefix/' (always ending in '/'). */
  readonly prefix: string

  constructor(prefix: string | undefined) {
    const p = (prefix ?? '').replace(/^\/+|\/+$/g, '')
    this.prefix = p === '' ? '' : `${p}/`
  }

  /** The key of the object holding file `path` ('/' has none). */
  file(path: string): string {
    return this.prefix + path.slice(1)
  }

  /** The prefix under which `path`'s entries live; also the key of its folder marker. */
  dir(path: string): string {
    return path === '/' ? this.prefix : `${this.prefix}${path.slice(1)}/`
  }

  /** The mount path of `key` (a key under the prefix; a trailing '/' is dropped). */
  path(key: string): string {
    const rel = key.slice(this.prefix.length).replace(/\/$/, '')
    return `/${rel}`
  }
}
