/**
 * The browser tests drive Debian's chromium with playwright-core (Playwright's own browser
 * download does not work here). Finds it, installs the Debian package when it is missing and we
 * are root (apt-get update first), or fails with a message that says what to do.
 */
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const CANDIDATES = ['/usr/lib/chromium/chromium', '/usr/bin/chromium', '/usr/bin/chromium-browser'];

export function chromiumPath(): string {
  const found = () => CANDIDATES.find((p) => existsSync(p));
  let path = found();
  if (path) return path;
  const root = process.getuid?.() === 0;
  if (root) {
    console.error('[browser tests] chromium is missing: apt-get update && apt-get install -y chromium (a minute or two)');
    const run = (args: string[]) => spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 600_000 });
    if (run(['update', '-qq']).status === 0) run(['install', '-y', '-qq', 'chromium']);
    path = found();
    if (path) return path;
  }
  throw new Error(
    `the browser tests need Debian's chromium and it is not installed${root ? ' (apt-get install -y chromium failed: is a Debian mirror reachable?)' : ''}: run \`sudo apt-get update && sudo apt-get install -y chromium\` and run the tests again`,
  );
}
