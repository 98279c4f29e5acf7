import { test, expect, signIn, signOut } from './fixtures';

test.describe('sign-in through the org identity provider', () => {
  test('the sign-in page is accessible', async ({ page, expectAccessible }) => {
    await page.goto('/login');
    await expect(page.getByLabel('Email')).toBeVisible();
    await expectAccessible(page);
  });

  test('an org admin signs in and out', async ({ page, context }) => {
    await signIn(page, 'olivia.owner@hostco.test');
    await expect(page.getByTestId('signed-in-user')).toHaveText('Olivia Owner');
    const cookie = (await context.cookies()).find((c) => c.name === 'portal_session');
    expect(cookie?.httpOnly).toBe(true);
    expect(cookie?.sameSite).toBe('Lax');
    await signOut(page);
    // The old cookie is worth nothing after sign-out.
    if (cookie) {
      await context.addCookies([cookie]);
      await page.goto('/');
      await expect(page.getByRole('link', { name: 'Sign in' })).toBeVisible();
    }
  });

  test('partner admins of two realms sign in', async ({ page }) => {
    await signIn(page, 'alice.admin@acme.test');
    await expect(page.getByTestId('signed-in-user')).toHaveText('Alice Admin');
    await signOut(page);
    await signIn(page, 'bob.admin@globex.test');
    await expect(page.getByTestId('signed-in-user')).toHaveText('Bob Admin');
  });

  test('the session id changes at sign-in', async ({ page, context }) => {
    await page.goto('/login');
    const before = (await context.cookies()).find((c) => c.name === 'portal_session')?.value;
    await signIn(page, 'carol.both@hostco.test');
    await expect(page.getByTestId('signed-in-user')).toHaveText('Carol Both');
    const after = (await context.cookies()).find((c) => c.name === 'portal_session')?.value;
    expect(after).toBeTruthy();
    expect(after).not.toBe(before);
  });

  test('a suspended user is refused with a clear page', async ({ page, expectAccessible }) => {
    await signIn(page, 'sam.suspended@acme.test');
    await expect(page.getByRole('heading', { name: 'Sign-in refused' })).toBeVisible();
    await expect(page.getByRole('alert')).toContainText('SUSPENDED');
    await expectAccessible(page);
  });

  test('a replayed or forged state is refused', async ({ page }) => {
    const response = await page.goto('/auth/callback?code=forged&state=forged');
    expect(response?.status()).toBe(403);
    await expect(page.getByRole('alert')).toContainText('expired or was already used');
  });
});
