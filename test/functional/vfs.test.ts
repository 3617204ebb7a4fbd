import { vfsTarget } from '../support/fs-like.ts'
import { functionalSuite } from './suite.ts'

functionalSuite('in-process Vfs', vfsTarget).run()
