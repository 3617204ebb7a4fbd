/**
 * One logger for every layer, namespaced ('fuse', 'vfs', 'local'...), quiet by default: warnings
 * and errors only, one line each with the cause. IPFS_VFS_LOG=debug|info|warn|error|silent.
 */
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const
type Level = keyof typeof LEVELS

function threshold(): number {
  const raw = process.env.IPFS_VFS_LOG ?? 'warn'
  return raw in LEVELS ? LEVELS[raw as Level] : LEVELS.warn
}

let min = threshold()

export function setLogLevel(level: Level): void {
  min = LEVELS[level]
}

function describe(cause: unknown): string {
  if (cause === undefined) return ''
  const parts: string[] = []
  for (let c: unknown = cause, depth = 0; c !== undefined && depth < 4; depth++) {
    parts.push(c instanceof Error ? `${c.message}` : String(c))
    c = c instanceof Error ? c.cause : undefined
  }
  return `: ${parts.join(' <- ')}`
}

export interface Logger {
  debug(msg: string, cause?: unknown): void
  info(msg: string, cause?: unknown): void
  warn(msg: string, cause?: unknown): void
  error(msg: string, cause?: unknown): void
}

export function createLogger(name: string): Logger {
  const at = (level: Level) => (msg: string, cause?: unknown) => {
    if (LEVELS[level] < min) return
    process.stderr.write(`${new Date().toISOString()} ${level} ${name}: ${msg}${describe(cause)}\n`)
  }
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}
