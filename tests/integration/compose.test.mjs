// docker-compose.yml, the Dockerfile, the README and the binary must agree:
// service names, the published port, environment names, init scripts.
// No Docker engine is needed: `docker-compose config` validates the file alone.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { runBin } from '../lib/gql.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (f) => readFileSync(path.join(root, f), 'utf8');
const compose = read('docker-compose.yml');
const hasCompose = (() => {
  try {
    execFileSync('docker-compose', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('docker-compose.yml', () => {
  it('is valid', { skip: !hasCompose && 'docker-compose is not installed' }, () => {
    execFileSync('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], { cwd: root, stdio: 'pipe' });
  });

  it('has the services postgres and graphpost', { skip: !hasCompose && 'docker-compose is not installed' }, () => {
    const services = execFileSync('docker-compose', ['-f', 'docker-compose.yml', 'config', '--services'], { cwd: root, encoding: 'utf8' });
    assert.deepEqual(services.trim().split('\n').sort(), ['graphpost', 'postgres']);
  });

  it('loads the blog example in order, from files that exist', () => {
    const mounts = [...compose.matchAll(/-\s*\.\/(\S+?):\/docker-entrypoint-initdb\.d\/(\S+?)(:ro)?\s*$/gm)];
    assert.deepEqual(mounts.map((m) => [m[1], m[2]]), [
      ['examples/blog/schema.sql', '01-schema.sql'],
      ['examples/blog/seed.sql', '02-seed.sql'],
    ]);
    for (const m of mounts) assert.ok(existsSync(path.join(root, m[1])), m[1]);
  });

  it('publishes 8080, which the Dockerfile exposes and the README shows', () => {
    assert.match(compose, /-\s*"?8080:8080"?/);
    assert.match(read('Dockerfile'), /^EXPOSE 8080$/m);
    assert.match(read('README.md'), /localhost:8080|127\.0\.0\.1:8080/);
  });

  it('uses only environment names the binary and the README know', async () => {
    const names = [...new Set([...compose.matchAll(/^\s+(GRAPHPOST_[A-Z_]+):/gm)].map((m) => m[1]))];
    assert.ok(names.includes('GRAPHPOST_DATABASE_URL') && names.includes('GRAPHPOST_HOST'), names.join());
    const readme = read('README.md');
    for (const n of names) assert.ok(readme.includes(n), `README.md does not document ${n}`);
    if (process.env.GP_BIN) {
      const help = await runBin(['--help']);
      for (const n of names) assert.ok((help.stdout + help.stderr).includes(n), `graphpost --help does not mention ${n}`);
    }
  });

  it('points graphpost at the postgres service and the blog database', () => {
    assert.match(compose, /GRAPHPOST_DATABASE_URL:\s*postgres:\/\/postgres:[^@]+@postgres:5432\/blog/);
    assert.match(compose, /condition:\s*service_healthy/);
    assert.match(compose, /pg_isready/);
  });
});

describe('README', () => {
  it('documents every flag and variable that --help lists', { skip: !process.env.GP_BIN && 'GP_BIN is not set' }, async () => {
    const help = await runBin(['--help']);
    const text = help.stdout + help.stderr;
    const readme = read('README.md');
    const names = new Set([...text.matchAll(/(?<![\w-])(--[a-z][a-z-]+|GRAPHPOST_[A-Z_]*[A-Z]|DATABASE_URL)\b/g)].map((m) => m[1]));
    names.delete('--name'); // "--name VALUE" in the usage text
    names.delete('--help');
    const missing = [...names].filter((n) => !readme.includes(`\`${n}\``));
    assert.deepEqual(missing, [], `README.md does not document: ${missing.join(', ')}`);
  });

  it('opens with the two commands', () => {
    const lines = read('README.md').split('\n');
    assert.match(lines[0], /scripts\/demo/);
    assert.match(lines[1], /scripts\/test/);
  });
});

describe('Dockerfile', () => {
  it('builds from Debian 12 packages and runs as a non-root user', () => {
    const df = read('Dockerfile');
    assert.match(df, /^FROM debian:bookworm/m);
    for (const p of ['libpq-dev', 'libh2o-evloop-dev', 'libssl-dev', 'libwslay-dev', 'libjansson-dev', 'cmake'])
      assert.ok(df.includes(p), `Dockerfile does not install ${p}`);
    assert.match(df, /^USER (?!root)\S+/m);
  });
});
