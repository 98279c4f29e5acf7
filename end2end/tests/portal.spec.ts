import { test, expect, signIn, signOut, holdHydration } from './fixtures';
import type { Page, TestInfo } from '@playwright/test';
import { readFile } from 'node:fs/promises';

const noJs = (testInfo: TestInfo) => testInfo.project.name === 'no-js';

/** Opens a user's page from the users table (search by username). */
async function openUser(page: Page, login: string, name: string) {
  await page.goto(`/users?q=${encodeURIComponent(login)}`);
  await page.getByRole('table', { name: 'Users in your realms' }).getByRole('link', { name }).click();
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
}

function section(page: Page, name: string) {
  return page.getByRole('navigation', { name: 'User sections' }).getByRole('link', { name, exact: true });
}

test.describe('user profile', () => {
  test('a partner admin edits a profile, and a refused value is explained at its field', async ({
    page,
    expectAccessible,
  }, testInfo) => {
    const [login, name] = noJs(testInfo)
      ? ['dana.designer@acme.test', 'Dana Designer']
      : ['ivan.installer@acme.test', 'Ivan Installer'];
    const phone = noJs(testInfo) ? '+1 555 0142' : '+1 555 0143';
    await signIn(page, 'alice.admin@acme.test');
    await openUser(page, login, name);
    await expect(page.getByRole('heading', { name: 'Profile' })).toBeVisible();
    await expectAccessible(page);

    await page.getByLabel('Mobile phone').fill(phone);
    await page.getByRole('button', { name: 'Save profile' }).click();
    // With or without JavaScript the save is confirmed (without it, on the page
    // the form post returns to).
    await expect(page.getByRole('status').filter({ hasText: `Profile saved for ${login}.` })).toBeVisible();
    await page.reload();
    await expect(page.getByRole('status').filter({ hasText: 'Profile saved' })).toHaveCount(0);
    await expect(page.getByLabel('Mobile phone')).toHaveValue(phone);

    // An address outside Acme's domains: refused next to the field, nothing saved.
    await page.getByLabel('Primary email').fill(login.replace('acme.test', 'globex.test'));
    await page.getByRole('button', { name: 'Save profile' }).click();
    await expect(page.getByText('must be in one of these domains')).toBeVisible();
    // The refused value stays in the field (also without JavaScript); nothing was saved.
    await expect(page.getByLabel('Primary email')).toHaveValue(login.replace('acme.test', 'globex.test'));
    await page.goto(page.url().split('?')[0]);
    await expect(page.getByLabel('Primary email')).toHaveValue(login);
  });

  test('the explain affordance says which role and resource set allow an action', async ({ page }) => {
    await signIn(page, 'alice.admin@acme.test');
    await openUser(page, 'dana.designer@acme.test', 'Dana Designer');
    await page.getByText('Why can I do this?').click();
    await expect(page.getByText('okta.users.userprofile.manage').first()).toBeVisible();
    await expect(
      page.getByText('allowed by role Partner Admin on resource set Acme partner administration').first(),
    ).toBeVisible();
  });

  test('a custom role without lifecycle rights is offered no action and edits only its attributes', async ({
    page,
    expectAccessible,
  }) => {
    await signIn(page, 'rita.reader@acme.test');
    await openUser(page, 'dana.designer@acme.test', 'Dana Designer');
    await expect(page.getByText('No actions are available to you for this user now.')).toBeVisible();
    await expect(page.getByRole('button', { name: /suspend/i })).toHaveCount(0);
    await expect(page.getByLabel('First name')).toBeEditable();
    await expect(page.getByLabel('Primary email')).toHaveCount(0);
    await expect(page.getByRole('heading', { name: 'Not editable with your role' })).toBeVisible();
    await expectAccessible(page);
  });
});

