/**
 * A unified diff of two versions of one text, as `diff -u` prints it for a change confined to one
 * region: the lines before the first difference and after the last are common, so one hunk from
 * the first to the last changed line (with `context` lines around) is a correct diff. Several
 * edits far apart give one larger hunk rather than several small ones: still a valid patch.
 */
export function unifiedDiff(path: string, before: string, after: string, context = 3): string {
  if (before === after) return ''
  const a = before.split('\n')
  const b = after.split('\n')
  let start = 0
  while (start < a.length && start < b.length && a[start] === b[start]) start++
  let endA = a.length
  let endB = b.length
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--
    endB--
  }
  const from = Math.max(0, start - context)
  const toA = Math.min(a.length, endA + context)
  const toB = Math.min(b.length, endB + context)
  const lines = [`--- ${path}`, `+++ ${path}`, `@@ -${range(from, toA - from)} +${range(from, toB - from)} @@`]
  for (let i = from; i < start; i++) lines.push(` ${a[i]}`)
  for (let i = start; i < endA; i++) lines.push(`-${a[i]}`)
  for (let i = start; i < endB; i++) lines.push(`+${b[i]}`)
  for (let i = endA; i < toA; i++) lines.push(` ${a[i]}`)
  return `${lines.join('\n')}\n`
}

function range(start: number, count: number): string {
  // diff -u numbers lines from 1; an empty range names the line before it.
  return count === 1 ? `${start + 1}` : `${count === 0 ? start : start + 1},${count}`
}
