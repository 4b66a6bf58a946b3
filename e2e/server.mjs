// Starts the real MessGo binary on a free port with a fresh data directory, and waits
// for it to say where it listens: readiness is the log line, never a sleep.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/**
 * @param {{env?: Record<string, string>}} [options]
 * @returns {Promise<{url: string, dataDir: string, output: () => string, stop: () => Promise<void>}>}
 */
export async function startServer({ env = {} } = {}) {
  const bin = process.env.MESSGO_BIN || path.join(repoRoot, 'target', 'debug', 'messgo');
  if (!existsSync(bin)) {
    throw new Error(`No server binary at ${bin}: run \`cargo build -p messgo\` or set MESSGO_BIN.`);
  }
  const dataDir = await mkdtemp(path.join(tmpdir(), 'messgo-e2e-'));
  const child = spawn(bin, ['serve', '--bind', '127.0.0.1:0', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  let output = '';
  const url = await new Promise((resolve, reject) => {
    // Both streams are read so neither pipe fills up; the address is expected on stdout.
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        output += line + '\n';
        const found = stream === child.stdout && line.match(/http:\/\/127\.0\.0\.1:\d+/);
        if (found) resolve(found[0]);
      });
    }
    child.once('error', reject);
    exited.then(({ code, signal }) =>
      reject(new Error(`messgo exited (code ${code}, signal ${signal}) before listening:\n${output}`)));
  }).catch(async (err) => {
    child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  });

  return {
    url,
    dataDir,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
