import okta from '@okta/okta-sdk-nodejs';
import { test, expect, signIn, portalUrl } from './fixtures';

// The official Okta Node SDK, unmodified, against the portal's Management API,
// with a token an admin makes in the browser: the scripted scenario of an
// integration (Org2Org spoke, governance tool). Every call must come back as
// the SDK's typed object; the SDK runs in Node, so once (hydrated project).

/** Makes an API token on the API tokens page and returns its secret. */
async function makeToken(page: import('@playwright/test').Page, name: string): Promise<string> {
  await page.goto('/api-tokens');
  await expect(page.getByRole('heading', { name: 'API tokens', level: 1 })).toBeVisible();
  await page.getByLabel('Token name').fill(name);
  await page.getByRole('button', { name: 'Create token' }).click();
  const shown = page.getByRole('status').filter({ hasText: 'Copy it now' });
  await expect(shown).toBeVisible();
  const secret = (await shown.textContent())?.match(/00[A-Za-z0-9]{40}/)?.[0];
  expect(secret, 'the token is shown once').toBeTruthy();
  return secret!;
}

async function all<T>(collection: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of collection) items.push(item);
  return items;
}

test('@js-only the official Okta Node SDK drives realms, users, groups, apps, roles and the System Log', async ({ page }) => {
  test.setTimeout(90_000);
  await signIn(page, 'olivia.owner@hostco.test');
  const token = await makeToken(page, 'Node SDK scenario');
  const client = new okta.Client({ orgUrl: portalUrl, token });
  const stamp = Date.now().toString(36);

  // A realm and a realm assignment, executed; the operation polled to its end.
  const realm = await client.realmApi.createRealm({
    body: { profile: { name: `SDK Realm ${stamp}`, realmType: 'PARTNER', domains: ['sdk.test'] } },
  });
  expect(realm.id).toMatch(/\w+/);
  expect(realm.profile?.name).toBe(`SDK Realm ${stamp}`);
  const realms = await all(await client.realmApi.listRealms({ limit: 2 }));
  expect(realms.map((r) => r.id)).toContain(realm.id);

  // Users with realmId, paged two at a time.
  const created = [];
  for (const n of [1, 2, 3]) {
    const user = await client.userApi.createUser({
      body: {
        profile: { firstName: 'Sdk', lastName: `User${n}`, email: `sdk${n}.${stamp}@sdk.test`, login: `sdk${n}.${stamp}@sdk.test` },
        realmId: realm.id,
      } as any,
      activate: true,
    });
    expect(user.status).toBe('ACTIVE');
    expect((user as any).realmId).toBe(realm.id);
    created.push(user);
  }
  const paged = await all(await client.userApi.listUsers({ limit: 2 }));
  expect(paged.length).toBeGreaterThan(3);
  for (const u of created) expect(paged.map((p) => p.id)).toContain(u.id);
  expect(new Set(paged.map((p) => p.id)).size).toBe(paged.length);
  const inRealm = await all(await client.userApi.listUsers({ search: `realmId eq "${realm.id}"` }));
  expect(inRealm.map((u) => u.profile?.login).sort()).toEqual(created.map((u) => u.profile?.login).sort());

  // A realm assignment moves users whose email ends in sdk.test into the realm.
  const assignment = await client.realmAssignmentApi.createRealmAssignment({
    body: {
      name: `SDK assignment ${stamp}`,
      conditions: { expression: { value: 'user.profile.email.endsWith("@sdk.test")' } },
      actions: { assignUserToRealm: { realmId: realm.id } },
    },
  });
  expect(assignment.id).toBeTruthy();
  expect(assignment.status).toBe('INACTIVE');
  await client.realmAssignmentApi.activateRealmAssignment({ assignmentId: assignment.id! });
  const operation = await client.realmAssignmentApi.executeRealmAssignment({ body: { assignmentId: assignment.id! } });
  expect(operation.id).toBeTruthy();
  expect(operation.type).toBe('realm:assignment');
  await expect
    .poll(async () => {
      const runs = await all(await client.realmAssignmentApi.listRealmAssignmentOperations({}));
      return runs.find((r) => r.id === operation.id)?.status;
    })
    .toBe('COMPLETED');

  // A group with members, an app assigned to a user and to the group.
  const group = await client.groupApi.createGroup({ group: { profile: { name: `SDK Group ${stamp}`, description: 'made by the SDK' } } });
  expect(group.type).toBe('OKTA_GROUP');
  for (const u of created.slice(0, 2)) await client.groupApi.assignUserToGroup({ groupId: group.id!, userId: u.id! });
  const members = await all(await client.groupApi.listGroupUsers({ groupId: group.id! }));
  expect(members.map((m) => m.id).sort()).toEqual(created.slice(0, 2).map((u) => u.id).sort());
  const apps = await all(await client.applicationApi.listApplications({}));
  const portal = apps.find((a) => a.label === 'Supplier Portal');
  expect(portal?.id).toBeTruthy();
  const appUser = await client.applicationApi.assignUserToApplication({ appId: portal!.id!, appUser: { id: created[2].id! } });
  expect(appUser.id).toBe(created[2].id);
  const appGroup = await client.applicationApi.assignGroupToApplication({ appId: portal!.id!, groupId: group.id! });
  expect(appGroup.id).toBe(group.id);

  // A custom role, a resource set of the realm, a binding; role assignments listed.
  const role = await client.customRoleApi.createRole({
    instance: { label: `SDK helpdesk ${stamp}`, description: 'reads and unlocks', permissions: ['okta.users.read', 'okta.users.lifecycle.unlock'] as any },
  });
  expect(role.id).toBeTruthy();
  const set = await client.resourceSetApi.createResourceSet({
    instance: {
      label: `SDK set ${stamp}`,
      description: 'the SDK realm',
      resources: [`${portalUrl}/api/v1/realms/${realm.id}`, `${portalUrl}/api/v1/realms/${realm.id}/users`] as any,
    },
  });
  expect(set.id).toBeTruthy();
  const binding = await client.resourceSetApi.createResourceSetBinding({
    resourceSetId: set.id!,
    instance: { role: role.id!, members: [`${portalUrl}/api/v1/users/${created[0].id}`] },
  });
  expect(binding).toBeTruthy();
  const roles = await all(await client.roleAssignmentApi.listAssignedRolesForUser({ userId: created[0].id! }));
  expect(roles.some((r: any) => r.type === 'CUSTOM')).toBe(true);

  // The System Log, bounded by `until` (without it, an ascending read is a
  // poll whose `next` link never ends).
  const events = await all(
    await client.systemLogApi.listLogEvents({
      filter: 'eventType eq "group.user_membership.add"',
      until: new Date(Date.now() + 1000).toISOString(),
      limit: 10,
    }),
  );
  expect(events.length).toBeGreaterThanOrEqual(2);
  expect(events.every((e) => e.eventType === 'group.user_membership.add')).toBe(true);
  expect((events[events.length - 1].transaction as any)?.detail?.requestApiTokenId).toBeTruthy();

  // The token lists itself, then ends itself.
  const tokens = await all(await client.apiTokenApi.listApiTokens());
  expect(tokens.map((t) => t.name)).toContain('Node SDK scenario');
  await client.apiTokenApi.revokeCurrentApiToken();
  await expect(client.realmApi.getRealm({ realmId: realm.id! })).rejects.toThrow(/E0000011|401/);
});
