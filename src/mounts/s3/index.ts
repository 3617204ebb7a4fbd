/** /s3: a bucket as a folder over @aws-sdk/client-s3. */
export { createS3Backend, type S3Backend, type S3BackendComponents, type S3Counters } from './backend.ts'
export { createS3Client, type S3ClientOptions } from './client.ts'
export { S3BackendInitSchema, type S3BackendInit, type S3BackendOptions } from './options.ts'
