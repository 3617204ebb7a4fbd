'use strict'
// Loader for the posix_time addon (built by scripts/build-fuse-binding.mjs).
module.exports = require('./build/Release/posix_time.node')
