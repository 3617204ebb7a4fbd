import { mountTarget } from '../support/fs-like.ts'
import { functionalSuite } from './suite.ts'

functionalSuite('FUSE mount (node:fs)', mountTarget).run()
