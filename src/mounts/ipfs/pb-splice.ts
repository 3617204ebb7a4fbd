/**
 * Editing one link of a plain directory's dag-pb block by splicing bytes, instead of encoding all
 * of its links again. A canonical dag-pb block is its links, each a self-contained protobuf field
 * (tag 0x12, length, bytes), in name order, then the Data field (tag 0x0a): so adding, replacing or
 * removing one link is copying the bytes around it. For a directory near the shard threshold
 * (256 KiB, a few thousand links) that is a memcpy instead of milliseconds of UTF-8 encoding and
 * validation per change. The output is byte-identical to @ipld/dag-pb's `encode` (tests compare
 * CIDs with the importer's); a block that is not canonical (data first) returns undefined and the
 * caller encodes it the ordinary way.
 */
import type { PBLink } from '@ipld/dag-pb'

const LINK_TAG = 0x12
const DATA_TAG = 0x0a
const utf8 = new TextEncoder()

function readVarint(bytes: Uint8Array, pos: number): [value: number, next: number] {
  let value = 0
  let shift = 1
  for (;;) {
    const b = bytes[pos++]
    if (b === undefined) throw new Error('truncated varint')
    value += (b & 0x7f) * shift
    if (b < 0x80) return [value, pos]
    shift *= 128
  }
}

function varint(n: number): number[] {
  const out: number[] = []
  while (n >= 0x80) {
    out.push((n % 128) | 0x80)
    n = Math.floor(n / 128)
  }
  out.push(n)
  return out
}

/** Start offsets of every link field, plus the offset where the Data field starts (the end of the links). */
export function linkOffsets(block: Uint8Array): { starts: number[]; dataStart: number } | undefined {
  const starts: number[] = []
  let pos = 0
  while (pos < block.byteLength) {
    const tag = block[pos]
    if (tag === DATA_TAG) {
      const [len, next] = readVarint(block, pos + 1)
      return next + len === block.byteLength ? { starts, dataStart: pos } : undefined
    }
    if (tag !== LINK_TAG) return undefined
    starts.push(pos)
    const [len, next] = readVarint(block, pos + 1)
    pos = next + len
  }
  return { starts, dataStart: pos }
}

/** The bytes a link takes in a dag-pb block (its field included), without encoding it. */
export function linkSize(link: PBLink): number {
  const hash = link.Hash.byteLength
  let body = 1 + varint(hash).length + hash
  if (link.Name !== undefined) {
    const name = utf8.encode(link.Name).byteLength
    body += 1 + varint(name).length + name
  }
  if (link.Tsize !== undefined) body += 1 + varint(link.Tsize).length
  return 1 + varint(body).length + body
}

/** The bytes a Data field of `length` bytes takes. */
export function dataFieldSize(length: number): number {
  return 1 + varint(length).length + length
}

/** One link as dag-pb encodes it inside a node: Hash, Name, Tsize, wrapped as field 2. */
export function encodeLink(link: PBLink): Uint8Array {
  const hash = link.Hash.bytes
  const name = link.Name === undefined ? undefined : utf8.encode(link.Name)
  const body: number[] = [0x0a, ...varint(hash.byteLength)]
  const parts: (number[] | Uint8Array)[] = [body, hash]
  if (name !== undefined) parts.push([0x12, ...varint(name.byteLength)], name)
  if (link.Tsize !== undefined) parts.push([0x18, ...varint(link.Tsize)])
  const length = parts.reduce((n, p) => n + p.length, 0)
  const out = new Uint8Array(1 + varint(length).length + length)
  out.set([LINK_TAG, ...varint(length)], 0)
  let at = 1 + varint(length).length
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/**
 * `block` with the link at `index` replaced (`replace` true) or a new one inserted before it, or
 * removed (`link` undefined), and its Data field replaced by `data`.
 */
export function spliceLink(block: Uint8Array, index: number, replace: boolean, link: PBLink | undefined, data: Uint8Array): Uint8Array | undefined {
  const layout = linkOffsets(block)
  if (layout === undefined) return undefined
  const at = layout.starts[index] ?? layout.dataStart
  const after = replace ? (layout.starts[index + 1] ?? layout.dataStart) : at
  const inserted = link === undefined ? new Uint8Array(0) : encodeLink(link)
  const dataField = [DATA_TAG, ...varint(data.byteLength)]
  const out = new Uint8Array(at + inserted.byteLength + (layout.dataStart - after) + dataField.length + data.byteLength)
  out.set(block.subarray(0, at), 0)
  out.set(inserted, at)
  out.set(block.subarray(after, layout.dataStart), at + inserted.byteLength)
  const dataAt = at + inserted.byteLength + (layout.dataStart - after)
  out.set(dataField, dataAt)
  out.set(data, dataAt + dataField.length)
  return out
}
