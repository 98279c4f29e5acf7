import { defineConfig } from '@playwright/test';
import { portalLog } from './run-files';

const portalPort = process.env.PORTAL_PORT || '3300';
const idpPort = process.env.DEV_IDP_PORT || '5566';
const portalUrl = process.env.PORTAL_URL || `http://127.0.0.1:${portalPort}`;
const idpUrl = `http://127.0.0.1:${idpPort}`;
const mailSmtpPort = process.env.MAIL_SMTP_PORT || '5025';
const mailWebPort = process.env.MAIL_WEB_PORT || '5080';
const wikiUrl = process.env.WIKI_URL || 'http://127.0.0.1:3400';
const scimPort = process.env.SCIM_PORT || '5099';

// The servers' environment: a fresh portal on its own port and database, the dev
// identity provider redirecting back to it, and the mail catcher it sends to.
const env = {
  ...process.env,
  PORTAL_PORT: portalPort,
  PORTAL_URL: portalUrl,
  DEV_IDP_PORT: idpPort,
  MAIL_SMTP_PORT: mailSmtpPort,
  MAIL_WEB_PORT: mailWebPort,
  PORTAL_LOG: portalLog,
  WIKI_URL: wikiUrl,
  SCIM_PORT: scimPort,
} as Record<string, string>;

export default defineConfig({
  testDir: './tests',
  reporter: [['list']],
  fullyParallel: false,
  workers: 1,
  retries: 0,
  // Some specs are whole stories (a wizard, sign-out, the new admin signing in
  // and acting): on a loaded 2-core machine they need more than 30 s.
  timeout: 60_000,
  expect: { timeout: 10_000 },
  forbidOnly: !!process.env.CI,
  // Fails the run when a password, mailed token or TOTP secret shows up in the portal's log.
  globalTeardown: './leak-check.ts',
  use: {
    baseURL: portalUrl,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync',
        '--disable-quic',
      ],
    },
  },
  projects: [
    { name: 'hydrated', use: { javaScriptEnabled: true }, grepInvert: /@no-js-only/ },
    { name: 'no-js', use: { javaScriptEnabled: false }, grepInvert: /@js-only/ },
  ],
  webServer: process.env.PW_NO_WEBSERVER
    ? undefined
    : [
        {
          command: `../node_modules/.bin/maildev --smtp ${mailSmtpPort} --ip 127.0.0.1 --web ${mailWebPort} --web-ip 127.0.0.1 --silent`,
          // The web root answers only browsers (Accept: text/html); the API answers all.
          url: `http://127.0.0.1:${mailWebPort}/api/healthz`,
          env,
          reuseExistingServer: false,
          timeout: 30_000,
          stdout: 'ignore',
          stderr: 'pipe',
        },
        {
          // The "Partner Wiki" sample app, signing users in through the portal.
          command: 'node sample-app/server.mjs',
          url: `${wikiUrl}/healthz`,
          env,
          reuseExistingServer: false,
          timeout: 30_000,
          stdout: 'ignore',
          stderr: 'pipe',
        },
        {
          // The downstream SCIM 2.0 app of the provisioning spec (scim2-server, PyPI).
          command: `.venv/bin/scim2-server --port ${scimPort} --dynamic-tenants --bearer-token e2e-scim-token`,
          url: `http://127.0.0.1:${scimPort}/ready/ServiceProviderConfig`,
          env,
          reuseExistingServer: false,
          timeout: 30_000,
          stdout: 'ignore',
          stderr: 'pipe',
        },
        {
          command: 'node dev-idp/server.mjs',
          url: `${idpUrl}/org/.well-known/openid-configuration`,
          env,
          reuseExistingServer: false,
          timeout: 30_000,
          stdout: 'ignore',
          stderr: 'pipe',
        },
        {
          command: 'bash scripts/start-portal.sh',
          url: `${portalUrl}/readyz`,
          env,
          reuseExistingServer: false,
          timeout: 120_000,
          stdout: 'ignore',
          stderr: 'pipe',
        },
      ],
});
