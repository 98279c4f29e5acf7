import { fileURLToPath } from 'node:url';

/**
 * Files a test run leaves behind for its global teardown. Not under `test-results`:
 * Playwright empties that directory when a run starts.
 */
export const runDir = fileURLToPath(new URL('./.run/', import.meta.url));

/** Everything the portal under test prints (start-portal.sh writes it). */
export const portalLog = process.env.PORTAL_LOG || `${runDir}portal.log`;

/** One `kind<TAB>value` line for every password, token and TOTP secret a spec used. */
export const secretsFile = `${runDir}secrets.txt`;
