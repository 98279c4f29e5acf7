import type { Page, TestInfo } from '@playwright/test';
import { portalUrl, signIn } from './fixtures';
import {
  test,
  expect,
  HANNA,
  ACTIVATION_SUBJECT,
  RESET_SUBJECT,
  latestMail,
  mailsTo,
  linkIn,
  newPassword,
  tooShortPassword,
  wrongTotpCode,
  addVirtualAuthenticator,
  hostedUrl,
  openPasswordPage,
  submitPassword,
  signInHosted,
  verifyWithCode,
  signOutHosted,
  expectSignedOut,
  setNewPassword,
  addAuthenticatorApp,
  continueButton,
  userStatus,
  lifecycle,
} from './credentials';

// Hooli's users sign in with credentials the portal holds (issue #21). The stories
// share two users per project: Ada, who adds authenticators, and Bo, who keeps a
// password only (so that no story waits for a second TOTP window).
type HostedUser = { first: string; last: string; email: string; password: string; page: string; totp?: string };
let ada: HostedUser;
let bo: HostedUser;

// Unique per project and run: the projects share the portal's database.
const run = Date.now().toString(36).slice(-5);
function hostedUser(first: string, last: string, testInfo: TestInfo): HostedUser {
  const project = testInfo.project.name === 'no-js' ? 'nojs' : 'js';
  return {
    first,
    last,
    email: `${first.toLowerCase()}.${project}.${run}@hooli.test`,
    password: newPassword(first),
    page: '',
  };
}

/** Hanna creates the user with "Activate now": the user is pending and mailed a link. */
async function createUser(admin: Page, user: HostedUser): Promise<string> {
  await admin.goto('/users/new');
  await expect(admin.getByRole('heading', { level: 1, name: 'Create user' })).toBeVisible();
  await expect(admin.getByLabel('Realm').locator('option')).toHaveText(['Hooli']);
  await admin.getByLabel('Username').fill(user.email);
  await admin.getByLabel('Email').fill(user.email);
  await admin.getByLabel('First name').fill(user.first);
  await admin.getByLabel('Last name').fill(user.last);
  await admin.getByLabel('Activate now (otherwise staged)').check();
  const since = Date.now();
  await admin.getByRole('button', { name: 'Create user' }).click();
  await expect(admin).toHaveURL(/\/users\/00u/);
  await expect(admin.getByRole('heading', { level: 1, name: `${user.first} ${user.last}` })).toBeVisible();
  await expect(userStatus(admin)).toHaveText('PROVISIONED');
  user.page = new URL(admin.url()).pathname;
  return linkIn(await latestMail(user.email, ACTIVATION_SUBJECT, since), '/activate');
}

async function signInAsHanna(admin: Page) {
  await signInHosted(admin, HANNA.email, HANNA.password);
  await expect(admin.getByTestId('signed-in-user')).toBeVisible();
}

test.use({ baseURL: hostedUrl });