test.describe('groups and apps of a user', () => {
  test('a partner admin adds a user to a group and removes it again', async ({ page, expectAccessible }, testInfo) => {
    const [login, name] = noJs(testInfo)
      ? ['sam.suspended@acme.test', 'Sam Suspended']
      : ['ivan.installer@acme.test', 'Ivan Installer'];
    await signIn(page, 'alice.admin@acme.test');
    await openUser(page, login, name);
    await section(page, 'Groups').click();
    const groups = page.getByRole('region', { name: 'Groups' });
    await expect(page.getByLabel('Add to group')).toBeVisible();
    // Only groups Alice manages are offered: never Globex's.
    await expect(page.getByLabel('Add to group').locator('option', { hasText: 'Globex' })).toHaveCount(0);
    await expectAccessible(page);
    await page.getByLabel('Add to group').selectOption({ label: 'All Partners' });
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await expect(groups.getByRole('link', { name: 'All Partners' })).toBeVisible();
    await page.getByRole('button', { name: 'Remove from All Partners' }).click();
    await expect(groups.getByRole('link', { name: 'All Partners' })).toHaveCount(0);

    // The user's activity tab shows both changes.
    await section(page, 'Activity').click();
    const log = page.getByRole('table', { name: /Events/ });
    await expect(log.getByText('Add user to group membership').first()).toBeVisible();
    await expectAccessible(page);
    await expect(log.getByText('Remove user from group membership').first()).toBeVisible();
  });

  test('the apps tab tells direct from group assignments, and assigns and unassigns', async ({
    page,
    expectAccessible,
  }, testInfo) => {
    await signIn(page, 'alice.admin@acme.test');
    await openUser(page, 'dana.designer@acme.test', 'Dana Designer');
    await section(page, 'Apps').click();
    const apps = page.getByRole('table', { name: 'Apps of this user' });
    await expect(apps.getByRole('row', { name: /Supplier Portal.*Directly/ })).toBeVisible();
    await expect(apps.getByRole('row', { name: /Partner Wiki.*Through All Partners/ })).toBeVisible();
    await expectAccessible(page);

    const [login, name] = noJs(testInfo)
      ? ['sam.suspended@acme.test', 'Sam Suspended']
      : ['ivan.installer@acme.test', 'Ivan Installer'];
    await openUser(page, login, name);
    await section(page, 'Apps').click();
    await page.getByLabel('Assign app').selectOption({ label: 'Order Desk' });
    await page.getByRole('button', { name: 'Assign', exact: true }).click();
    await expect(apps.getByRole('row', { name: /Order Desk.*Directly/ })).toBeVisible();
    await page.getByRole('button', { name: 'Unassign Order Desk' }).click();
    await expect(apps.getByRole('link', { name: 'Order Desk' })).toHaveCount(0);
  });
});

