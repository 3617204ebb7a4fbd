/**
 * One logger for every layer, namespaced ('fuse', 'vfs', 'local'...), on pino: one JSON line per
 * event on stderr, quiet by default (warnings and errors only). A failure is one line whose
 * message carries its cause chain (`read /s3/x: EIO <- connect ECONNREFUSED 127.0.0.1:9000`), so
 * `grep` on the daemon's log finds the cause without a stack trace; at debug the stack rides along.
 * Level: IPFS_VFS_LOG=debug|info|warn|error|silent, or `--log-level` (setLogLevel).
 */
import { pino } from 'pino'

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

export function isLogLevel(raw: string | undefined): raw is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(raw ?? '')
}

function initialLevel(): LogLevel {
  const raw = process.env.IPFS_VFS_LOG
  return isLogLevel(raw) ? raw : 'warn'
}

// Synchronous writes: the line of a failure that ends the process must not be lost in a buffer.
const root = pino(
  {
    level: initialLevel(),
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  },
  pino.destination({ dest: 2, sync: true }),
)

/** Changes the level of every logger, made or to be made (children follow their root's level only at creation, so they are kept). */
const children = new Set<pino.Logger>()

export function setLogLevel(level: LogLevel): void {
  root.level = level
  for (const child of children) child.level = level
}

export function getLogLevel(): LogLevel {
  return root.level as LogLevel
}

/** The cause chain as one line: `outer <- inner <- innermost` (at most 5 deep). */
export function describeCause(cause: unknown): string {
  const parts: string[] = []
  for (let c: unknown = cause, depth = 0; c !== undefined && c !== null && depth < 5; depth++) {
    const text = c instanceof Error ? c.message || c.name : String(c)
    if (!parts.includes(text)) parts.push(text)
    c = c instanceof Error ? c.cause : undefined
  }
  return parts.join(' <- ')
}

export interface Logger {
  debug(msg: string, cause?: unknown): void
  info(msg: string, cause?: unknown): void
  warn(msg: string, cause?: unknown): void
  error(msg: string, cause?: unknown): void
}

export function createLogger(name: string): Logger {
  const log = root.child({ name })
  children.add(log)
  const at = (level: 'debug' | 'info' | 'warn' | 'error') => (msg: string, cause?: unknown) => {
    if (!log.isLevelEnabled(level)) return
    const text = cause === undefined ? msg : `${msg}: ${describeCause(cause)}`
    if (log.level === 'debug' && cause instanceof Error && cause.stack) log[level]({ stack: cause.stack }, text)
    else log[level](text)
  }
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}
