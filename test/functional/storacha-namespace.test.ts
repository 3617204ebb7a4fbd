/**
 * The functional suite's namespace cases through FUSE on /storacha alone: the test daemon with the
 * real @storacha/upload-api stand-in (each case's folder is one upload of one UnixFS directory,
 * every close re-uploads it). Apart from mount.test.ts because the stand-in is a process of about
 * 300 MB and every close an upload (about a second: the client polls the accept receipt); split
 * in two files to keep each under a minute. In-process, the contract suite covers the backend.
 */
import { mountTarget } from '../support/fs-like.ts'
import { functionalSuite } from './suite.ts'

functionalSuite('FUSE mount (node:fs), /storacha on the upload-api stand-in, namespace cases', () => mountTarget({ storacha: true }), ['storacha'], ['namespace']).run()
