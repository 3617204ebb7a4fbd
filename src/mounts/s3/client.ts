/**
 * An S3Client for a mount: credentials from the AWS default provider chain (environment, shared
 * profile, ...) unless given, per-request timeouts, the SDK's standard retry strategy (exponential
 * backoff with jitter, 5xx and throttling retried), and Content-MD5 on DeleteObjects (S3 and
 * OpenStack Swift's s3api require it; the SDK sends only a CRC32 there).
 */
import { createHash } from 'node:crypto'
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3'

export interface S3ClientOptions {
  endpoint?: string | undefined
  region?: string | undefined
  forcePathStyle?: boolean | undefined
  /** Tries per request, the first included (the SDK's maxAttempts). Default 5. */
  maxAttempts?: number | undefined
  /** Connection and socket-idle timeout of one request. Default 30 s. */
  timeoutMs?: number | undefined
  /** Explicit credentials (tests); otherwise the AWS default provider chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined
}

export function createS3Client(o: S3ClientOptions): S3Client {
  const timeoutMs = o.timeoutMs ?? 30_000
  const config: S3ClientConfig = {
    region: o.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    forcePathStyle: o.forcePathStyle ?? false,
    maxAttempts: o.maxAttempts ?? 5,
    retryMode: 'standard',
    // Bodies are Buffers with a Content-MD5 of our own: no aws-chunked trailers, which not every
    // S3 implementation takes.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: {
      connectionTimeout: Math.min(timeoutMs, 10_000),
      socketTimeout: timeoutMs,
      httpAgent: { keepAlive: true, maxSockets: 64 },
      httpsAgent: { keepAlive: true, maxSockets: 64 },
    },
    ...(o.endpoint === undefined ? {} : { endpoint: o.endpoint }),
    ...(o.credentials === undefined ? {} : { credentials: o.credentials }),
  }
  const client = new S3Client(config)
  client.middlewareStack.add(
    (next, ctx) => async (args) => {
      const req = args.request as { body?: unknown; headers?: Record<string, string> } | undefined
      if (ctx.commandName === 'DeleteObjectsCommand' && req?.headers && (typeof req.body === 'string' || req.body instanceof Uint8Array)) {
        req.headers['content-md5'] = createHash('md5').update(req.body).digest('base64')
      }
      return next(args)
    },
    { step: 'build', name: 'ipfsVfsContentMd5', priority: 'low' },
  )
  return client
}