test.describe('hosted credentials', () => {
  test.describe.configure({ mode: 'serial' });

  test('a partner admin creates a hosted user, who activates the account from the mail and adds authenticators', async ({
    page,
    openBrowser,
    javaScriptEnabled,
    expectAccessible,
  }, testInfo) => {
    ada = hostedUser('Ada', 'Activate', testInfo);
    // Ada's browser: with JavaScript it also has a platform authenticator.
    const passkeys = javaScriptEnabled ? await addVirtualAuthenticator(page) : undefined;

    // Hanna signs in at the portal itself: no identity provider.
    const admin = await openBrowser();
    await openPasswordPage(admin, HANNA.email);
    await expectAccessible(admin);
    await submitPassword(admin, HANNA.password);
    await expect(admin.getByTestId('signed-in-user')).toBeVisible();
    const link = await createUser(admin, ada);

    await page.goto(link);
    await expect(page.getByRole('heading', { name: 'Activate your account' })).toBeVisible();
    await expectAccessible(page);
    await setNewPassword(page, tooShortPassword());
    await expect(page.getByText('At least 12 characters.').first()).toBeVisible();
    await expect(page.getByRole('heading', { name: 'Activate your account' })).toBeVisible();
    await setNewPassword(page, ada.password);

    await expect(page).toHaveURL(/\/signin\/enroll/);
    await expect(page.getByRole('heading', { name: 'Set up your authenticators' })).toBeVisible();
    await expectAccessible(page);
    ada.totp = await addAuthenticatorApp(page);
    if (passkeys) {
      await expect(page.getByRole('heading', { name: 'Passkey or security key' })).toBeVisible();
      await page.getByLabel('Passkey name').fill('Work laptop');
      await page.getByRole('button', { name: 'Add a passkey' }).click();
      await expect(page.getByText('Passkey added.')).toBeVisible();
      expect(await passkeys.count()).toBe(1);
    }
    await continueButton(page).click();
    await expect(page).toHaveURL(/\/me$/);

    if (passkeys) {
      // The second step with the passkey instead of the app's code.
      await signOutHosted(page);
      await signInHosted(page, ada.email, ada.password);
      await expect(page.getByRole('heading', { name: /^Verify it.s you$/ })).toBeVisible();
      await page.getByRole('button', { name: 'Use a passkey' }).click();
      await expect(page).toHaveURL(/\/me$/);
    }

    await admin.reload();
    await expect(userStatus(admin)).not.toHaveText('PROVISIONED');
  });

  test("an admin's password reset ends the user's sessions; the mailed link works once", async ({
    page,
    openBrowser,
    expectAccessible,
  }, testInfo) => {
    const admin = await openBrowser();
    await signInAsHanna(admin);
    bo = hostedUser('Bo', 'Reset', testInfo);
    // Bo activates and goes on without authenticators: signed in, at /me.
    await page.goto(await createUser(admin, bo));
    await setNewPassword(page, bo.password);
    await continueButton(page).click();
    await expect(page).toHaveURL(/\/me$/);

    await admin.goto(bo.page);
    const since = Date.now();
    await lifecycle(admin, 'Reset password');
    const link = linkIn(await latestMail(bo.email, RESET_SUBJECT, since), '/reset-password');
    await page.reload();
    await expectSignedOut(page);

    await page.goto(link);
    await expect(page.getByRole('heading', { name: 'Choose a new password' })).toBeVisible();
    await expectAccessible(page);
    const old = bo.password;
    bo.password = newPassword('Bo-reset');
    await setNewPassword(page, bo.password);
    await expect(page.getByText('Your password was changed. Sign in with it.')).toBeVisible();

    await page.goto(link);
    await expect(page.getByRole('heading', { name: 'This link no longer works' })).toBeVisible();
    await expectAccessible(page);

    await signInHosted(page, bo.email, old);
    await expect(page.getByRole('alert')).toContainText('The email or password is wrong.');
    await submitPassword(page, bo.password);
    await expect(page).toHaveURL(/\/me$/);
  });

  test('five wrong passwords lock the account until an admin unlocks it', async ({ page, openBrowser }) => {
    await openPasswordPage(page, bo.email);
    for (let attempt = 1; attempt <= 5; attempt++) {
      await submitPassword(page, newPassword(`wrong${attempt}`));
      await expect(page.getByRole('alert')).toBeVisible();
    }
    // Now even the right password is refused.
    await submitPassword(page, bo.password);
    await expect(page.getByRole('alert')).toContainText(/locked/i);

    const admin = await openBrowser();
    await signInAsHanna(admin);
    await admin.goto(bo.page);
    await expect(userStatus(admin)).toHaveText('LOCKED_OUT');
    await lifecycle(admin, 'Unlock');
    await expect(userStatus(admin)).not.toHaveText('LOCKED_OUT');
    await expect(admin.getByRole('button', { name: 'Unlock', exact: true })).toHaveCount(0);

    await signInHosted(page, bo.email, bo.password);
    await expect(page).toHaveURL(/\/me$/);
  });

  test('a user who forgot the password gets a link by mail; an unknown address gets the same answer', async ({
    page,
    expectAccessible,
  }) => {
    await openPasswordPage(page, bo.email);
    await page.getByRole('link', { name: 'Forgot password?' }).click();
    await expect(page).toHaveURL(/\/signin\/forgot/);
    await expect(page.getByRole('heading', { name: 'Reset your password' })).toBeVisible();
    await expectAccessible(page);

    const since = Date.now();
    const answers: string[] = [];
    const nobody = bo.email.replace(/^bo\./, 'nobody.');
    for (const email of [nobody, bo.email]) {
      await page.goto('/signin/forgot');
      await page.getByLabel('Email').fill(email);
      await page.getByRole('button', { name: 'Send reset link' }).click();
      await expect(page.getByRole('heading', { name: 'Check your email' })).toBeVisible();
      answers.push((await page.getByRole('main').innerText()).replaceAll(email, '<email>'));
    }
    expect(answers[0]).toBe(answers[1]);
    await expectAccessible(page);

    const link = linkIn(await latestMail(bo.email, RESET_SUBJECT, since), '/reset-password');
    // Asked for first, the unknown address's mail would have arrived by now.
    expect(await mailsTo(nobody, since)).toHaveLength(0);
    await page.goto(link);
    await expect(page.getByRole('heading', { name: 'Choose a new password' })).toBeVisible();
    bo.password = newPassword('Bo-forgot');
    await setNewPassword(page, bo.password);
    await expect(page.getByText('Your password was changed. Sign in with it.')).toBeVisible();
    await signInHosted(page, bo.email, bo.password);
    await expect(page).toHaveURL(/\/me$/);
  });

  test('on /me a user ends other sessions, changes the password and manages authenticators', async ({
    page,
    openBrowser,
    expectAccessible,
  }) => {
    const other = await openBrowser();
    await signInHosted(other, bo.email, bo.password);
    await expect(other).toHaveURL(/\/me$/);
    await signInHosted(page, bo.email, bo.password);
    await expect(page).toHaveURL(/\/me$/);
    await expectAccessible(page);

    // Sessions: this one is marked; every other one can be ended.
    await expect(page.getByRole('heading', { name: 'Sessions', exact: true })).toBeVisible();
    const sessions = page.getByRole('table').filter({ hasText: 'This session' });
    await expect(sessions.getByRole('row').filter({ hasText: 'This session' })).toHaveCount(1);
    const end = sessions.getByRole('button', { name: 'End session' });
    await expect(end.first()).toBeVisible();
    for (let left = await end.count(); left > 0; left--) {
      await end.first().click();
      await expect(end).toHaveCount(left - 1);
    }
    await other.reload();
    await expectSignedOut(other);

    // Password: the current one must be right.
    await expect(page.getByRole('heading', { name: 'Password', exact: true })).toBeVisible();
    const next = newPassword('Bo-changed');
    const changePassword = async (current: string) => {
      await page.getByLabel('Current password').fill(current);
      await page.getByLabel('New password', { exact: true }).fill(next);
      await page.getByLabel('Repeat the new password').fill(next);
      await page.getByRole('button', { name: 'Change password' }).click();
    };
    await changePassword(newPassword('Bo-not-current'));
    await expect(page.getByText('That is not your current password.')).toBeVisible();
    await expect(page.getByText('Password changed.')).toHaveCount(0);
    await changePassword(bo.password);
    await expect(page.getByText('Password changed.')).toBeVisible();
    bo.password = next;

    // Authenticators: add an app, then remove it again.
    await page.getByRole('link', { name: 'Manage authenticators' }).click();
    await expect(page).toHaveURL(/\/me\/authenticators$/);
    await expect(page.getByRole('heading', { name: 'Your authenticators' })).toBeVisible();
    await expectAccessible(page);
    await addAuthenticatorApp(page);
    const remove = page.getByRole('button', { name: /^Remove/ });
    await expect(remove).toHaveCount(1);
    await remove.click();
    await expect(remove).toHaveCount(0);

    // Without an authenticator the password alone signs in.
    await signOutHosted(page);
    await signInHosted(page, bo.email, bo.password);
    await expect(page).toHaveURL(/\/me$/);
  });

  test('a returning user signs in with the password and a code from the authenticator app', async ({
    page,
    expectAccessible,
  }) => {
    // Ada's last code was used at enrolment, stories ago: no new window to wait for.
    await signInHosted(page, ada.email, ada.password);
    await expect(page.getByRole('heading', { name: /^Verify it.s you$/ })).toBeVisible();
    await expectAccessible(page);
    await verifyWithCode(page, ada.totp!, wrongTotpCode(ada.totp!));
    await expect(page.getByRole('alert')).toContainText('That code is not right');
    const code = await verifyWithCode(page, ada.totp!);
    await expect(page).toHaveURL(/\/me$/);

    // A code works once: replayed in a new sign-in, it is refused.
    await signOutHosted(page);
    await signInHosted(page, ada.email, ada.password);
    await verifyWithCode(page, ada.totp!, code);
    await expect(page.getByRole('alert')).toContainText('That code is not right');
  });
});

