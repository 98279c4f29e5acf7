import { test, expect, accounts } from './fixtures';

/** Identifier-first: type the address, continue at whichever IdP it routes to. */
async function continueAs(page, email: string) {
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Continue' }).click();
}

async function passwordStep(page, email: string) {
  await expect(page.getByLabel('Email')).toHaveValue(email);
  await page.getByLabel('Password').fill(accounts.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test.describe('partner identity providers', () => {
  test('a partner end user is routed to its company IdP and provisioned just in time into its realm', async ({
    page,
    expectAccessible,
  }, testInfo) => {
    // One person per project, so each run provisions someone new.
    const email = testInfo.project.name === 'no-js' ? 'frank.field@acme.test' : 'erin.engineer@acme.test';
    const name = testInfo.project.name === 'no-js' ? 'Frank Field' : 'Erin Engineer';
    await continueAs(page, email);
    await expect(page.getByRole('heading', { name: "Acme sign-in (Acme's identity provider)" })).toBeVisible();
    await passwordStep(page, email);

    await expect(page).toHaveURL(/\/me$/);
    await expect(page.getByRole('heading', { name: 'My apps' })).toBeVisible();
    await expect(page.getByText(`${name} · ${email} · realm Acme`)).toBeVisible();
    await expect(page.getByText('No apps are assigned to you yet.')).toBeVisible();
    await expectAccessible(page);

    // The second sign-in finds the same, linked account.
    await page.context().clearCookies({ domain: '127.0.0.1' });
    await continueAs(page, email);
    await passwordStep(page, email);
    await expect(page.getByText(`${name} · ${email} · realm Acme`)).toBeVisible();
  });

  test('an org-managed account with a partner domain still signs in at the org IdP', async ({ page }) => {
    await continueAs(page, 'alice.admin@acme.test');
    await expect(page.getByRole('heading', { name: 'HostCo sign-in (org identity provider)' })).toBeVisible();
  });

  test('an unknown address outside every partner domain goes to the org IdP', async ({ page }) => {
    await continueAs(page, 'visitor@example.org');
    await expect(page.getByRole('heading', { name: 'HostCo sign-in (org identity provider)' })).toBeVisible();
  });

  test('/me without a session asks to sign in', async ({ page }) => {
    await page.goto('/me');
    await expect(page.getByRole('heading', { name: 'My apps' })).toBeVisible();
    await expect(page.getByRole('main').getByRole('link', { name: 'Sign in' })).toBeVisible();
  });
});
