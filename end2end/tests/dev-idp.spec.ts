import { createHash, randomBytes } from 'node:crypto';
import { test, expect, idpUrl, portalUrl, accounts } from './fixtures';

function authorizeUrl(issuer: string): string {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const params = new URLSearchParams({
    client_id: 'partner-portal',
    response_type: 'code',
    scope: 'openid email profile',
    redirect_uri: `${portalUrl}/auth/callback`,
    state: randomBytes(8).toString('hex'),
    nonce: randomBytes(8).toString('hex'),
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  return `${idpUrl}/${issuer}/auth?${params}`;
}

test.describe('dev identity provider', () => {
  test('serves a labelled, accessible sign-in form and refuses a wrong password', async ({ page, expectAccessible }) => {
    await page.goto(authorizeUrl('org'));
    await expect(page.getByRole('heading', { name: accounts.issuers.org.title })).toBeVisible();
    await page.getByLabel('Email').fill('olivia.owner@hostco.test');
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert')).toHaveText('Invalid email or password');
    await expect(page.getByLabel('Email')).toHaveValue('olivia.owner@hostco.test');
    await expectAccessible(page);
  });

  test('the partner IdPs know only their own company accounts', async ({ page }) => {
    await page.goto(authorizeUrl('acme'));
    await page.getByLabel('Email').fill('olivia.owner@hostco.test');
    await page.getByLabel('Password').fill(accounts.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert')).toHaveText('Invalid email or password');
  });

  test('a right password returns to the portal with a code, the state and the issuer', async ({ page }) => {
    const url = new URL(authorizeUrl('globex'));
    await page.goto(url.href);
    // Whether the portal answers does not matter here: the IdP's redirect is what counts.
    const callbackRequest = page.waitForRequest((r) => r.url().startsWith(`${portalUrl}/auth/callback?`));
    await page.getByLabel('Email').fill('gina.green@globex.test');
    await page.getByLabel('Password').fill(accounts.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const callback = new URL((await callbackRequest).url());
    expect(callback.searchParams.get('code')).toBeTruthy();
    expect(callback.searchParams.get('state')).toBe(url.searchParams.get('state'));
    expect(callback.searchParams.get('iss')).toBe(`${idpUrl}/globex`);
  });
});
