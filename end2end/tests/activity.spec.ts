import { test, expect, signIn, holdHydration } from './fixtures';

test.describe('activity', () => {
  test("a partner admin sees its realm's events only, filtered by type", async ({ page, expectAccessible }) => {
    await signIn(page, 'alice.admin@acme.test');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Activity' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Activity' })).toBeVisible();
    const table = page.getByRole('table', { name: 'Events in your realms, newest first' });
    await expect(table).toBeVisible();
    await expectAccessible(page);

    await page.getByLabel('Event type').fill('user.lifecycle.create');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect(page).toHaveURL(/type=user\.lifecycle\.create/);
    await expect(table.getByRole('cell', { name: 'Dana Designer' })).toBeVisible();
    // Globex's users never appear.
    await expect(table.getByRole('cell', { name: 'Gary Gearbox' })).toHaveCount(0);
    await expect(table.getByRole('cell', { name: 'Bob Admin' })).toHaveCount(0);

    await page.getByLabel('Event type').fill('user.lifecycle.suspend');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect(table.getByRole('cell', { name: 'Sam Suspended' }).first()).toBeVisible();
    await expect(table.getByRole('cell', { name: 'Gary Gearbox' })).toHaveCount(0);

    await page.getByLabel('Event type').fill('not a type!');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect(page.getByRole('alert')).toContainText('letters, digits, dots and underscores');
  });
});

test.describe('activity filters before hydration', () => {
  test('what is typed before the page hydrates is kept and applied @js-only', async ({ page }) => {
    await signIn(page, 'alice.admin@acme.test');
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    const release = await holdHydration(page);
    await page.goto('/activity', { waitUntil: 'domcontentloaded' });
    await page.getByLabel('Event type').fill('user.lifecycle.suspend');
    release();
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
    await expect(page.getByLabel('Event type')).toHaveValue('user.lifecycle.suspend');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect(page).toHaveURL(/type=user\.lifecycle\.suspend/);
    await expect(page.getByLabel('Event type')).toHaveValue('user.lifecycle.suspend');
    const table = page.getByRole('table', { name: 'Events in your realms, newest first' });
    await expect(table.getByRole('cell', { name: 'Sam Suspended' }).first()).toBeVisible();
  });
});

test.describe('realms', () => {
  test('a partner admin sees its realms, read-only, and not the others', async ({ page, expectAccessible }) => {
    await signIn(page, 'alice.admin@acme.test');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Realms' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Realms' })).toBeVisible();
    const table = page.getByRole('table', { name: 'Realms you may see' });
    await expect(table.getByRole('rowheader', { name: 'Acme' })).toBeVisible();
    await expect(table.getByRole('cell', { name: 'acme.test' })).toBeVisible();
    await expect(table.getByRole('rowheader', { name: 'Globex' })).toHaveCount(0);
    await expectAccessible(page);
  });
});
