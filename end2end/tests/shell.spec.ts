import { test, expect, signIn } from './fixtures';

const ORG_ADMIN = 'olivia.owner@hostco.test';

test.describe('app shell', () => {
  test('signed out, the portal sends to sign-in and back to the page asked for', async ({ page }) => {
    await page.goto('/users?status=ACTIVE');
    await expect(page).toHaveURL(/\/login\?return_to=%2Fusers%3Fstatus%3DACTIVE$/);
    await expect(page.getByRole('heading', { name: 'Sign in to Partner Portal' })).toBeVisible();
    await expect(page.getByRole('link', { name: 'Sign in' })).toHaveAttribute('href', '/login');
    await page.getByLabel('Email').fill(ORG_ADMIN);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Password').fill('demo-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page).toHaveURL(/\/users\?status=ACTIVE$/);
  });

  test('home page shows the product and navigation to an admin', async ({ page, expectAccessible }) => {
    await signIn(page, ORG_ADMIN);
    await expect(page).toHaveTitle(/Partner Portal/);
    await expect(page.getByRole('heading', { level: 1, name: 'Secure Partner Access' })).toBeVisible();
    await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Home' })).toBeVisible();
    await expectAccessible(page);
  });

  test('someone without admin rights is sent to their apps; the admin console is for org admins', async ({
    page,
    expectAccessible,
  }) => {
    await signIn(page, 'hugo.host@hostco.test');
    await expect(page).toHaveURL(/\/me$/);
    await expect(page.getByRole('heading', { name: 'My apps' })).toBeVisible();
    await page.goto('/');
    await expect(page).toHaveURL(/\/me$/);
    const response = await page.goto('/admin');
    expect(response?.status()).toBe(403);
    await expect(page.getByRole('heading', { name: 'Org admins only' })).toBeVisible();
    await expectAccessible(page);
  });

  test('a partner admin may not enter the admin console', async ({ page }) => {
    await signIn(page, 'alice.admin@acme.test');
    await expect(page.getByTestId('signed-in-user')).toHaveText('Alice Admin');
    const response = await page.goto('/admin');
    expect(response?.status()).toBe(403);
    await page.getByRole('link', { name: 'Go to the Partner Admin Portal' }).click();
    await expect(page.getByTestId('signed-in-user')).toHaveText('Alice Admin');
  });

  test('unknown paths answer 404 with a helpful page', async ({ page, expectAccessible }) => {
    const response = await page.goto('/no/such/page');
    expect(response?.status()).toBe(404);
    await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
    await page.getByRole('link', { name: 'Go to the home page' }).click();
    // Signed out, the home page asks to sign in first.
    await expect(page.getByRole('heading', { name: 'Sign in to Partner Portal' })).toBeVisible();
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
    await signIn(page, ORG_ADMIN);
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

  test('each page brings its own code: the users page and then the groups page fetch a chunk each @js-only', async ({
    page,
  }) => {
    await signIn(page, ORG_ADMIN);
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
    const fetched: string[] = [];
    page.on('request', (r) => {
      const path = new URL(r.url()).pathname;
      if (path.endsWith('.wasm')) fetched.push(path);
    });
    // A full load: the main module and the users page's chunk, then hydrated.
    await page.goto('/users');
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
    expect(fetched).toContain('/pkg/partner-portal.wasm');
    const usersChunks = fetched.filter((p) => p !== '/pkg/partner-portal.wasm');
    expect(usersChunks.length).toBeGreaterThan(0);
    // The filter works hydrated (client-side navigation from the page's own code).
    await page.getByLabel('Search').fill('zzznosuchuser');
    await expect(page).toHaveURL(/q=zzznosuchuser/);
    // A client-side move to another page fetches that page's chunk only.
    fetched.length = 0;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Groups' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Groups' })).toBeVisible();
    expect(fetched.length).toBeGreaterThan(0);
    expect(fetched).not.toContain('/pkg/partner-portal.wasm');
  });

  test('without JavaScript the page is complete and the disclosure stays closed @no-js-only', async ({ page }) => {
    await signIn(page, ORG_ADMIN);
    await expect(page.getByRole('heading', { level: 1, name: 'Secure Partner Access' })).toBeVisible();
    const toggle = page.getByRole('button', { name: 'What can a partner admin do here?' });
    await toggle.click();
    await expect(toggle).toHaveAttribute('aria-expanded', 'false');
    await expect(page.getByText('Create users and edit their profiles')).toBeHidden();
  });
});
