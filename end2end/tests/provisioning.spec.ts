import { test, expect, signIn, type Page } from './fixtures';
import { recordSecret } from './credentials';

// The real SCIM 2.0 app the playwright config starts (scim2-server, PyPI);
// each project provisions into a tenant of its own.
const scimUrl = `http://127.0.0.1:${process.env.SCIM_PORT || '5099'}`;
const scimToken = 'e2e-scim-token';

async function openApp(page: Page, label: string) {
  await page.goto('/apps');
  await page.getByRole('table', { name: 'Apps you can see' }).getByRole('link', { name: label }).click();
  await expect(page.getByRole('heading', { level: 1, name: label })).toBeVisible();
}

test("an org admin connects an app over SCIM and its assignees' accounts appear there", async ({
  page,
  expectAccessible,
}, testInfo) => {
  const tenant = `${scimUrl}/e2e-${testInfo.project.name}`;
  // The portal must never log the app's token (the run's teardown looks).
  recordSecret('token', scimToken);
  await signIn(page, 'olivia.owner@hostco.test');
  await openApp(page, 'Supplier Portal');
  await expect(page.getByRole('heading', { name: 'Provisioning' })).toBeVisible();
  await expectAccessible(page);

  // Not a URL: refused at its field, what was typed kept, nothing saved.
  await page.getByLabel('Base URL').fill('scim server please');
  await page.getByLabel('Token or password').fill(scimToken);
  await page.getByRole('button', { name: 'Save provisioning' }).click();
  await expect(page.getByText('The base URL is not a URL.')).toBeVisible();
  await expect(page.getByLabel('Base URL')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByLabel('Base URL')).toHaveValue('scim server please');

  await page.getByLabel('Connection').selectOption('SCIM2');
  await page.getByLabel('Base URL').fill(tenant);
  await page.getByLabel('Authentication', { exact: true }).selectOption('BEARER');
  await page.getByLabel('Token or password').fill(scimToken);
  await page.getByRole('button', { name: 'Save provisioning' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved the provisioning settings' })).toBeVisible();

  // Test API credentials: the app answers.
  await page.getByRole('button', { name: 'Test API credentials' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Connected: the SCIM service answers' })).toBeVisible();

  // What the app receives for Dana.
  await page.getByLabel('Preview for username').fill('dana.designer@acme.test');
  await page.getByRole('button', { name: 'Preview', exact: true }).click();
  await expect(page.getByText(/"userName": "dana\.designer@acme\.test"/)).toBeVisible();

  // Dana has the app (directly): her account is there, and her Apps tab says so.
  await expect(async () => {
    const r = await page.request.get(`${tenant}/Users?filter=${encodeURIComponent('userName eq "dana.designer@acme.test"')}`, {
      headers: { authorization: `Bearer ${scimToken}` },
    });
    const body = await r.json();
    expect(body.totalResults).toBe(1);
    expect(body.Resources[0].name.givenName).toBe('Dana');
  }).toPass({ timeout: 20_000 });
  await page.goto(`/users?q=${encodeURIComponent('dana.designer@acme.test')}`);
  await page.getByRole('table', { name: 'Users in your realms' }).getByRole('link', { name: 'Dana Designer' }).click();
  await page.getByRole('navigation', { name: 'User sections' }).getByRole('link', { name: 'Apps', exact: true }).click();
  const apps = page.getByRole('table', { name: 'Apps of this user' });
  await expect(apps.getByRole('row', { name: /Supplier Portal.*SYNCHRONIZED/ })).toBeVisible();
  await expectAccessible(page);

  // A wrong token: the test says what failed, in the app's words.
  await openApp(page, 'Supplier Portal');
  await page.getByLabel('Token or password').fill('not-the-token');
  await page.getByRole('button', { name: 'Save provisioning' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved the provisioning settings' })).toBeVisible();
  await page.getByRole('button', { name: 'Test API credentials' }).click();
  await expect(page.getByRole('alert').filter({ hasText: /The test failed: GET .*401/ })).toBeVisible();
  // Put the right one back for the other specs' changes to Dana.
  await page.getByLabel('Token or password').fill(scimToken);
  await page.getByRole('button', { name: 'Save provisioning' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved the provisioning settings' })).toBeVisible();
});
