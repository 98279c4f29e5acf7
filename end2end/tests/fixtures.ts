import { test as base, expect, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { readFileSync } from 'node:fs';

export const accounts = JSON.parse(readFileSync(new URL('../dev-idp/accounts.json', import.meta.url), 'utf8'));
export const idpUrl = `http://127.0.0.1:${process.env.DEV_IDP_PORT || '5566'}`;
export const portalUrl = process.env.PORTAL_URL || `http://127.0.0.1:${process.env.PORTAL_PORT || '3300'}`;

/**
 * Signs in through the portal's sign-in page and the org IdP's password form.
 * Adjust here when the portal's sign-in page changes.
 */
export async function signIn(page: Page, email: string, password: string = accounts.password) {
  await page.goto('/');
  await page.getByRole('link', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in to Partner Portal' })).toBeVisible();
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Continue' }).click();
  // The org identity provider's own page, the address already filled in.
  await expect(page.getByLabel('Email')).toHaveValue(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Signs out of the portal and, through RP-initiated logout, of the IdP too. */
export async function signOut(page: Page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  // The IdP asks to confirm; then it sends the browser back to the portal.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('link', { name: 'Sign in' })).toBeVisible();
}

/**
 * Holds the page's wasm module back until the returned function is called, so
 * what a test does meanwhile happens on the server-rendered, not yet hydrated page.
 */
export async function holdHydration(page: Page): Promise<() => void> {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/pkg/*.wasm', async (route) => {
    await held;
    await route.continue();
  });
  return release;
}

type Fixtures = {
  /** Fails the test on axe violations of impact serious or critical. */
  expectAccessible: (page: Page) => Promise<void>;
};

export const test = base.extend<Fixtures>({
  expectAccessible: async ({ javaScriptEnabled }, use) => {
    await use(async (page: Page) => {
      // axe runs inside the page: with JavaScript disabled it cannot. The server
      // renders the same document for both projects, so the hydrated run scans it.
      if (javaScriptEnabled === false) return;
      const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
      const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      const report = bad
        .map((v) => `${v.impact}: ${v.id} — ${v.help}\n  ${v.nodes.map((n) => n.target.join(' ')).join('\n  ')}`)
        .join('\n');
      expect(bad, `accessibility violations on ${page.url()}:\n${report}`).toEqual([]);
    });
  },
});

export { expect };
