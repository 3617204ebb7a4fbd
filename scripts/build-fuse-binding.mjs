// npm postinstall: apply patches/ (patch-package), then build fuse-native from source against
// Debian's libfuse (pkg-config fuse) and the native/ posix-time addon, both with node-gyp.
// Plain ESM JavaScript: runs with whichever `node` is first on PATH (Node 20 or 24).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fuseNative = path.join(root, 'node_modules', 'fuse-native');
const native = path.join(root, 'native');
const APT = 'apt-get install libfuse2 libfuse-dev fuse3 pkg-config';
// Children (node-gyp's `<!(node -e ...)` in binding.gyp) use the same node as this script.
const env = { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}` };

function fail(msg) {
  console.error(`build-fuse-binding: ${msg}`);
  process.exit(1);
}

function run(what, cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    process.stderr.write(r.stdout ?? '');
    process.stderr.write(r.stderr ?? '');
    fail(`${what} failed${r.error ? `: ${r.error.message}` : ` (exit ${r.status})`}`);
  }
  return r.stdout;
}

// 1. System libfuse 2 headers and pkg-config.
const pc = spawnSync('pkg-config', ['--modversion', 'fuse'], { encoding: 'utf8' });
if (pc.error || pc.status !== 0) fail(`libfuse-dev / pkg-config not found; install them: ${APT}`);
const fuseVersion = pc.stdout.trim();

if (!fs.existsSync(path.join(fuseNative, 'package.json'))) fail('node_modules/fuse-native is missing; run npm ci');

// 2. Apply patches/fuse-native+2.2.6.patch (patch-package skips patches already applied).
const patchPackage = path.join(root, 'node_modules', 'patch-package', 'index.js');
if (!fs.existsSync(patchPackage)) fail('patch-package is missing (it is a devDependency; do not omit dev deps)');
run('patch-package', process.execPath, [patchPackage, '--error-on-fail'], root);

// 3. node-gyp rebuild of both addons.
let nodeGyp = path.join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
if (!fs.existsSync(nodeGyp)) nodeGyp = process.env.npm_config_node_gyp ?? '';
if (!nodeGyp || !fs.existsSync(nodeGyp)) fail('node-gyp is missing (it is a devDependency)');
const gypArgs = ['rebuild'];
// Offline machines: use the installed Node headers (N-API addons only need node_api.h).
if (!process.env.npm_config_nodedir && fs.existsSync('/usr/include/node/node_api.h')) gypArgs.push('--nodedir=/usr');
run('node-gyp rebuild of fuse-native', process.execPath, [nodeGyp, ...gypArgs], fuseNative);
run('node-gyp rebuild of native/posix-time', process.execPath, [nodeGyp, ...gypArgs], native);

// 4. Sanity check: the patched binding loads and carries the patch's exports.
const require = createRequire(import.meta.url);
try {
  const b = require(path.join(fuseNative, 'build', 'Release', 'fuse.node'));
  if (typeof b.UTIME_NOW !== 'number') fail('fuse-native built without the patch (no UTIME_NOW export)');
  const pt = require(path.join(native, 'build', 'Release', 'posix_time.node'));
  if (typeof pt.utimensat !== 'function') fail('native/posix-time built without utimensat');
} catch (err) {
  fail(`built addon does not load: ${err.message} (runtime libfuse2 missing? ${APT})`);
}

console.log(`build-fuse-binding: fuse-native patched and built against libfuse ${fuseVersion}; native/posix-time built`);
