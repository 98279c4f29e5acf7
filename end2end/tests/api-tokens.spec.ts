import { test, expect, signIn } from './fixtures';

// The API tokens page, with and without JavaScript: a token is made with its
// secret shown once, listed (never its secret), refused without a name, and
// revoked. A partner admin makes its own in the Partner Admin Portal.

test('an admin makes an API token, sees it once, and revokes it', async ({ page, expectAccessible }) => {
  await signIn(page, 'alice.admin@acme.test');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API tokens' }).click();
  await expect(page.getByRole('heading', { name: 'API tokens', level: 1 })).toBeVisible();
  await expectAccessible(page);

  // A name is required: the field says so and nothing is made.
  await page.getByRole('button', { name: 'Create token' }).click();
  await expect(page.getByText('Enter a name of 1 to 255 characters.')).toBeVisible();
  await expect(page.getByLabel('Token name')).toHaveAttribute('aria-invalid', 'true');

  const name = `Acme sync ${Date.now().toString(36)}`;
  await page.getByLabel('Token name').fill(name);
  await page.getByLabel('Expires after (days)').fill('30');
  await page.getByRole('button', { name: 'Create token' }).click();
  const shown = page.getByRole('status').filter({ hasText: 'Copy it now' });
  await expect(shown).toBeVisible();
  const secret = (await shown.textContent())?.match(/00[A-Za-z0-9]{40}/)?.[0];
  expect(secret).toBeTruthy();

  // Listed with its expiry, never with its secret; it works until revoked.
  const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name }) });
  await expect(row).toBeVisible();
  await expect(row).toContainText('UTC');
  await expect(page.getByRole('table')).not.toContainText(secret!);
  const call = () => page.request.get('/api/v1/users?limit=1', { headers: { Authorization: `SSWS ${secret}` } });
  expect((await call()).status()).toBe(200);
  await page.reload();
  await expect(page.getByText(secret!)).toHaveCount(0);

  await row.getByRole('button', { name: `Revoke ${name}` }).click();
  await expect(page.getByRole('status').filter({ hasText: `Revoked token “${name}”.` })).toBeVisible();
  await expect(page.getByRole('rowheader', { name })).toHaveCount(0);
  const after = await call();
  expect(after.status()).toBe(401);
  expect((await after.json()).errorCode).toBe('E0000011');
});
