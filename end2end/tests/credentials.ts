// Helpers for the portal's own credentials (issue #21): the mail catcher, TOTP codes,
// a virtual WebAuthn authenticator, the hosted sign-in pages, and the record of
// every secret a spec uses (the global teardown checks that none reached the log).
import { expect, type Locator, type Page } from '@playwright/test';
import { appendFileSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { test as base, accounts } from './fixtures';
import { runDir, secretsFile } from '../run-files';

/**
 * Where these specs' browsers open the portal: `localhost`, because browsers
 * refuse passkeys (WebAuthn) on IP addresses; the portal maps its loopback
 * public URL to this origin for passkeys. Cookies are per host, so everything a
 * hosted user does happens here.
 */
export const hostedUrl = `http://localhost:${process.env.PORTAL_PORT || '3300'}`;
export const mailUrl = `http://127.0.0.1:${process.env.MAIL_WEB_PORT || '5080'}`;
export const ACTIVATION_SUBJECT = 'Activate your Partner Portal account';
export const RESET_SUBJECT = 'Reset your Partner Portal password';

/** Hooli's partner admin: her password is held by the portal itself. */
export const HANNA = { email: 'hanna.admin@hooli.test', password: accounts.password as string };

// ------------------------------------------------------------------ secrets

type SecretKind = 'password' | 'token' | 'TOTP secret';
const recorded = new Set<string>();

/** Notes a secret the portal must never log; the global teardown looks for it. */
export function recordSecret(kind: SecretKind, value: string) {
  if (recorded.has(value)) return;
  recorded.add(value);
  mkdirSync(runDir, { recursive: true });
  appendFileSync(secretsFile, `${kind}\t${value}\n`);
}

/** A fresh password that meets Hooli's policy (at least 12 characters), recorded. */
export function newPassword(label: string): string {
  // Never the user's name (the policy refuses that): `label` only seeds nothing.
  void label;
  const password = `pw-${randomBytes(9).toString('base64url')}-7a`;
  recordSecret('password', password);
  return password;
}

/** A fresh password one character too short for Hooli's policy, recorded. */
export function tooShortPassword(): string {
  const password = `${randomBytes(4).toString('hex')}-A1`.slice(0, 11);
  recordSecret('password', password);
  return password;
}

// ------------------------------------------------------------------ mail

export type Mail = {
  subject: string;
  text?: string;
  html?: string;
  time: string;
  to: { address: string; name?: string }[];
};

async function mailsSince(to: string, subject: string | undefined, since: number): Promise<Mail[]> {
  const response = await fetch(`${mailUrl}/api/email`);
  if (!response.ok) throw new Error(`the mail catcher answered ${response.status}`);
  const all = (await response.json()) as Mail[];
  return all
    // A second's slack: the catcher stamps mail with its own clock.
    .filter((m) => Date.parse(m.time) >= since - 1000)
    .filter((m) => subject === undefined || m.subject === subject)
    .filter((m) => to === '' || m.to.some((a) => a.address.toLowerCase() === to.toLowerCase()))
    .sort((a, b) => Date.parse(b.time) - Date.parse(a.time));
}

/**
 * The newest mail to `to` with this subject that the catcher received at or after
 * `since` (a `Date.now()` taken before the action that sends it). Waits up to 15 s.
 */
export async function latestMail(to: string, subject: string, since: number): Promise<Mail> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const [mail] = await mailsSince(to, subject, since);
    if (mail) return mail;
    if (Date.now() > deadline) {
      const seen = (await mailsSince('', undefined, 0).catch(() => [])).length;
      throw new Error(`no mail "${subject}" to ${to} arrived within 15 s (the catcher holds ${seen} for others)`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Every mail to `to` received at or after `since`, newest first (no waiting). */
export async function mailsTo(to: string, since: number): Promise<Mail[]> {
  return mailsSince(to, undefined, since);
}

/**
 * The activation or reset link in a mail's text body. Its token is recorded:
 * the portal must not log it.
 */
export function linkIn(mail: Mail, path: '/activate' | '/reset-password'): string {
  const link = (mail.text ?? '').match(/https?:\/\/\S+?\/(?:activate|reset-password)\?token=[^\s<>"']+/)?.[0];
  if (!link) throw new Error(`no link in the mail "${mail.subject}"`);
  expect(new URL(link).pathname).toBe(path);
  const token = new URL(link).searchParams.get('token') ?? '';
  expect(token.length).toBeGreaterThanOrEqual(16);
  recordSecret('token', token);
  // Opened at `localhost`, where these specs' browsers are (see `hostedUrl`).
  const opened = new URL(link);
  opened.host = new URL(hostedUrl).host;
  return opened.toString();
}

// ------------------------------------------------------------------ TOTP

const PERIOD_MS = 30_000;
const stepAt = (ms: number) => Math.floor(ms / PERIOD_MS);
/** The last time step a code was handed out for, per secret (this worker). */
const usedSteps = new Map<string, number>();

/** Waits for the next 30-second TOTP window. */
export async function nextTotpWindow() {
  const wait = (stepAt(Date.now()) + 1) * PERIOD_MS - Date.now() + 100;
  await new Promise((resolve) => setTimeout(resolve, wait));
}

const totp = (secret: string) =>
  new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: PERIOD_MS / 1000 });

/**
 * The current code of an authenticator app. The portal accepts a code only for a
 * time step later than the last one it accepted (replay protection), so a second
 * code for the same secret waits for the next window; so does a code in the last
 * two seconds of its window, which could expire on the way.
 */
export async function totpCode(secret: string): Promise<string> {
  const used = usedSteps.get(secret);
  if (used !== undefined && stepAt(Date.now()) <= used) await nextTotpWindow();
  if (PERIOD_MS - (Date.now() % PERIOD_MS) < 2_000) await nextTotpWindow();
  const now = Date.now();
  usedSteps.set(secret, stepAt(now));
  return totp(secret).generate({ timestamp: now });
}

/** A well-formed code that is not valid now (nor one window either side). */
export function wrongTotpCode(secret: string): string {
  const now = Date.now();
  const valid = [-1, 0, 1].map((d) => totp(secret).generate({ timestamp: now + d * PERIOD_MS }));
  for (let back = 100; ; back++) {
    const code = totp(secret).generate({ timestamp: now - back * PERIOD_MS });
    if (!valid.includes(code)) return code;
  }
}

// ------------------------------------------------------------------ WebAuthn

/**
 * A platform authenticator with user verification that answers by itself, through
 * the DevTools protocol. It belongs to this page: keep using the same page.
 */
export async function addVirtualAuthenticator(page: Page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    /** How many credentials (passkeys) the authenticator holds. */
    count: async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials.length,
  };
}

// ------------------------------------------------------------------ hosted pages

/** `/login` → Email → Continue → the portal's own password page. */
export async function openPasswordPage(page: Page, email: string) {
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { name: 'Enter your password' })).toBeVisible();
}