// The org admin decides per realm whether its users sign in with the portal's
// own credentials, and the password rules (admin console, realm page).
test.describe('realm sign-in policy', () => {
  // The org admin signs in through the org IdP, which returns to the public URL.
  test.use({ baseURL: portalUrl });

  test('an org admin makes a realm hosted and sets its password rules', async ({ page, expectAccessible }, testInfo) => {
    const name = `Policy ${testInfo.project.name === 'no-js' ? 'N' : 'H'} ${run}`;
    await signIn(page, 'olivia.owner@hostco.test');
    await page.goto('/admin/realms');
    await page.getByLabel('Name', { exact: true }).fill(name);
    await page.getByRole('button', { name: 'Create realm' }).click();
    await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();

    const policy = page.getByRole('region', { name: 'Sign-in and passwords' });
    await expect(policy.getByLabel('Users sign in with passwords held by the portal')).not.toBeChecked();
    await expect(policy.getByLabel('Minimum password length')).toHaveValue('12');
    await policy.getByLabel('Users sign in with passwords held by the portal').check();
    await policy.getByLabel('Minimum password length').fill('seven');
    await policy.getByRole('button', { name: 'Save sign-in policy' }).click();
    await expect(policy.getByText('Enter a whole number.')).toBeVisible();
    await policy.getByLabel('Minimum password length').fill('4');
    await policy.getByRole('button', { name: 'Save sign-in policy' }).click();
    await expect(policy.getByText('Between 8 and 256 characters.')).toBeVisible();
    await policy.getByLabel('Minimum password length').fill('14');
    await policy.getByLabel('Users sign in with passwords held by the portal').check();
    await policy.getByLabel('Require a second factor (authenticator app or passkey)').check();
    await policy.getByRole('button', { name: 'Save sign-in policy' }).click();
    await expect(page.getByText('Saved the sign-in policy.')).toBeVisible();
    await expectAccessible(page);

    await page.reload();
    const saved = page.getByRole('region', { name: 'Sign-in and passwords' });
    await expect(saved.getByLabel('Users sign in with passwords held by the portal')).toBeChecked();
    await expect(saved.getByLabel('Minimum password length')).toHaveValue('14');
    await expect(saved.getByLabel('Require a second factor (authenticator app or passkey)')).toBeChecked();

    // Her own credentials are the org IdP's: the portal offers her no authenticators.
    await page.goto('/me/authenticators');
    await expect(page.getByText('managed there, not here')).toBeVisible();
    await expect(page.getByRole('button', { name: 'Add authenticator app' })).toHaveCount(0);
  });
});
