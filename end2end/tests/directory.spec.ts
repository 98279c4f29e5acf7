import { test, expect, signIn } from './fixtures';
import type { Page, TestInfo } from '@playwright/test';

const noJs = (testInfo: TestInfo) => testInfo.project.name === 'no-js';

function adminNav(page: Page) {
  return page.getByRole('navigation', { name: 'Admin console' });
}

test.describe("Okta's directory semantics", () => {
  test('a workforce realm admin gets the admin console for its realm, not the Partner Admin Portal', async ({
    page,
    expectAccessible,
  }, testInfo) => {
    await signIn(page, 'wendy.workforce@hostco.test');
    // Home is the console: HostCo Sales is a workforce (DEFAULT) realm.
    await expect(page).toHaveURL(/\/admin$/);
    await expect(page.getByRole('heading', { level: 1, name: 'Admin console' })).toBeVisible();
    await expect(adminNav(page).getByRole('link', { name: 'Realms', exact: true })).toBeVisible();
    await expect(adminNav(page).getByRole('link', { name: 'Users', exact: true })).toBeVisible();
    await expect(adminNav(page).getByRole('link', { name: 'Admin roles' })).toHaveCount(0);
    await expectAccessible(page);

    await adminNav(page).getByRole('link', { name: 'Realms', exact: true }).click();
    const table = page.getByRole('table', { name: 'All realms' });
    await expect(table.getByRole('rowheader', { name: 'HostCo Sales' })).toBeVisible();
    await expect(table.getByRole('rowheader', { name: 'Acme' })).toHaveCount(0);
    // Creating realms needs realm rights over every realm.
    await expect(page.getByRole('button', { name: 'Create realm' })).toHaveCount(0);
    await table.getByRole('link', { name: 'HostCo Sales' }).click();
    await expect(page.getByText('Workforce realm (DEFAULT: no Partner Admin Portal)')).toBeVisible();
    await expectAccessible(page);
    // Managing its realm: a bad domain is explained at its field, then saved.
    const domains = page.getByLabel('Allowed email domains');
    await domains.fill('hostco.test, bad!domain.test');
    await page.getByRole('button', { name: 'Save realm' }).click();
    await expect(page.getByText("'bad!domain.test' is not a valid domain")).toBeVisible();
    await expect(page.getByLabel('Allowed email domains')).toHaveValue('hostco.test, bad!domain.test');
    const extra = noJs(testInfo) ? 'sales-n.hostco.test' : 'sales-h.hostco.test';
    await page.getByLabel('Allowed email domains').fill(`hostco.test, ${extra}`);
    await page.getByRole('button', { name: 'Save realm' }).click();
    await expect(page.getByText('Saved HostCo Sales.')).toBeVisible();

    // The rest of the console is for org admins.
    const rules = await page.goto('/admin/rules');
    expect(rules?.status()).toBe(403);
    // Its users are on the directory pages.
    await page.goto('/users');
    await expect(page.getByRole('link', { name: 'Sid Sales' })).toBeVisible();
  });

  test('realm types: a workforce realm is created beside partner realms; the default realm has no domains', async ({
    page,
    expectAccessible,
  }, testInfo) => {
    const name = noJs(testInfo) ? 'Field staff N' : 'Field staff H';
    await signIn(page, 'olivia.owner@hostco.test');
    await page.goto('/admin/realms');
    await page.getByLabel('Name', { exact: true }).fill(name);
    await page.getByLabel('Realm type').selectOption('DEFAULT');
    await page.getByRole('button', { name: 'Create realm' }).click();
    await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
    await expect(page.getByText('Workforce realm (DEFAULT: no Partner Admin Portal)')).toBeVisible();
    // It can become a partner realm.
    await page.getByLabel('Realm type').selectOption('PARTNER');
    await page.getByRole('button', { name: 'Save realm' }).click();
    await expect(page.getByText('Partner realm (with a Partner Admin Portal)')).toBeVisible();
    await expectAccessible(page);

    await page.goto('/admin/realms');
    await page.getByRole('table', { name: 'All realms' }).getByRole('link', { name: 'Default' }).click();
    await expect(page.getByText('The default realm is a DEFAULT realm and has no allowed domains')).toBeVisible();
    await expect(page.getByLabel('Allowed email domains')).toHaveCount(0);
  });

  test('the catch-all rule can be dry-run over existing users @js-only', async ({ page }) => {
    await signIn(page, 'olivia.owner@hostco.test');
    await page.goto('/admin/rules');
    await page.getByRole('button', { name: 'Dry run Catch-all' }).click();
    await expect(page.getByTestId('operation-headline')).toContainText('Dry run:');
  });
});
