//! `/groups`: the groups the admin may see; `/groups/{id}`: a group with its
//! members *within the admin's realms*, add by username and remove.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::ui::{error_alert, outcome, BUTTON, INPUT, LINK, SMALL_BUTTON};
use crate::error::AppError;
use crate::serverfns::groups::{get_group, list_groups, ChangeMembership, GroupDetail};
use crate::serverfns::users::UsersPage;

#[component]
pub fn GroupsPage() -> impl IntoView {
    let groups = Resource::new(|| (), |_| list_groups());
    view! {
        <section class="space-y-6">
            <h1 class="text-2xl font-bold">"Groups"</h1>
            <Suspense fallback=|| view! { <p role="status">"Loading groups…"</p> }>
                {move || groups.get().map(|r| match r {
                    Ok(groups) if groups.is_empty() => view! { <p>"You cannot see any group."</p> }.into_any(),
                    Ok(groups) => view! {
                        <LinkTable caption="Groups you can see" headers=["Name", "Description", "You can"]
                            rows=groups.into_iter().map(|g| LinkRow {
                                href: format!("/groups/{}", g.id),
                                name: g.name,
                                detail: g.description,
                                access: if g.manageable { "View and manage members" } else { "View" },
                            }).collect() />
                    }.into_any(),
                    Err(e) => error_alert(&e),
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn GroupPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let after = move || query.read().get("after").unwrap_or_default();
    let change = ServerAction::<ChangeMembership>::new();
    let group = Resource::new(
        move || (id(), after(), change.version().get()),
        |(id, after, _)| get_group(id, Some(after)),
    );
    view! {
        <section class="space-y-6">
            <p><A href="/groups" attr:class=LINK>"All groups"</A></p>
            <Suspense fallback=|| view! { <p role="status">"Loading the group…"</p> }>
                {move || group.get().map(|r| match r {
                    Ok(g) => view! { <GroupView group=g change /> }.into_any(),
                    Err(AppError::NotFound) => view! {
                        <h1 class="text-2xl font-bold">"Group not found"</h1>
                        <p>"There is no such group among those you can see."</p>
                    }.into_any(),
                    Err(e) => error_alert(&e),
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn GroupView(group: GroupDetail, change: ServerAction<ChangeMembership>) -> impl IntoView {
    let gid = group.id.clone();
    let path = format!("/groups/{}", group.id);
    let manage = group.can_manage;
    let remove = move |user_id: String, login: String| {
        let gid = gid.clone();
        manage.then(|| {
            view! {
                <ActionForm action=change>
                    <input type="hidden" name="group_id" value=gid />
                    <input type="hidden" name="user_id" value=user_id />
                    <input type="hidden" name="op" value="remove" />
                    <button type="submit" class=SMALL_BUTTON aria-label=format!("Remove {login}")>"Remove"</button>
                </ActionForm>
            }
        })
    };
    let error = move || {
        change.value().with(|v| match v {
            Some(Err(e)) => e.field_message("login").map(str::to_string),
            _ => None,
        })
    };
    view! {
        <div class="space-y-1">
            <h1 class="text-2xl font-bold">{group.name.clone()}</h1>
            <p class="text-slate-700 dark:text-slate-300">{group.description.clone()}</p>
        </div>
        {move || outcome(change.value().get().filter(|r| !matches!(r, Err(AppError::Validation { .. }))))}
        {manage.then(|| view! {
            <ActionForm action=change attr:class="flex flex-wrap items-end gap-3" attr:novalidate=true>
                <input type="hidden" name="group_id" value=group.id.clone() />
                <input type="hidden" name="op" value="add" />
                {username_field("member-login", "Add member by username", error)}
                <button type="submit" class=BUTTON>"Add member"</button>
            </ActionForm>
        })}
        <MemberTable page=group.members caption="Members in your realms" path action=remove />
    }
}

/// Members or assignees: a table of users in the caller's scope, with a
/// per-row action and "Next page".
#[component]
pub fn MemberTable<F, V>(
    page: UsersPage,
    caption: &'static str,
    path: String,
    action: F,
) -> impl IntoView
where
    F: Fn(String, String) -> V + 'static,
    V: IntoView + 'static,
{
    if page.rows.is_empty() {
        return view! { <p>"Nobody in your realms."</p> }.into_any();
    }
    let next = page.next.map(|after| {
        format!(
            "{path}?{}",
            crate::components::ui::query_string(&[("after", after)])
        )
    });
    view! {
        <div class="overflow-x-auto"><table class="w-full border-collapse text-left text-sm">
            <caption class="sr-only">{caption}</caption>
            <thead>
                <tr class="border-b border-slate-300 dark:border-slate-700">
                    <th scope="col" class="py-2 pr-4">"Name"</th>
                    <th scope="col" class="py-2 pr-4">"Username"</th>
                    <th scope="col" class="py-2 pr-4">"Realm"</th>
                    <th scope="col" class="py-2 pr-4">"Status"</th>
                    <th scope="col" class="py-2 pr-4"><span class="sr-only">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>
                {page.rows.into_iter().map(|row| view! {
                    <tr class="border-b border-slate-200 dark:border-slate-800">
                        <td class="py-2 pr-4"><A href=format!("/users/{}", row.id) attr:class=LINK>{row.name}</A></td>
                        <td class="py-2 pr-4">{row.login.clone()}</td>
                        <td class="py-2 pr-4">{row.realm}</td>
                        <td class="py-2 pr-4">{row.status.as_str()}</td>
                        <td class="py-2 pr-4">{action(row.id, row.login)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table></div>
        {next.map(|href| view! { <p><a href=href class=LINK>"Next page"</a></p> })}
    }
    .into_any()
}

/// One row of a `LinkTable`: a link to the object, a detail and what the
/// caller may do with it.
pub struct LinkRow {
    pub href: String,
    pub name: String,
    pub detail: String,
    pub access: &'static str,
}

/// The list of groups or apps: name (a link), a detail, and the caller's access.
#[component]
pub fn LinkTable(
    caption: &'static str,
    headers: [&'static str; 3],
    rows: Vec<LinkRow>,
) -> impl IntoView {
    view! {
        <div class="overflow-x-auto"><table class="w-full border-collapse text-left text-sm">
            <caption class="sr-only">{caption}</caption>
            <thead>
                <tr class="border-b border-slate-300 dark:border-slate-700">
                    {headers.map(|h| view! { <th scope="col" class="py-2 pr-4">{h}</th> })}
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|r| view! {
                    <tr class="border-b border-slate-200 dark:border-slate-800">
                        <td class="py-2 pr-4"><A href=r.href attr:class=LINK>{r.name}</A></td>
                        <td class="py-2 pr-4">{r.detail}</td>
                        <td class="py-2 pr-4">{r.access}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table></div>
    }
}

/// The username input of an add/assign form, with its field error.
pub fn username_field(
    id: &'static str,
    label: &'static str,
    error: impl Fn() -> Option<String> + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let described = error_id.clone();
    view! {
        <div class="space-y-1">
            <label for=id class="block text-sm font-medium">{label}</label>
            <input id=id name="login" type="text" class=INPUT required=true
                aria-invalid=move || error().is_some().to_string()
                aria-describedby=move || error().map(|_| described.clone()) />
            {move || error().map(|m| view! { <p id=error_id.clone() class="text-sm text-red-700 dark:text-red-300">{m}</p> })}
        </div>
    }
}
