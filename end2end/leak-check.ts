import { existsSync, readFileSync, rmSync } from 'node:fs';
import { portalLog, secretsFile } from './run-files';

/**
 * Global teardown: no password, mailed token or TOTP secret that a spec typed or
 * received may appear in the portal's log. It runs before Playwright stops the web
 * servers; the log is written line by line, so it is complete up to here.
 * Names only the kinds that leaked, never the values (they are in the secrets file).
 */
export default async function checkSecretsStayOutOfTheLog() {
  if (!existsSync(secretsFile)) return;
  if (process.env.PW_NO_WEBSERVER && !process.env.PORTAL_LOG) {
    console.warn(`leak check skipped: PW_NO_WEBSERVER is set and PORTAL_LOG does not say where the portal logs`);
    return;
  }
  if (!existsSync(portalLog)) throw new Error(`leak check: there is no portal log at ${portalLog}`);
  const log = readFileSync(portalLog, 'utf8');
  const leaked = new Map<string, number>();
  for (const line of readFileSync(secretsFile, 'utf8').split('\n')) {
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    const [kind, value] = [line.slice(0, tab), line.slice(tab + 1)];
    // Short values would match by chance; every recorded secret is longer.
    if (value.length < 8) continue;
    const forms = new Set([value, encodeURIComponent(value), value.replace(/=+$/, '')]);
    if ([...forms].some((form) => log.includes(form))) leaked.set(kind, (leaked.get(kind) ?? 0) + 1);
  }
  if (leaked.size > 0) {
    const what = [...leaked].map(([kind, n]) => `${n} × ${kind}`).join(', ');
    throw new Error(`the portal log ${portalLog} contains secrets the specs used: ${what} (values in ${secretsFile})`);
  }
  rmSync(secretsFile);
}
