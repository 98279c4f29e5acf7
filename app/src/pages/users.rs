//! The users of the admin's realms: a searchable, filterable, sortable, paged
//! table with bulk actions and CSV export, and a page per user with its
//! profile, lifecycle actions, groups, apps and activity. Plain GET forms and
//! `ActionForm`s, so all of it works without JavaScript.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::ui::{
    error_alert, outcome, query_string, select_field, BUTTON, INPUT, LINK, SMALL_BUTTON,
};
use crate::error::AppError;
use crate::model::{LifecycleOp, UserStatus};
use crate::pages::activity::LogTable;
use crate::serverfns::activity::list_activity;
use crate::serverfns::admin::PlanMoveFiltered;
use crate::serverfns::apps::{user_apps, ChangeAssignment, UserAppList};
use crate::serverfns::groups::{user_groups, ChangeMembership, UserGroupList};
use crate::serverfns::users::{
    create_user_form, get_user, list_users, table_options, BulkResult, BulkUsers, CreateUser,
    NewUserForm, ProfileField, TableChoices, UpdateProfile, UserDetail, UserLifecycle, UsersPage,
};

/// The query parameters of the users table, in order.
const TABLE_PARAMS: [&str; 5] = ["q", "status", "realm", "group", "sort"];

#[component]
pub fn UsersPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |name: &str| query.read().get(name).unwrap_or_default();
    let bulk = ServerAction::<BulkUsers>::new();
    let page = Resource::new(
        move || {
            (
                TABLE_PARAMS.map(param),
                param("after"),
                bulk.version().get(),
            )
        },
        |([q, status, realm, group, sort], after, _)| {
            list_users(
                Some(q),
                Some(status),
                Some(realm),
                Some(group),
                Some(sort),
                Some(after),
            )
        },
    );
    let options = Resource::new(|| (), |_| table_options());
    let filters = move || -> Vec<(&'static str, String)> {
        TABLE_PARAMS.iter().map(|p| (*p, param(p))).collect()
    };
    let export = move || format!("/users/export.csv?{}", query_string(&filters()));
    // Search as you type (with JavaScript): the address follows the field a
    // moment after the last keystroke; without it, the form's Apply does.
    let navigate = leptos_router::hooks::use_navigate();
    let pending_search = StoredValue::new(None::<leptos::leptos_dom::helpers::TimeoutHandle>);
    let search_for = move |typed: String| {
        let mut pairs = filters();
        if let Some(q) = pairs.iter_mut().find(|(k, _)| *k == "q") {
            q.1 = typed;
        }
        let href = format!("/users?{}", query_string(&pairs));
        let navigate = navigate.clone();
        if let Some(handle) = pending_search.get_value() {
            handle.clear();
        }
        let handle = set_timeout_with_handle(
            move || navigate(&href, Default::default()),
            std::time::Duration::from_millis(250),
        )
        .ok();
        pending_search.set_value(handle);
    };
    let search_as_you_type = {
        let search_for = search_for.clone();
        move |ev: leptos::ev::Event| search_for(event_target_value(&ev))
    };
    // What was typed while the page was still loading (before it hydrated, so
    // no keystroke reached the handler) is searched for once it has.
    let search_input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(input) = search_input.get_untracked() {
            let typed = input.value();
            if typed != query.get_untracked().get("q").unwrap_or_default() {
                search_for(typed);
            }
        }
    });
    view! {
        <section class="space-y-6">
            <div class="flex flex-wrap items-center justify-between gap-3">
                <h1 class="text-2xl font-bold">"Users"</h1>
                <div class="flex flex-wrap items-center gap-3">
                    <a href=export rel="external" download="users.csv" class=LINK>"Export CSV"</a>
                    <A href="/users/import" attr:class=LINK>"Import users (CSV)"</A>
                    <A href="/users/new" attr:class=BUTTON>"Create user"</A>
                </div>
            </div>
            <form method="get" action="/users" role="search" aria-label="Users" class="flex flex-wrap items-end gap-3">
                <div class="space-y-1">
                    <label for="q" class="block text-sm font-medium">"Search"</label>
                    // The typed text is never overwritten from the address (a
                    // slower navigation would eat what was typed after it).
                    <input id="q" name="q" type="search" class=INPUT value=query.get_untracked().get("q").unwrap_or_default()
                        placeholder="Name, username or email" node_ref=search_input on:input=search_as_you_type />
                </div>
                {move || select_field("status", "status", "Status", "Any status",
                    UserStatus::ALL.iter().map(|s| (s.as_str().to_string(), s.as_str().to_string())).collect(),
                    param("status"))}
                <Suspense fallback=|| ()>
                    {move || options.get().and_then(Result::ok).map(|o| view! {
                        {select_field("realm", "realm", "Realm", "Any realm", o.realms, param("realm"))}
                        {select_field("group", "group", "Group", "Any group", o.groups, param("group"))}
                    })}
                </Suspense>
                {move || select_field("sort", "sort", "Sort by", "Name", vec![
                    ("login".to_string(), "Username".to_string()),
                    ("created".to_string(), "Created".to_string()),
                ], param("sort"))}
                <button type="submit" class=BUTTON>"Apply"</button>
            </form>
            <Suspense fallback=|| view! { <p role="status">"Loading users…"</p> }>
                {move || page.get().map(|result| match result {
                    Ok(page) => {
                        let options = options.get().and_then(Result::ok);
                        view! { <UsersTable page filters=filters() options bulk /> }.into_any()
                    }
                    Err(e) => error_alert(&e),
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn UsersTable(
    page: UsersPage,
    filters: Vec<(&'static str, String)>,
    options: Option<TableChoices>,
    bulk: ServerAction<BulkUsers>,
) -> impl IntoView {
    if page.rows.is_empty() {
        return view! { <p>"No users match."</p> }.into_any();
    }
    let filtered = filters
        .iter()
        .any(|(k, v)| *k != "sort" && !v.trim().is_empty());
    let move_filters = filters.clone();
    let next = page.next.clone().map(|after| {
        let mut pairs = filters;
        pairs.push(("after", after));
        format!("/users?{}", query_string(&pairs))
    });
    let logins: Vec<(String, String)> = page
        .rows
        .iter()
        .map(|r| (r.id.clone(), r.login.clone()))
        .collect();
    let options = options.unwrap_or(TableChoices {
        realms: Vec::new(),
        groups: Vec::new(),
        member_groups: Vec::new(),
        apps: Vec::new(),
        move_realms: Vec::new(),
    });
    let move_realms = options.move_realms.clone();
    let pending = bulk.pending();
    let results = bulk.value();
    view! {
        <ActionForm action=bulk attr:class="space-y-4" attr:aria-label="Bulk actions">
            <div class="overflow-x-auto"><table class="w-full border-collapse text-left text-sm">
                <caption class="sr-only">"Users in your realms"</caption>
                <thead>
                    <tr class="border-b border-slate-300 dark:border-slate-700">
                        <th scope="col" class="py-2 pr-2"><span class="sr-only">"Select"</span></th>
                        <th scope="col" class="py-2 pr-4">"Name"</th>
                        <th scope="col" class="py-2 pr-4">"Username"</th>
                        <th scope="col" class="py-2 pr-4">"Realm"</th>
                        <th scope="col" class="py-2 pr-4">"Status"</th>
                    </tr>
                </thead>
                <tbody>
                    {page.rows.into_iter().enumerate().map(|(i, row)| {
                        let check_id = format!("select-{}", row.id);
                        view! {
                            <tr class="border-b border-slate-200 dark:border-slate-800">
                                <td class="py-2 pr-2">
                                    <input id=check_id.clone() type="checkbox" name=format!("ids[{i}]") value=row.id.clone()
                                        aria-label=format!("Select {}", row.login) class="h-4 w-4" />
                                </td>
                                <td class="py-2 pr-4">
                                    <A href=format!("/users/{}", row.id) attr:class=LINK>{row.name}</A>
                                </td>
                                <td class="py-2 pr-4">{row.login}</td>
                                <td class="py-2 pr-4">{row.realm}</td>
                                <td class="py-2 pr-4">{row.status.as_str()}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table></div>
            <fieldset class="flex flex-wrap items-end gap-3 rounded-md border border-slate-300 p-3 dark:border-slate-700">
                <legend class="px-1 text-sm font-medium">"With the selected users"</legend>
                {select_field("bulk-action", "action", "Action", "Choose an action", {
                    let mut actions: Vec<(String, String)> = vec![
                        ("suspend".into(), "Suspend".into()),
                        ("unsuspend".into(), "Unsuspend".into()),
                        ("deactivate".into(), "Deactivate".into()),
                        ("add_to_group".into(), "Add to group".into()),
                        ("assign_app".into(), "Assign app".into()),
                    ];
                    if !options.move_realms.is_empty() {
                        actions.push(("move_to_realm".into(), "Move to realm (plan first)".into()));
                    }
                    actions
                }, String::new())}
                {select_field("bulk-group", "group_id", "Group (for add to group)", "No group", options.member_groups, String::new())}
                {select_field("bulk-app", "app_id", "App (for assign app)", "No app", options.apps, String::new())}
                {(!options.move_realms.is_empty()).then(|| select_field("bulk-realm", "realm_id", "Realm (for move)", "No realm", options.move_realms.clone(), String::new()))}
                <button type="submit" class=BUTTON>"Apply to selected"</button>
            </fieldset>
        </ActionForm>
        {move || pending.get().then(|| view! {
            <p role="status" class="flex items-center gap-2">
                <span class="inline-block h-4 w-4 animate-spin rounded-full border-2 border-indigo-700 border-t-transparent" aria-hidden="true"></span>
                "Applying to the selected users…"
            </p>
        })}
        {move || results.get().map(|r| match r {
            Ok(results) => view! { <BulkResults results logins=logins.clone() /> }.into_any(),
            Err(e) => error_alert(&e),
        })}
        {next.map(|href| view! {
            <p><a href=href class=LINK>"Next page"</a></p>
        })}
        {(!move_realms.is_empty() && filtered).then(|| view! { <MoveFiltered filters=move_filters realms=move_realms /> })}
    }
    .into_any()
}

/// For org admins, once the table is filtered: plan moving every user the
/// filter matches (not only this page's) to another realm.
#[component]
fn MoveFiltered(
    filters: Vec<(&'static str, String)>,
    realms: Vec<(String, String)>,
) -> impl IntoView {
    let plan = ServerAction::<PlanMoveFiltered>::new();
    view! {
        <section aria-labelledby="move-filtered" class="space-y-2">
            <h2 id="move-filtered" class="text-lg font-semibold">"Move every matching user"</h2>
            <p class="text-sm">"Plans moving all users this filter matches (at most 10,000), on every page; you review the plan before anything moves."</p>
            <ActionForm action=plan attr:class="flex flex-wrap items-end gap-3" attr:novalidate=true>
                {filters.into_iter().filter(|(k, _)| *k != "sort").map(|(k, v)| view! { <input type="hidden" name=k value=v /> }).collect_view()}
                {select_field("move-filtered-realm", "realm_id", "Move them to", "Choose a realm", realms, String::new())}
                <button type="submit" class=BUTTON>"Plan the move"</button>
            </ActionForm>
            {move || plan.value().get().and_then(Result::err).map(|e| {
                let message = e.field_message("realmId").map(str::to_string).unwrap_or_else(|| e.to_string());
                view! { <p role="alert" class="text-sm text-red-700 dark:text-red-300">{message}</p> }
            })}
        </section>
    }
}

#[component]
fn BulkResults(results: Vec<BulkResult>, logins: Vec<(String, String)>) -> impl IntoView {
    let done = results.iter().filter(|r| r.ok).count();
    let total = results.len();
    view! {
        <section aria-labelledby="bulk-results" class="space-y-2">
            <h2 id="bulk-results" class="text-lg font-semibold">"Results"</h2>
            <p role="status">{format!("{done} of {total} done.")}</p>
            <progress max=total value=done class="w-full max-w-md" aria-label="Done">{format!("{done} of {total}")}</progress>
            <ul class="space-y-1 text-sm">
                {results.into_iter().map(|r| {
                    let who = logins.iter().find(|(id, _)| *id == r.id).map(|(_, l)| l.clone()).unwrap_or(r.id);
                    let (mark, class) = if r.ok {
                        ("Done", "text-green-800 dark:text-green-300")
                    } else {
                        ("Not done", "text-red-700 dark:text-red-300")
                    };
                    view! { <li class=class>{format!("{who} — {mark}: {}", r.message)}</li> }
                }).collect_view()}
            </ul>
        </section>
    }
}

/// The wire name of an operation (as the server function reads it).
fn wire(op: LifecycleOp) -> String {
    serde_json::to_value(op)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The sections of a user page, as `?tab=` values and their names.
const TABS: [(&str, &str); 4] = [
    ("profile", "Profile"),
    ("groups", "Groups"),
    ("apps", "Apps"),
    ("activity", "Activity"),
];

#[component]
pub fn UserPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let tab = move || {
        let t = query.read().get("tab").unwrap_or_default();
        if TABS.iter().any(|(v, _)| *v == t) {
            t
        } else {
            "profile".to_string()
        }
    };
    let act = ServerAction::<UserLifecycle>::new();
    let save = ServerAction::<UpdateProfile>::new();
    let user = Resource::new(
        move || (id(), act.version().get(), save.version().get()),
        |(id, _, _)| get_user(id),
    );
    view! {
        <section class="space-y-6">
            <p><A href="/users" attr:class=LINK>"All users"</A></p>
            <Suspense fallback=|| view! { <p role="status">"Loading the user…"</p> }>
                {move || user.get().map(|result| match result {
                    Ok(user) => view! {
                        <UserView user act />
                        <nav aria-label="User sections" class="flex flex-wrap gap-1 border-b border-slate-300 dark:border-slate-700">
                            {TABS.iter().map(|(value, label)| {
                                let href = format!("/users/{}?tab={value}", id());
                                let current = move || (tab() == *value).then_some("page");
                                view! {
                                    <a href=href aria-current=current
                                        class="rounded-t-md px-3 py-2 hover:bg-slate-100 aria-[current=page]:border-b-2 aria-[current=page]:border-indigo-700 aria-[current=page]:font-semibold dark:hover:bg-slate-800">
                                        {*label}
                                    </a>
                                }
                            }).collect_view()}
                        </nav>
                    }.into_any(),
                    Err(AppError::NotFound) => view! {
                        <h1 class="text-2xl font-bold">"User not found"</h1>
                        <p>"There is no such user in the realms you manage."</p>
                    }.into_any(),
                    Err(e) => error_alert(&e),
                })}
            </Suspense>
            {move || match tab().as_str() {
                "groups" => view! { <UserGroupsTab id=id() /> }.into_any(),
                "apps" => view! { <UserAppsTab id=id() /> }.into_any(),
                "activity" => view! { <UserActivityTab id=id() /> }.into_any(),
                _ => view! { <ProfileTab user save /> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn UserView(user: UserDetail, act: ServerAction<UserLifecycle>) -> impl IntoView {
    let result = act.value();
    let id = user.id.clone();
    view! {
        <div class="space-y-1">
            <h1 class="text-2xl font-bold">{user.name.clone()}</h1>
            <p class="text-slate-700 dark:text-slate-300">{user.login.clone()}</p>
        </div>
        <dl class="grid max-w-xl grid-cols-[auto_1fr] gap-x-6 gap-y-2 text-sm">
            <dt class="font-medium">"Status"</dt><dd data-testid="user-status">{user.status.as_str()}</dd>
            <dt class="font-medium">"Realm"</dt><dd>{user.realm.clone()}</dd>
            <dt class="font-medium">"Email"</dt><dd>{user.email.clone()}</dd>
            <dt class="font-medium">"Created"</dt><dd>{user.created.clone()}</dd>
            <dt class="font-medium">"Last updated"</dt><dd>{user.last_updated.clone()}</dd>
            <dt class="font-medium">"Id"</dt><dd class="font-mono">{user.id.clone()}</dd>
        </dl>
        <section aria-labelledby="actions" class="space-y-3">
            <h2 id="actions" class="text-lg font-semibold">"Actions"</h2>
            <p class="text-sm text-slate-700 dark:text-slate-300">{user.credentials.clone()}</p>
            {move || outcome(result.get())}
            {if user.actions.is_empty() {
                view! { <p>"No actions are available to you for this user now."</p> }.into_any()
            } else {
                view! {
                    <div class="flex flex-wrap gap-2">
                        {user.actions.iter().zip(user.action_labels.iter()).map(|(op, label)| {
                            let op = *op;
                            let shown = label.clone();
                            let id = id.clone();
                            let form = move |label: String| view! {
                                <ActionForm action=act>
                                    <input type="hidden" name="id" value=id.clone() />
                                    <input type="hidden" name="op" value=wire(op) />
                                    <button type="submit" class=SMALL_BUTTON>{label}</button>
                                </ActionForm>
                            };
                            if op.is_destructive() {
                                // A native disclosure: the confirmation works without JavaScript.
                                view! {
                                    <details class="rounded-md border border-red-300 px-3 py-1.5 dark:border-red-800">
                                        <summary class="cursor-pointer">{format!("{shown}…")}</summary>
                                        <p class="my-2 max-w-xs text-sm">
                                            {format!("{shown} cannot simply be undone. Are you sure?")}
                                        </p>
                                        {form(format!("Yes, {}", shown.to_lowercase()))}
                                    </details>
                                }.into_any()
                            } else {
                                form(shown).into_any()
                            }
                        }).collect_view()}
                    </div>
                }.into_any()
            }}
            {(!user.why.is_empty()).then(|| view! {
                <details class="max-w-2xl text-sm">
                    <summary class="cursor-pointer text-indigo-700 underline dark:text-indigo-300">"Why can I do this?"</summary>
                    <ul class="mt-2 space-y-1">
                        {user.why.iter().map(|w| view! {
                            <li><span class="font-medium">{w.action.clone()}</span>" — "
                                <code class="text-xs">{w.permission.clone()}</code>": "{w.reason.clone()}</li>
                        }).collect_view()}
                    </ul>
                </details>
            })}
        </section>
    }
}

/// The profile form: editable attributes as inputs, the others read-only.
#[component]
fn ProfileTab(
    user: Resource<Result<UserDetail, AppError>>,
    save: ServerAction<UpdateProfile>,
) -> impl IntoView {
    view! {
        <Suspense fallback=|| view! { <p role="status">"Loading the profile…"</p> }>
            {move || user.get().and_then(Result::ok).map(|u| view! { <ProfileForm user=u save /> })}
        </Suspense>
    }
}

#[component]
fn ProfileForm(user: UserDetail, save: ServerAction<UpdateProfile>) -> impl IntoView {
    let result = save.value();
    let error = move |field: String| {
        Signal::derive(move || {
            result.with(|v| match v {
                Some(Err(e)) => e.field_message(&field).map(str::to_string),
                _ => None,
            })
        })
    };
    let status = move || {
        result.get().map(|r| match r {
            Err(AppError::Validation { .. }) => view! {
                <p role="alert" class="text-red-700 dark:text-red-300">"Some fields need attention."</p>
            }
            .into_any(),
            other => outcome(Some(other)).into_any(),
        })
    };
    let (editable, fixed): (Vec<ProfileField>, Vec<ProfileField>) =
        user.profile.into_iter().partition(|f| f.editable);
    // After a refusal, the values that were submitted (without JavaScript the
    // form is rendered anew), else the stored ones.
    let kept = move |name: &str, stored: String| -> String {
        result
            .with_untracked(|v| match v {
                Some(Err(e)) => e.kept(name).map(str::to_string),
                _ => None,
            })
            .unwrap_or(stored)
    };
    view! {
        <section aria-labelledby="profile" class="max-w-xl space-y-4">
            <h2 id="profile" class="text-lg font-semibold">"Profile"</h2>
            {move || status()}
            {if editable.is_empty() {
                view! { <p>"Your role does not allow editing this user's profile."</p> }.into_any()
            } else {
                view! {
                    <ActionForm action=save attr:class="space-y-4" attr:novalidate=true>
                        <input type="hidden" name="id" value=user.id.clone() />
                        <input type="hidden" name="version" value=user.version.to_string() />
                        {editable.into_iter().map(|f| {
                            let name = if f.custom { format!("custom[{}]", f.name) } else { format!("profile[{}]", f.name) };
                            if f.kind == "boolean" {
                                let id = format!("f-{}", f.name);
                                let value = f.value.clone();
                                view! {
                                    <div class="space-y-1">
                                        <label for=id.clone() class="block text-sm font-medium">{f.label}</label>
                                        <select id=id name=name class=INPUT>
                                            <option value="" selected=value.is_empty()>"Not set"</option>
                                            <option value="true" selected=value == "true">"Yes"</option>
                                            <option value="false" selected=value == "false">"No"</option>
                                        </select>
                                    </div>
                                }.into_any()
                            } else {
                                let kind: &'static str = match f.kind.as_str() {
                                    "email" => "email",
                                    "tel" => "tel",
                                    "number" => "number",
                                    _ => "text",
                                };
                                let value = kept(&name, f.value);
                                text_field(name, f.label, kind, f.required, value, error(f.name)).into_any()
                            }
                        }).collect_view()}
                        <button type="submit" class=BUTTON>"Save profile"</button>
                    </ActionForm>
                }.into_any()
            }}
            {(!fixed.is_empty()).then(|| view! {
                <div class="space-y-2">
                    <h3 class="font-medium">"Not editable with your role"</h3>
                    <dl class="grid grid-cols-[auto_1fr] gap-x-6 gap-y-1 text-sm">
                        {fixed.into_iter().map(|f| view! {
                            <dt class="font-medium">{f.label}</dt>
                            <dd>{if f.value.is_empty() { "—".to_string() } else { f.value }}</dd>
                        }).collect_view()}
                    </dl>
                </div>
            })}
        </section>
    }
}

#[component]
fn UserGroupsTab(id: String) -> impl IntoView {
    let change = ServerAction::<ChangeMembership>::new();
    let uid = id.clone();
    let groups = Resource::new(
        move || (uid.clone(), change.version().get()),
        |(id, _)| user_groups(id),
    );
    view! {
        <section aria-labelledby="groups" class="max-w-2xl space-y-4">
            <h2 id="groups" class="text-lg font-semibold">"Groups"</h2>
            {move || outcome(change.value().get())}
            <Suspense fallback=|| view! { <p role="status">"Loading groups…"</p> }>
                {move || groups.get().map(|r| match r {
                    Ok(g) => view! { <GroupsList groups=g user_id=id.clone() change /> }.into_any(),
                    Err(e) => error_alert(&e),
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn GroupsList(
    groups: UserGroupList,
    user_id: String,
    change: ServerAction<ChangeMembership>,
) -> impl IntoView {
    let uid = user_id.clone();
    view! {
        {if groups.groups.is_empty() {
            view! { <p>"Not a member of any group you can see."</p> }.into_any()
        } else {
            view! {
                <ul class="divide-y divide-slate-200 dark:divide-slate-800">
                    {groups.groups.into_iter().map(|g| {
                        let user_id = uid.clone();
                        let name = g.name.clone();
                        view! {
                            <li class="flex items-center justify-between gap-3 py-2">
                                <A href=format!("/groups/{}", g.id) attr:class=LINK>{name}</A>
                                {g.manageable.then(|| view! {
                                    <ActionForm action=change>
                                        <input type="hidden" name="group_id" value=g.id.clone() />
                                        <input type="hidden" name="user_id" value=user_id.clone() />
                                        <input type="hidden" name="op" value="remove" />
                                        <button type="submit" class=SMALL_BUTTON aria-label=format!("Remove from {}", g.name)>"Remove"</button>
                                    </ActionForm>
                                })}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
        {(!groups.addable.is_empty()).then(|| view! {
            <ActionForm action=change attr:class="flex flex-wrap items-end gap-3">
                <input type="hidden" name="user_id" value=user_id.clone() />
                <input type="hidden" name="op" value="add" />
                <div class="space-y-1">
                    <label for="add-group" class="block text-sm font-medium">"Add to group"</label>
                    <select id="add-group" name="group_id" class=INPUT>
                        {groups.addable.into_iter().map(|g| view! { <option value=g.id>{g.name}</option> }).collect_view()}
                    </select>
                </div>
                <button type="submit" class=BUTTON>"Add"</button>
            </ActionForm>
        })}
    }
}

#[component]
fn UserAppsTab(id: String) -> impl IntoView {
    let change = ServerAction::<ChangeAssignment>::new();
    let uid = id.clone();
    let apps = Resource::new(
        move || (uid.clone(), change.version().get()),
        |(id, _)| user_apps(id),
    );
    view! {
        <section aria-labelledby="apps" class="max-w-2xl space-y-4">
            <h2 id="apps" class="text-lg font-semibold">"Apps"</h2>
            {move || outcome(change.value().get())}
            <Suspense fallback=|| view! { <p role="status">"Loading apps…"</p> }>
                {move || apps.get().map(|r| match r {
                    Ok(a) => view! { <AppsList apps=a user_id=id.clone() change /> }.into_any(),
                    Err(e) => error_alert(&e),
                })}
            </Suspense>
        </section>
    }
}

/// A provisioned app's account state (Okta's `syncState`), with the
/// target's message for an error.
fn sync_cell(sync: Option<crate::views::apps::SyncView>) -> AnyView {
    match sync {
        None => view! { <span class="text-slate-600 dark:text-slate-400">"Not provisioned"</span> }
            .into_any(),
        Some(s) => {
            let text = match (s.state.as_str(), s.active) {
                ("SYNCHRONIZED", true) => "SYNCHRONIZED".to_string(),
                ("SYNCHRONIZED", false) => "SYNCHRONIZED (deactivated in the app)".to_string(),
                (state, _) => state.to_string(),
            };
            view! {
                <span>{text}</span>
                {s.message.map(|m| view! { <span class="block text-red-700 dark:text-red-300">{m}</span> })}
            }
            .into_any()
        }
    }
}

#[component]
fn AppsList(
    apps: UserAppList,
    user_id: String,
    change: ServerAction<ChangeAssignment>,
) -> impl IntoView {
    let uid = user_id.clone();
    view! {
        {if apps.apps.is_empty() {
            view! { <p>"No apps you can see are assigned."</p> }.into_any()
        } else {
            view! {
                <div class="overflow-x-auto"><table class="w-full border-collapse text-left text-sm">
                    <caption class="sr-only">"Apps of this user"</caption>
                    <thead>
                        <tr class="border-b border-slate-300 dark:border-slate-700">
                            <th scope="col" class="py-2 pr-4">"App"</th>
                            <th scope="col" class="py-2 pr-4">"Assigned"</th>
                            <th scope="col" class="py-2 pr-4">"Account in the app"</th>
                            <th scope="col" class="py-2 pr-4"><span class="sr-only">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        {apps.apps.into_iter().map(|a| {
                            let mut how = Vec::new();
                            if a.direct { how.push("Directly".to_string()); }
                            how.extend(a.via.iter().map(|g| format!("Through {g}")));
                            if a.hidden_groups { how.push("Through a group outside your scope".to_string()); }
                            let user_id = uid.clone();
                            let label = a.label.clone();
                            view! {
                                <tr class="border-b border-slate-200 dark:border-slate-800">
                                    <td class="py-2 pr-4"><A href=format!("/apps/{}", a.id) attr:class=LINK>{label}</A></td>
                                    <td class="py-2 pr-4">{how.join("; ")}</td>
                                    <td class="py-2 pr-4">{sync_cell(a.sync.clone())}</td>
                                    <td class="py-2 pr-4">
                                        {a.removable.then(|| view! {
                                            <ActionForm action=change>
                                                <input type="hidden" name="app_id" value=a.id.clone() />
                                                <input type="hidden" name="user_id" value=user_id.clone() />
                                                <input type="hidden" name="op" value="unassign" />
                                                <button type="submit" class=SMALL_BUTTON aria-label=format!("Unassign {}", a.label)>"Unassign"</button>
                                            </ActionForm>
                                        })}
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table></div>
            }.into_any()
        }}
        {(!apps.assignable.is_empty()).then(|| view! {
            <ActionForm action=change attr:class="flex flex-wrap items-end gap-3">
                <input type="hidden" name="user_id" value=user_id.clone() />
                <input type="hidden" name="op" value="assign" />
                <div class="space-y-1">
                    <label for="assign-app" class="block text-sm font-medium">"Assign app"</label>
                    <select id="assign-app" name="app_id" class=INPUT>
                        {apps.assignable.into_iter().map(|a| view! { <option value=a.id>{a.label}</option> }).collect_view()}
                    </select>
                </div>
                <button type="submit" class=BUTTON>"Assign"</button>
            </ActionForm>
        })}
    }
}

#[component]
fn UserActivityTab(id: String) -> impl IntoView {
    let query = use_query_map();
    let before = move || query.read().get("before").unwrap_or_default();
    let uid = id.clone();
    let page = Resource::new(
        move || (uid.clone(), before()),
        |(id, before)| list_activity(None, None, Some(id), None, None, Some(before)),
    );
    view! {
        <section aria-labelledby="user-activity" class="space-y-4">
            <h2 id="user-activity" class="text-lg font-semibold">"Activity"</h2>
            <Suspense fallback=|| view! { <p role="status">"Loading activity…"</p> }>
                {move || page.get().map(|r| match r {
                    Ok(page) => view! {
                        <LogTable page path=format!("/users/{id}") filters=vec![("tab", "activity".to_string())] />
                    }.into_any(),
                    Err(e) => error_alert(&e),
                })}
            </Suspense>
        </section>
    }
}

/// A labelled input with its field-level error.
fn text_field(
    name: String,
    label: String,
    kind: &'static str,
    required: bool,
    value: String,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let id = format!("f-{}", name.replace(['[', ']'], "-"));
    let error_id = format!("{id}-error");
    let described = error_id.clone();
    view! {
        <div class="space-y-1">
            <label for=id.clone() class="block text-sm font-medium">
                {label}
                {required.then(|| view! { <span aria-hidden="true">" *"</span> })}
            </label>
            <input
                id=id
                name=name
                type=kind
                value=value
                required=required
                class=INPUT
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=move || error.get().map(|_| described.clone())
            />
            {move || error.get().map(|m| view! {
                <p id=error_id.clone() class="text-sm text-red-700 dark:text-red-300">{m}</p>
            })}
        </div>
    }
}

#[component]
pub fn CreateUserPage() -> impl IntoView {
    let form = Resource::new(|| (), |_| create_user_form());
    let create = ServerAction::<CreateUser>::new();
    view! {
        <section class="max-w-xl space-y-6">
            <p><A href="/users" attr:class=LINK>"All users"</A></p>
            <h1 class="text-2xl font-bold">"Create user"</h1>
            <Suspense fallback=|| view! { <p role="status">"Loading the form…"</p> }>
                {move || form.get().map(|result| match result {
                    Ok(form) => view! { <CreateUserFields form create /> }.into_any(),
                    Err(e) => error_alert(&e),
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn CreateUserFields(form: NewUserForm, create: ServerAction<CreateUser>) -> impl IntoView {
    let result = create.value();
    let error = move |field: String| {
        Signal::derive(move || {
            result.with(|v| match v {
                Some(Err(e)) => e.field_message(&field).map(str::to_string),
                _ => None,
            })
        })
    };
    let general = move || {
        result.with(|v| match v {
            Some(Err(AppError::Validation { .. })) | None | Some(Ok(_)) => None,
            Some(Err(e)) => Some(e.to_string()),
        })
    };
    let invalid = move || matches!(result.get(), Some(Err(AppError::Validation { .. })));
    // Without JavaScript the form is rendered anew after a refusal: with what
    // the refusal kept of it.
    let kept = move |name: &str| -> String {
        result.with_untracked(|v| match v {
            Some(Err(e)) => e.kept(name).unwrap_or_default().to_string(),
            _ => String::new(),
        })
    };
    let realm_error = error("realmId".into());
    if form.realms.is_empty() {
        return view! { <p>"You may not create users in any realm."</p> }.into_any();
    }
    let base = [
        ("login", "login", "Username", "text"),
        ("email", "email", "Email", "email"),
        ("first_name", "firstName", "First name", "text"),
        ("last_name", "lastName", "Last name", "text"),
    ];
    view! {
        <ActionForm action=create attr:class="space-y-4" attr:novalidate=true>
            {move || invalid().then(|| view! {
                <p role="alert" class="text-red-700 dark:text-red-300">"Some fields need attention."</p>
            })}
            {move || general().map(|m| view! { <p role="alert" class="text-red-700 dark:text-red-300">{m}</p> })}
            <div class="space-y-1">
                <label for="f-realm" class="block text-sm font-medium">"Realm"</label>
                <select id="f-realm" name="realm_id" class=INPUT>
                    {form.realms.into_iter().map(|(id, name)| {
                        let selected = kept("realm_id") == id;
                        view! { <option value=id selected=selected>{name}</option> }
                    }).collect_view()}
                </select>
                {move || realm_error.get().map(|m| view! { <p class="text-sm text-red-700 dark:text-red-300">{m}</p> })}
            </div>
            {base.into_iter().map(|(name, field, label, kind)| {
                text_field(name.into(), label.into(), kind, true, kept(name), error(field.into()))
            }).collect_view()}
            {text_field("mobile_phone".into(), "Mobile phone".into(), "tel", false, kept("mobile_phone"), error("mobilePhone".into()))}
            {form.attributes.into_iter().map(|a| {
                let name = format!("custom[{}]", a.name);
                if a.attr_type == "boolean" {
                    let id = format!("f-custom-{}", a.name);
                    view! {
                        <div class="flex items-center gap-2">
                            <input id=id.clone() name=name type="checkbox" value="true" />
                            <label for=id class="text-sm font-medium">{a.title}</label>
                        </div>
                    }.into_any()
                } else {
                    let kind = if a.attr_type == "string" { "text" } else { "number" };
                    let value = kept(&name);
                    text_field(name, a.title, kind, a.required, value, error(a.name)).into_any()
                }
            }).collect_view()}
            {(!form.groups.is_empty()).then(|| view! {
                <fieldset class="space-y-1">
                    <legend class="text-sm font-medium">"Groups to join"</legend>
                    {form.groups.into_iter().enumerate().map(|(i, (id, name))| {
                        let input_id = format!("f-group-{id}");
                        view! {
                            <div class="flex items-center gap-2">
                                <input id=input_id.clone() name=format!("groups[{i}]") type="checkbox" value=id />
                                <label for=input_id class="text-sm">{name}</label>
                            </div>
                        }
                    }).collect_view()}
                </fieldset>
            })}
            <div class="flex items-center gap-2">
                <input id="f-activate" name="activate" type="checkbox" value="true" checked=true />
                <label for="f-activate" class="text-sm font-medium">"Activate now (otherwise staged)"</label>
            </div>
            <button type="submit" class=BUTTON>"Create user"</button>
        </ActionForm>
    }
    .into_any()
}
