import { test, expect, accounts, signIn, portalUrl, type Page } from './fixtures';
import { recordSecret } from './credentials';

// The portal as the OpenID Provider of a shared app: the "Partner Wiki"
// sample app (end2end/sample-app, openid-client from npm) signs users in
// through the portal. Everything here is server redirects and plain forms,
// so one project runs it.

const wikiUrl = process.env.WIKI_URL || `http://127.0.0.1:${process.env.WIKI_PORT || '3400'}`;
const erin = 'erin.engineer@acme.test';

/**
 * At the portal's sign-in page (sent there by the provider): sign in as Erin
 * at Acme's IdP — which, once it has a session of its own, asks nothing.
 */
async function signInAsErin(page: Page, idpSession = false) {
  await expect(page.getByRole('heading', { name: 'Sign in to Partner Portal' })).toBeVisible();
  await page.getByLabel('Email').fill(erin);
  await page.getByRole('button', { name: 'Continue' }).click();
  if (idpSession) return;
  await expect(page.getByRole('heading', { name: "Acme sign-in (Acme's identity provider)" })).toBeVisible();
  await expect(page.getByLabel('Email')).toHaveValue(erin);
  await page.getByLabel('Password').fill(accounts.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Alice (Acme's partner admin) adds or removes Erin in All Partners, the group the wiki is assigned to. */
async function membership(page: Page, add: boolean) {
  await page.goto('/groups');
  await page.getByRole('table', { name: 'Groups you can see' }).getByRole('link', { name: 'All Partners' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'All Partners' })).toBeVisible();
  const members = page.getByRole('table', { name: 'Members in your realms' });
  if (add) {
    await page.getByLabel('Add member by username').fill(erin);
    await page.getByRole('button', { name: 'Add member' }).click();
    await expect(members.getByRole('cell', { name: erin, exact: true })).toBeVisible();
  } else {
    await page.getByRole('button', { name: `Remove ${erin}` }).click();
    await expect(members.getByRole('cell', { name: erin, exact: true })).toHaveCount(0);
  }
}

test('a partner user gets into the Partner Wiki only while a group assigns it @js-only', async ({
  browser,
  expectAccessible,
}) => {
  test.setTimeout(180_000);
  const erinContext = await browser.newContext({ baseURL: portalUrl });
  const user = await erinContext.newPage();
  const aliceContext = await browser.newContext({ baseURL: portalUrl });
  const admin = await aliceContext.newPage();

  // Erin opens the wiki and signs in through the portal (her company's IdP);
  // the wiki is not assigned to her, so the portal refuses to sign her in to it.
  await user.goto(wikiUrl);
  await user.getByRole('link', { name: 'Sign in with Partner Portal' }).click();
  await signInAsErin(user);
  await expect(user.getByRole('heading', { name: 'No access to Partner Wiki' })).toBeVisible();
  await expect(user.getByText("You don't have access to this app — ask your partner admin.")).toBeVisible();
  await expectAccessible(user);

  // Alice adds her to All Partners, which has the wiki.
  await signIn(admin, 'alice.admin@acme.test');
  await membership(admin, true);

  // From her dashboard the wiki's tile starts its sign-in; single sign-on
  // brings her straight in with her claims.
  await user.goto('/me');
  await expect(user.getByRole('heading', { name: 'My apps' })).toBeVisible();
  await expectAccessible(user);
  await user.getByRole('link', { name: 'Open Partner Wiki' }).click();
  await expect(user.getByRole('status').filter({ hasText: 'Signed in as Erin Engineer' })).toBeVisible();
  const claims = user.getByRole('definition');
  await expect(claims.filter({ hasText: erin }).first()).toBeVisible();
  await expect(claims.filter({ hasText: /^Acme$/ })).toBeVisible();
  await expect(user.getByRole('list', { name: 'Your groups' })).toContainText('All Partners');

  // Her refresh token works while the app is hers.
  await user.getByRole('button', { name: 'Refresh tokens' }).click();
  await expect(user.getByText('Refreshed 1 times.')).toBeVisible();

  // Signing out of the wiki ends her portal session too (RP-initiated logout).
  await user.getByRole('button', { name: 'Sign out' }).click();
  await expect(user.getByRole('status').filter({ hasText: 'You are signed out.' })).toBeVisible();
  await user.goto('/me');
  await expect(user.getByRole('main').getByRole('link', { name: 'Sign in' })).toBeVisible();

  // She signs in again, through the wiki.
  await user.goto(wikiUrl);
  await user.getByRole('link', { name: 'Sign in with Partner Portal' }).click();
  await signInAsErin(user, true);
  await expect(user.getByRole('status').filter({ hasText: 'Signed in as Erin Engineer' })).toBeVisible();

  // Alice removes her from the group: her refresh token stops working at once,
  // and the next sign-in to the wiki is refused.
  await membership(admin, false);
  await user.getByRole('button', { name: 'Refresh tokens' }).click();
  await expect(user.getByRole('alert')).toContainText('Refresh refused: invalid_grant');
  await user.getByRole('button', { name: 'Sign out' }).click();
  await user.getByRole('link', { name: 'Sign in with Partner Portal' }).click();
  await signInAsErin(user, true);
  await expect(user.getByRole('heading', { name: 'No access to Partner Wiki' })).toBeVisible();

  await erinContext.close();
  await aliceContext.close();
});

test("an org admin sets up an app's OpenID Connect sign-in and gets its secret once", async ({ page, expectAccessible }) => {
  await signIn(page, 'olivia.owner@hostco.test');
  await page.goto('/apps');
  await page.getByRole('table', { name: 'Apps you can see' }).getByRole('link', { name: 'Order Desk' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Order Desk' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Sign-in (OpenID Connect)' })).toBeVisible();
  await expectAccessible(page);

  // A plain-http redirect URI to another host is refused at its field; nothing is saved.
  await page.getByLabel('Application type').selectOption('web');
  await page.getByLabel('Sign-in redirect URIs').fill('http://orders.example.com/callback');
  await page.getByRole('button', { name: 'Save sign-in settings' }).click();
  await expect(page.getByText('use https (http only to localhost or 127.0.0.1)')).toBeVisible();
  await expect(page.getByLabel('Sign-in redirect URIs')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByLabel('Sign-in redirect URIs')).toHaveValue('http://orders.example.com/callback');

  await page.getByLabel('Sign-in redirect URIs').fill('https://orders.example.com/callback');
  await page.getByLabel('Initiate login URI').fill('https://orders.example.com/login');
  await page.getByRole('button', { name: 'Save sign-in settings' }).click();
  await expect(page.getByRole('status').filter({ hasText: /Client ID 0oa/i })).toBeVisible();
  await expect(page.getByText(/Client ID\s+0oa/).first()).toBeVisible();

  // A new secret, shown once.
  await page.getByRole('button', { name: 'Generate a new client secret' }).click();
  const shown = page.getByRole('status').filter({ hasText: 'New client secret' });
  await expect(shown).toBeVisible();
  const secret = (await shown.textContent())?.match(/New client secret ([A-Za-z0-9_-]{43})/)?.[1];
  expect(secret).toBeTruthy();
  // The portal must never log it (the run's teardown looks).
  recordSecret('token', secret!);
  await page.reload();
  await expect(page.getByText(secret!)).toHaveCount(0);
  await expect(page.getByLabel('Sign-in redirect URIs')).toHaveValue('https://orders.example.com/callback');
});

test("an org admin sets a bookmark app's address", async ({ page }) => {
  await signIn(page, 'olivia.owner@hostco.test');
  await page.goto('/apps');
  await page.getByRole('table', { name: 'Apps you can see' }).getByRole('link', { name: 'Supplier Portal' }).click();
  await expect(page.getByRole('heading', { name: 'Address' })).toBeVisible();

  // Not an address: the field says so and keeps what was typed.
  await page.getByLabel('App URL').fill('suppliers dot example');
  await page.getByRole('button', { name: 'Save address' }).click();
  await expect(page.getByText("Enter the app's address, starting with https://")).toBeVisible();
  await expect(page.getByLabel('App URL')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByLabel('App URL')).toHaveValue('suppliers dot example');

  await page.getByLabel('App URL').fill('https://suppliers.example.com/catalog');
  await page.getByRole('button', { name: 'Save address' }).click();
  await expect(page.getByRole('status').filter({ hasText: "Saved the app's address." })).toBeVisible();
  await page.reload();
  await expect(page.getByLabel('App URL')).toHaveValue('https://suppliers.example.com/catalog');
});
