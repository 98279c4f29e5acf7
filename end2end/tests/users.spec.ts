import { test, expect, signIn, signOut } from './fixtures';

test.describe('users of the partner admin realms', () => {
  test('a partner admin lists, searches and filters the users of its realm only', async ({
    page,
    expectAccessible,
  }) => {
    await signIn(page, 'alice.admin@acme.test');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Users' })).toBeVisible();
    const table = page.getByRole('table', { name: 'Users in your realms' });
    await expect(table.getByRole('link', { name: 'Dana Designer' })).toBeVisible();
    await expect(table.getByRole('cell', { name: 'bob.admin@globex.test' })).toHaveCount(0);
    await expectAccessible(page);

    // Another realm's users are not found by search either.
    await page.getByLabel('Search').fill('gearbox');
    await page.getByRole('button', { name: 'Apply', exact: true }).click();
    await expect(page.getByText('No users match.')).toBeVisible();

    await page.getByLabel('Search').fill('');
    await page.getByLabel('Status').selectOption('SUSPENDED');
    await page.getByRole('button', { name: 'Apply', exact: true }).click();
    await expect(page).toHaveURL(/status=SUSPENDED/);
    await expect(table.getByRole('link', { name: 'Sam Suspended' })).toBeVisible();
    await expect(table.getByRole('link', { name: 'Dana Designer' })).toHaveCount(0);
  });

  test('a partner admin suspends, unsuspends and clears the sessions of a user', async ({
    page,
    expectAccessible,
  }, testInfo) => {
    // One user per project (the projects share the portal's database).
    const [search, name] =
      testInfo.project.name === 'no-js' ? ['dana.designer', 'Dana Designer'] : ['ivan.installer', 'Ivan Installer'];
    await signIn(page, 'alice.admin@acme.test');
    await page.goto(`/users?q=${search}`);
    await page.getByRole('link', { name }).click();
    await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
    const status = page.getByTestId('user-status');
    await expect(status).toHaveText('ACTIVE');
    await expectAccessible(page);

    // Destructive actions ask first (a native disclosure: no JavaScript needed).
    await expect(page.getByRole('button', { name: 'Yes, suspend' })).toBeHidden();
    await page.getByText('Suspend…', { exact: true }).click();
    await expect(page.getByText('Suspend cannot simply be undone. Are you sure?')).toBeVisible();
    await page.getByRole('button', { name: 'Yes, suspend' }).click();
    await expect(status).toHaveText('SUSPENDED');
    await expect(page.getByText('Suspend…', { exact: true })).toHaveCount(0);
    await page.getByRole('button', { name: 'Unsuspend' }).click();
    await expect(status).toHaveText('ACTIVE');
    await page.getByRole('button', { name: 'Clear sessions' }).click();
    await expect(status).toHaveText('ACTIVE');
    if (testInfo.project.name !== 'no-js') {
      await expect(page.getByRole('status').filter({ hasText: 'Clear sessions: done' })).toBeVisible();
    }
  });

  test("another realm's user is not found, even by its address", async ({ page }) => {
    // Carol administers both realms: she can see Bob's page and its address.
    await signIn(page, 'carol.both@hostco.test');
    await page.goto('/users?q=bob.admin');
    const href = await page.getByRole('link', { name: 'Bob Admin' }).getAttribute('href');
    expect(href).toMatch(/^\/users\/00u/);
    await signOut(page);

    await signIn(page, 'alice.admin@acme.test');
    await expect(page.getByTestId('signed-in-user')).toHaveText('Alice Admin');
    await page.goto(href!);
    await expect(page.getByRole('heading', { name: 'User not found' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Suspend' })).toHaveCount(0);
  });

  test('someone without admin rights cannot open the users pages', async ({ page }) => {
    await signIn(page, 'hugo.host@hostco.test');
    await expect(page).toHaveURL(/\/me$/);
    await page.goto('/users');
    await expect(page).toHaveURL(/\/me$/);
  });
});

test.describe('creating users', () => {
  test('a partner admin creates a user in its realm, after fixing what the server refused', async ({
    page,
    expectAccessible,
  }, testInfo) => {
    const who = testInfo.project.name === 'no-js' ? 'nora.nojs' : 'nina.new';
    const [first, last] = testInfo.project.name === 'no-js' ? ['Nora', 'Nojs'] : ['Nina', 'New'];
    await signIn(page, 'alice.admin@acme.test');
    await page.goto('/users');
    await page.getByRole('link', { name: 'Create user' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Create user' })).toBeVisible();
    // Only the realms Alice may create users in.
    await expect(page.getByLabel('Realm').locator('option')).toHaveText(['Acme']);
    await expectAccessible(page);

    await page.getByLabel('Username').fill(`${who}@acme.test`);
    await page.getByLabel('Email').fill(`${who}@globex.test`);
    await page.getByLabel('First name').fill(first);
    await page.getByLabel('Last name').fill(last);
    await page.getByRole('button', { name: 'Create user' }).click();
    // The field says what is wrong (with or without JavaScript).
    await expect(page.getByText('must be in one of these domains')).toBeVisible();
    // What was typed is kept, with or without JavaScript (a form rendered anew
    // after the refusal gets the submitted values back).
    await expect(page.getByLabel('Email')).toHaveAttribute('aria-invalid', 'true');
    await expect(page.getByLabel('Username')).toHaveValue(`${who}@acme.test`);
    await expect(page.getByLabel('Last name')).toHaveValue(last);
    await page.getByLabel('Email').fill(`${who}@acme.test`);
    // Groups to join at creation: only those Alice manages are offered.
    await expect(page.getByRole('group', { name: 'Groups to join' }).getByRole('checkbox')).toHaveCount(2);
    await page.getByLabel('Acme Engineering').check();
    await page.getByRole('button', { name: 'Create user' }).click();
    await expect(page).toHaveURL(/\/users\/00u/);
    await expect(page.getByRole('heading', { level: 1, name: `${first} ${last}` })).toBeVisible();
    await expect(page.getByTestId('user-status')).toHaveText('ACTIVE');
    await page.getByRole('navigation', { name: 'User sections' }).getByRole('link', { name: 'Groups' }).click();
    await expect(page.getByRole('region', { name: 'Groups' }).getByRole('link', { name: 'Acme Engineering' })).toBeVisible();
  });
});

test.describe('home', () => {
  test("a partner admin's home counts the users of its realms only and shows their activity", async ({
    page,
    expectAccessible,
  }) => {
    await signIn(page, 'alice.admin@acme.test');
    const realms = page.getByRole('table', { name: 'Users per realm by status' });
    await expect(realms.getByRole('rowheader', { name: 'Acme' })).toBeVisible();
    await expect(realms.getByRole('rowheader', { name: 'Globex' })).toHaveCount(0);
    await expect(page.getByRole('heading', { name: 'Latest activity' })).toBeVisible();
    await expect(page.getByRole('link', { name: 'Create user' })).toBeVisible();
    await expectAccessible(page);
  });

  test('an admin of both realms sees both', async ({ page }) => {
    await signIn(page, 'carol.both@hostco.test');
    const realms = page.getByRole('table', { name: 'Users per realm by status' });
    await expect(realms.getByRole('rowheader', { name: 'Acme' })).toBeVisible();
    await expect(realms.getByRole('rowheader', { name: 'Globex' })).toBeVisible();
  });
});