/** Submits the password page (already open) with this password. */
export async function submitPassword(page: Page, password: string) {
  recordSecret('password', password);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/** Signs in with the portal's password page; what follows (verify, /me) is the caller's. */
export async function signInHosted(page: Page, email: string, password: string) {
  await openPasswordPage(page, email);
  await submitPassword(page, password);
}

/** On "Verify it's you": enters the authenticator app's current code, and returns it. */
export async function verifyWithCode(page: Page, secret: string, code?: string): Promise<string> {
  await expect(page.getByRole('heading', { name: /^Verify it.s you$/ })).toBeVisible();
  const entered = code ?? (await totpCode(secret));
  await page.getByLabel('Code from your authenticator app').fill(entered);
  await page.getByRole('button', { name: 'Verify', exact: true }).click();
  return entered;
}

/** Nobody is signed in on this page: a way to sign in is offered, no user is shown. */
export async function expectSignedOut(page: Page) {
  const signIn = page.getByRole('link', { name: 'Sign in', exact: true }).or(page.getByText('You are signed out.'));
  await expect(signIn.first()).toBeVisible();
  await expect(page.getByTestId('signed-in-user')).toHaveCount(0);
}

/** Hosted users have no IdP to confirm with: sign-out lands on the portal at once. */
export async function signOutHosted(page: Page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expectSignedOut(page);
}

/** Fills "New password" and its repetition, then presses the button. */
export async function setNewPassword(page: Page, password: string, button = 'Set password') {
  recordSecret('password', password);
  await page.getByLabel('New password', { exact: true }).fill(password);
  await page.getByLabel('Repeat the new password').fill(password);
  await page.getByRole('button', { name: button, exact: true }).click();
}

/**
 * On the enrol page or /me/authenticators: adds an authenticator app from the key
 * the page shows and returns that (recorded) secret.
 */
export async function addAuthenticatorApp(page: Page): Promise<string> {
  await expect(page.getByRole('heading', { name: 'Authenticator app', exact: true })).toBeVisible();
  await expect(page.getByRole('img', { name: 'QR code for your authenticator app' })).toBeVisible();
  const key = page.getByLabel('Secret key', { exact: true });
  const secret = ((await key.getAttribute('data-secret')) ?? (await key.innerText())).replace(/\s+/g, '');
  expect(secret).toMatch(/^[A-Z2-7]+=*$/);
  recordSecret('TOTP secret', secret);
  await page.getByLabel('Code from your authenticator app').fill(await totpCode(secret));
  await page.getByRole('button', { name: 'Add authenticator app' }).click();
  await expect(page.getByText('Authenticator app added.')).toBeVisible();
  return secret;
}

/** The enrol page's way on: a button or a link named Continue. */
export function continueButton(page: Page): Locator {
  return page.getByRole('button', { name: 'Continue', exact: true }).or(page.getByRole('link', { name: 'Continue', exact: true }));
}

// ------------------------------------------------------------------ admin side

/** The status shown on a user's page (the label the contract names, e.g. "Locked out"). */
export function userStatus(admin: Page): Locator {
  return admin.getByTestId('user-status');
}

/**
 * Applies a lifecycle action on the open user page, confirming it when the page
 * asks, and waits until the server has answered (with JavaScript the form posts
 * in the background).
 */
export async function lifecycle(admin: Page, label: string) {
  await expect(userStatus(admin)).toBeVisible();
  const done = admin.waitForResponse((r) => r.request().method() === 'POST' && (r.request().postData() ?? '').includes('op='));
  const confirm = admin.getByText(`${label}…`, { exact: true });
  if ((await confirm.count()) > 0) {
    await confirm.click();
    await admin.getByRole('button', { name: `Yes, ${label.toLowerCase()}` }).click();
  } else {
    await admin.getByRole('button', { name: label, exact: true }).click();
  }
  await done;
}

// ------------------------------------------------------------------ fixture

type CredentialFixtures = {
  /** Another browser (a new context with the project's options), closed after the test. */
  openBrowser: () => Promise<Page>;
};

export const test = base.extend<CredentialFixtures>({
  openBrowser: async ({ browser, javaScriptEnabled }, use) => {
    const contexts: Awaited<ReturnType<typeof browser.newContext>>[] = [];
    await use(async () => {
      const context = await browser.newContext({ baseURL: hostedUrl, javaScriptEnabled });
      contexts.push(context);
      return context.newPage();
    });
    await Promise.all(contexts.map((c) => c.close()));
  },
});

export { expect };
