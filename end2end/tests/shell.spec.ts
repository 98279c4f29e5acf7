import { test, expect } from './fixtures';

test.describe('app shell', () => {
  test('home page shows the product, navigation and a sign-in button', async ({ page, expectAccessible }) => {
    await page.goto('/');
    await expect(page).toHaveTitle(/Partner Portal/);
    await expect(page.getByRole('heading', { level: 1, name: 'Secure Partner Access' })).toBeVisible();
    await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Home' })).toBeVisible();
    await expect(page.getByRole('link', { name: 'Sign in' })).toHaveAttribute('href', '/login');
    await expectAccessible(page);
  });

  test('unknown paths answer 404 with a helpful page', async ({ page, expectAccessible }) => {
    const response = await page.goto('/no/such/page');
    expect(response?.status()).toBe(404);
    await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
    await page.getByRole('link', { name: 'Go to the home page' }).click();
    await expect(page).toHaveURL(/\/$/);
    await expectAccessible(page);
  });

  test('every response carries a request id', async ({ request }) => {
    const response = await request.get('/livez');
    expect(response.ok()).toBeTruthy();
    expect(response.headers()['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect((await request.get('/readyz')).status()).toBe(200);
  });
});

test.describe('hydration', () => {
  test('the disclosure opens only once the page is hydrated @js-only', async ({ page }) => {
    await page.goto('/');
    const toggle = page.getByRole('button', { name: 'What can a partner admin do here?' });
    const details = page.getByText('Create users and edit their profiles');
    await expect(details).toBeHidden();
    // Until the wasm module has hydrated the page, the click handler does not exist.
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
    await toggle.click();
    await expect(toggle).toHaveAttribute('aria-expanded', 'true');
    await expect(details).toBeVisible();
    await toggle.click();
    await expect(details).toBeHidden();
  });

  test('without JavaScript the page is complete and the disclosure stays closed @no-js-only', async ({ page }) => {
    await page.goto('/');
    await expect(page.getByRole('heading', { level: 1, name: 'Secure Partner Access' })).toBeVisible();
    const toggle = page.getByRole('button', { name: 'What can a partner admin do here?' });
    await toggle.click();
    await expect(toggle).toHaveAttribute('aria-expanded', 'false');
    await expect(page.getByText('Create users and edit their profiles')).toBeHidden();
  });
});
