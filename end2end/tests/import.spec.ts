import { readFile } from 'node:fs/promises';
import { test, expect, signIn } from './fixtures';

test.describe('importing users from a CSV file', () => {
  test('a partner admin uploads a file, reads the preview, imports it and downloads the results', async ({
    page,
    expectAccessible,
  }, testInfo) => {
    // Other users per project (the projects share the portal's database).
    const tag = testInfo.project.name === 'no-js' ? 'nojs' : 'js';
    const csv = [
      'login,firstName,lastName,email,title',
      `ivy.${tag}@acme.test,Ivy,Imported,ivy.${tag}@acme.test,Engineer`,
      `jay.${tag}@acme.test,Jay,Imported,jay.${tag}@acme.test,`,
      `kay.${tag}@globex.test,Kay,Outside,kay.${tag}@globex.test,`,
      `IVY.${tag}@acme.test,Ivy,Twice,ivy.${tag}@acme.test,`,
    ].join('\r\n');
    await signIn(page, 'alice.admin@acme.test');
    await page.goto('/users');
    await page.getByRole('link', { name: 'Import users (CSV)' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Import users' })).toBeVisible();
    // Only the realms Alice may create users in.
    await expect(page.getByLabel('Realm').locator('option')).toHaveText(['Acme']);
    await expectAccessible(page);

    // No file: refused in place (with JavaScript) or on the page posted back to.
    await page.getByRole('button', { name: 'Check the file' }).click();
    await expect(page.getByRole('alert')).toContainText('Choose a CSV file');

    await page.getByLabel('CSV file').setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: 'Check the file' }).click();
    await expect(page).toHaveURL(/\/users\/import\/imp/);
    const headline = page.getByTestId('import-headline');
    await expect(headline).toHaveText('Preview: 2 of 4 lines valid, 2 lines with errors (skipped). Nothing has been created yet.');
    await expect(page.getByText('Ignored columns (Okta template columns the portal does not keep): title.')).toBeVisible();
    const lines = page.getByRole('table', { name: 'Lines of the file' });
    const line = (n: number) => lines.getByRole('row').filter({ has: page.getByRole('rowheader', { name: `${n}`, exact: true }) });
    await expect(line(2)).toContainText('Valid');
    await expect(line(4)).toContainText('must be in one of these domains');
    await expect(line(5)).toContainText('The same username as line 2');
    await expectAccessible(page);

    await page.getByRole('button', { name: 'Import 2 valid rows' }).click();
    // Without JavaScript the page reloads itself until the import is done.
    await expect(headline).toHaveText('Done: 2 created, 2 skipped, 0 failed.', { timeout: 20_000 });
    await expect(page.getByRole('progressbar', { name: 'Import progress' })).toHaveAttribute('value', '100');
    await expectAccessible(page);

    const downloading = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Download results (CSV)' }).click();
    const report = (await readFile((await (await downloading).path())!, 'utf8')).trim().split(/\r?\n/);
    expect(report[0]).toBe('line,login,result,message,user id');
    expect(report).toHaveLength(5);
    expect(report[1]).toMatch(new RegExp(`^2,ivy\\.${tag}@acme\\.test,created,,00u`));
    expect(report[3]).toMatch(new RegExp(`^4,kay\\.${tag}@globex\\.test,skipped,`));

    // Each created line links to its user.
    await lines.getByRole('link', { name: `jay.${tag}@acme.test` }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Jay Imported' })).toBeVisible();
    await expect(page.getByTestId('user-status')).toHaveText('STAGED');
  });

  test('an import of pasted text is refused whole for an unknown column', async ({ page }) => {
    await signIn(page, 'alice.admin@acme.test');
    await page.goto('/users/import');
    await page.getByLabel('Or paste the CSV text').fill('login,firstName,lastName,email,shoeSize\nx@acme.test,X,Y,x@acme.test,44');
    await page.getByRole('button', { name: 'Check the file' }).click();
    await expect(page.getByRole('alert')).toContainText('Unknown column shoeSize');
    await expect(page).toHaveURL(/\/users\/import(\?|$)/);
  });
});