test.describe('groups and apps pages', () => {
  test("a group's members are those of the admin's realms only; add by username and remove", async ({
    page,
    expectAccessible,
  }, testInfo) => {
    const login = noJs(testInfo) ? 'sam.suspended@acme.test' : 'ivan.installer@acme.test';
    await signIn(page, 'alice.admin@acme.test');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Groups' }).click();
    const list = page.getByRole('table', { name: 'Groups you can see' });
    await expect(list.getByRole('link', { name: 'Globex Operations' })).toHaveCount(0);
    await expectAccessible(page);
    await list.getByRole('link', { name: 'All Partners' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'All Partners' })).toBeVisible();
    const members = page.getByRole('table', { name: 'Members in your realms' });
    await expect(members.getByRole('link', { name: 'Dana Designer' })).toBeVisible();
    // Gary (Globex) is a member too, but never listed to Acme's admin.
    await expect(members.getByRole('link', { name: 'Gary Gearbox' })).toHaveCount(0);
    await expectAccessible(page);

    // A Globex username reads as unknown; then a real add and remove.
    await page.getByLabel('Add member by username').fill('gary.gearbox@globex.test');
    await page.getByRole('button', { name: 'Add member' }).click();
    await expect(page.getByText('No user with this username in your realms.')).toBeVisible();
    await page.getByLabel('Add member by username').fill(login);
    await page.getByRole('button', { name: 'Add member' }).click();
    await expect(members.getByRole('cell', { name: login, exact: true })).toBeVisible();
    await page.getByRole('button', { name: `Remove ${login}` }).click();
    await expect(members.getByRole('cell', { name: login, exact: true })).toHaveCount(0);
  });

  test("an app's assignees are those of the admin's realms only; assign and unassign", async ({
    page,
    expectAccessible,
  }, testInfo) => {
    const login = noJs(testInfo) ? 'sam.suspended@acme.test' : 'ivan.installer@acme.test';
    await signIn(page, 'alice.admin@acme.test');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Apps' }).click();
    const list = page.getByRole('table', { name: 'Apps you can see' });
    await expectAccessible(page);
    await list.getByRole('link', { name: 'Supplier Portal' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Supplier Portal' })).toBeVisible();
    const assignees = page.getByRole('table', { name: 'Direct assignees in your realms' });
    await expect(assignees.getByRole('link', { name: 'Dana Designer' })).toBeVisible();
    await expectAccessible(page);
    await page.getByLabel('Assign to username').fill(login);
    await page.getByRole('button', { name: 'Assign', exact: true }).click();
    await expect(assignees.getByRole('cell', { name: login, exact: true })).toBeVisible();
    await page.getByRole('button', { name: `Unassign ${login}` }).click();
    await expect(assignees.getByRole('cell', { name: login, exact: true })).toHaveCount(0);
  });

  test("another realm's group is not found by its address", async ({ page }) => {
    await signIn(page, 'carol.both@hostco.test');
    await page.goto('/groups');
    const href = await page.getByRole('link', { name: 'Globex Operations' }).getAttribute('href');
    expect(href).toMatch(/^\/groups\/00g/);
    await signOut(page);
    await signIn(page, 'alice.admin@acme.test');
    await expect(page.getByTestId('signed-in-user')).toHaveText('Alice Admin');
    await page.goto(href!);
    await expect(page.getByRole('heading', { name: 'Group not found' })).toBeVisible();
    await expect(page.getByText('Helen Hauler')).toHaveCount(0);
  });
});

test.describe('users table', () => {
  test('bulk actions report a result per selected user', async ({ page }, testInfo) => {
    await signIn(page, 'alice.admin@acme.test');
    await page.goto('/users?q=acme.test');
    const table = page.getByRole('table', { name: 'Users in your realms' });
    const row = (name: string) => table.getByRole('row', { name: new RegExp(name) });
    for (const [action, from, to] of [
      ['Suspend', 'ACTIVE', 'SUSPENDED'],
      ['Unsuspend', 'SUSPENDED', 'ACTIVE'],
    ]) {
      await expect(row('Dana Designer')).toContainText(from);
      await page.getByLabel('Select dana.designer@acme.test').check();
      await page.getByLabel('Select ivan.installer@acme.test').check();
      await page.getByLabel('Action', { exact: true }).selectOption({ label: action });
      await page.getByRole('button', { name: 'Apply to selected' }).click();
      if (!noJs(testInfo)) {
        await expect(page.getByText('2 of 2 done.')).toBeVisible();
        await expect(page.getByText(`dana.designer@acme.test — Done: ${action}: done`)).toBeVisible();
      }
      await expect(row('Dana Designer')).toContainText(to);
      await expect(row('Ivan Installer')).toContainText(to);
    }
    // A refused row is reported, with or without JavaScript.
    await page.getByLabel('Select dana.designer@acme.test').uncheck();
    await page.getByLabel('Select ivan.installer@acme.test').uncheck();
    await page.getByLabel('Select sam.suspended@acme.test').check();
    await page.getByLabel('Action', { exact: true }).selectOption({ label: 'Suspend' });
    await page.getByRole('button', { name: 'Apply to selected' }).click();
    await expect(page.getByText(/0 of 1 done/)).toBeVisible();
    await expect(page.getByText(/suspend does not apply/)).toBeVisible();
  });

  test('filters by realm and group, sorts, and exports the filter as CSV', async ({ page, expectAccessible }) => {
    await signIn(page, 'carol.both@hostco.test');
    await page.goto('/users');
    await page.getByLabel('Realm').selectOption({ label: 'Globex' });
    await page.getByLabel('Group', { exact: true }).selectOption({ label: 'Globex Operations' });
    await page.getByLabel('Sort by').selectOption({ label: 'Username' });
    await page.getByRole('button', { name: 'Apply', exact: true }).click();
    const table = page.getByRole('table', { name: 'Users in your realms' });
    await expect(table.getByRole('link', { name: 'Gary Gearbox' })).toBeVisible();
    await expect(table.getByRole('link', { name: 'Bob Admin' })).toHaveCount(0);
    await expect(table.getByRole('link', { name: 'Dana Designer' })).toHaveCount(0);
    const names = (await table.getByRole('cell', { name: /@globex\.test$/ }).allTextContents()).filter(Boolean);
    expect(names).toEqual([...names].sort());
    await expectAccessible(page);

    const downloading = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Export CSV' }).click();
    const csv = await readFile((await (await downloading).path())!, 'utf8');
    expect(csv.split('\n')[0]).toBe('id,login,email,firstName,lastName,realm,status,created,lastUpdated');
    expect(csv).toContain('gary.gearbox@globex.test');
    expect(csv).not.toContain('bob.admin@globex.test');
    expect(csv).not.toContain('acme.test');
  });
});

test.describe('activity filters', () => {
  test('the log filters by target and refuses a malformed id at its field', async ({ page }) => {
    await signIn(page, 'alice.admin@acme.test');
    await openUser(page, 'sam.suspended@acme.test', 'Sam Suspended');
    const id = (await page.getByText(/^00u/).first().textContent())!.trim();
    await page.goto('/activity');
    await page.getByLabel('Target id').fill(id);
    await page.getByRole('button', { name: 'Apply', exact: true }).click();
    const log = page.getByRole('table', { name: /Events/ });
    await expect(log.getByRole('cell', { name: /Sam Suspended/ }).first()).toBeVisible();
    await expect(log.getByRole('cell', { name: /Dana Designer/ })).toHaveCount(0);
    await page.getByLabel('Actor id').fill('not an id!');
    await page.getByRole('button', { name: 'Apply', exact: true }).click();
    await expect(page.getByText('Enter an id (letters and digits)')).toBeVisible();
  });
});

test.describe('layout', () => {
  test('the portal pages fit a tablet screen without sideways scrolling', async ({ page }) => {
    await page.setViewportSize({ width: 768, height: 1024 });
    await signIn(page, 'carol.both@hostco.test');
    for (const path of ['/', '/users', '/groups', '/apps', '/activity', '/realms']) {
      await page.goto(path);
      await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      expect(overflow, `${path} scrolls sideways`).toBeLessThanOrEqual(0);
    }
  });
});

test.describe('search as you type', () => {
  test('the users table follows the search field without pressing Apply @js-only', async ({ page }) => {
    await signIn(page, 'alice.admin@acme.test');
    await page.goto('/users');
    const table = page.getByRole('table', { name: 'Users in your realms' });
    await expect(table.getByRole('link', { name: 'Dana Designer' })).toBeVisible();
    await page.getByLabel('Search').pressSequentially('install', { delay: 30 });
    await expect(page).toHaveURL(/q=install/);
    await expect(table.getByRole('link', { name: 'Ivan Installer' })).toBeVisible();
    await expect(table.getByRole('link', { name: 'Dana Designer' })).toHaveCount(0);
    await expect(page.getByLabel('Search')).toHaveValue('install');
  });

  test('what is typed before the page hydrates is searched for once it has @js-only', async ({ page }) => {
    await signIn(page, 'alice.admin@acme.test');
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    const release = await holdHydration(page);
    await page.goto('/users', { waitUntil: 'domcontentloaded' });
    await page.getByLabel('Search').fill('install');
    await expect(page).not.toHaveURL(/q=install/);
    release();
    await expect(page).toHaveURL(/q=install/);
    const table = page.getByRole('table', { name: 'Users in your realms' });
    await expect(table.getByRole('link', { name: 'Ivan Installer' })).toBeVisible();
    await expect(table.getByRole('link', { name: 'Dana Designer' })).toHaveCount(0);
    await expect(page.getByLabel('Search')).toHaveValue('install');
  });
});
