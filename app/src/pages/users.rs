//! The users of the admin's realms: a searchable, filterable, paged table, and a
//! page per user with the lifecycle actions the admin may take. Plain GET forms
//! and `ActionForm`s, so both work without JavaScript.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::error::AppError;
use crate::model::{LifecycleOp, UserStatus};
use crate::serverfns::users::{
    create_user_form, get_user, list_users, CreateUser, NewUserForm, UserDetail, UserLifecycle,
    UsersPage,
};

/// `key=value&…`, percent-encoded, empty values left out.
fn query_string(pairs: &[(&str, String)]) -> String {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| {
            format!(
                "{k}={}",
                percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

const INPUT: &str = "block rounded-md border border-slate-400 bg-white px-3 py-2 text-slate-900 dark:bg-slate-900 dark:text-slate-100";
const BUTTON: &str =
    "rounded-md bg-indigo-700 px-4 py-2 font-medium text-white hover:bg-indigo-800";

#[component]
pub fn UsersPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |name: &str| query.read().get(name).unwrap_or_default();
    let page = Resource::new(
        move || (param("q"), param("status"), param("after")),
        |(q, status, after)| list_users(Some(q), Some(status), Some(after)),
    );
    view! {
        <section class="space-y-6">
            <div class="flex flex-wrap items-center justify-between gap-3">
                <h1 class="text-2xl font-bold">"Users"</h1>
                <A href="/users/new" attr:class=BUTTON>"Create user"</A>
            </div>
            <form method="get" action="/users" role="search" aria-label="Users" class="flex flex-wrap items-end gap-3">
                <div class="space-y-1">
                    <label for="q" class="block text-sm font-medium">"Search"</label>
                    <input id="q" name="q" type="search" class=INPUT prop:value=move || param("q")
                        placeholder="Name, username or email" />
                </div>
                <div class="space-y-1">
                    <label for="status" class="block text-sm font-medium">"Status"</label>
                    <select id="status" name="status" class=INPUT>
                        <option value="" selected=move || param("status").is_empty()>"Any status"</option>
                        {UserStatus::ALL.iter().map(|s| {
                            let value = s.as_str();
                            view! {
                                <option value=value selected=move || param("status") == value>{value}</option>
                            }
                        }).collect_view()}
                    </select>
                </div>
                <button type="submit" class=BUTTON>"Apply"</button>
            </form>
            <Suspense fallback=|| view! { <p role="status">"Loading users…"</p> }>
                {move || page.get().map(|result| match result {
                    Ok(page) => view! { <UsersTable page q=param("q") status=param("status") /> }.into_any(),
                    Err(e) => view! { <p role="alert" class="text-red-700 dark:text-red-300">{e.to_string()}</p> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn UsersTable(page: UsersPage, q: String, status: String) -> impl IntoView {
    if page.rows.is_empty() {
        return view! { <p>"No users match."</p> }.into_any();
    }
    let next = page.next.map(|after| {
        format!(
            "/users?{}",
            query_string(&[("q", q), ("status", status), ("after", after)])
        )
    });
    view! {
        <table class="w-full border-collapse text-left text-sm">
            <caption class="sr-only">"Users in your realms"</caption>
            <thead>
                <tr class="border-b border-slate-300 dark:border-slate-700">
                    <th scope="col" class="py-2 pr-4">"Name"</th>
                    <th scope="col" class="py-2 pr-4">"Username"</th>
                    <th scope="col" class="py-2 pr-4">"Realm"</th>
                    <th scope="col" class="py-2 pr-4">"Status"</th>
                </tr>
            </thead>
            <tbody>
                {page.rows.into_iter().map(|row| view! {
                    <tr class="border-b border-slate-200 dark:border-slate-800">
                        <td class="py-2 pr-4">
                            <A href=format!("/users/{}", row.id) attr:class="text-indigo-700 underline dark:text-indigo-300">{row.name}</A>
                        </td>
                        <td class="py-2 pr-4">{row.login}</td>
                        <td class="py-2 pr-4">{row.realm}</td>
                        <td class="py-2 pr-4">{row.status.as_str()}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        {next.map(|href| view! {
            <p><a href=href class="text-indigo-700 underline dark:text-indigo-300">"Next page"</a></p>
        })}
    }
    .into_any()
}

/// The wire name of an operation (as the server function reads it).
fn wire(op: LifecycleOp) -> String {
    serde_json::to_value(op)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

#[component]
pub fn UserPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let act = ServerAction::<UserLifecycle>::new();
    let user = Resource::new(move || (id(), act.version().get()), |(id, _)| get_user(id));
    view! {
        <section class="space-y-6">
            <p><A href="/users" attr:class="text-indigo-700 underline dark:text-indigo-300">"All users"</A></p>
            <Suspense fallback=|| view! { <p role="status">"Loading the user…"</p> }>
                {move || user.get().map(|result| match result {
                    Ok(user) => view! { <UserView user act /> }.into_any(),
                    Err(AppError::NotFound) => view! {
                        <h1 class="text-2xl font-bold">"User not found"</h1>
                        <p>"There is no such user in the realms you manage."</p>
                    }.into_any(),
                    Err(e) => view! { <p role="alert" class="text-red-700 dark:text-red-300">{e.to_string()}</p> }.into_any(),
                })}
            </Suspense>
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
        </dl>
        <section aria-labelledby="actions" class="space-y-3">
            <h2 id="actions" class="text-lg font-semibold">"Actions"</h2>
            {move || result.get().map(|r| match r {
                Ok(message) => view! { <p role="status" class="text-green-800 dark:text-green-300">{message}</p> }.into_any(),
                Err(e) => view! { <p role="alert" class="text-red-700 dark:text-red-300">{e.to_string()}</p> }.into_any(),
            })}
            {if user.actions.is_empty() {
                view! { <p>"No actions are available to you for this user now."</p> }.into_any()
            } else {
                view! {
                    <div class="flex flex-wrap gap-2">
                        {user.actions.iter().map(|op| {
                            let op = *op;
                            let id = id.clone();
                            let form = move |label: String| view! {
                                <ActionForm action=act>
                                    <input type="hidden" name="id" value=id.clone() />
                                    <input type="hidden" name="op" value=wire(op) />
                                    <button type="submit" class="rounded-md border border-slate-400 px-3 py-1.5 hover:bg-slate-100 dark:hover:bg-slate-800">
                                        {label}
                                    </button>
                                </ActionForm>
                            };
                            if op.is_destructive() {
                                // A native disclosure: the confirmation works without JavaScript.
                                view! {
                                    <details class="rounded-md border border-red-300 px-3 py-1.5 dark:border-red-800">
                                        <summary class="cursor-pointer">{format!("{}…", op.label())}</summary>
                                        <p class="my-2 max-w-xs text-sm">
                                            {format!("{} cannot simply be undone. Are you sure?", op.label())}
                                        </p>
                                        {form(format!("Yes, {}", op.label().to_lowercase()))}
                                    </details>
                                }.into_any()
                            } else {
                                form(op.label().to_string()).into_any()
                            }
                        }).collect_view()}
                    </div>
                }.into_any()
            }}
        </section>
    }
}

/// A labelled input with its field-level error.
fn text_field(
    name: String,
    label: String,
    kind: &'static str,
    required: bool,
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
            <p><A href="/users" attr:class="text-indigo-700 underline dark:text-indigo-300">"All users"</A></p>
            <h1 class="text-2xl font-bold">"Create user"</h1>
            <Suspense fallback=|| view! { <p role="status">"Loading the form…"</p> }>
                {move || form.get().map(|result| match result {
                    Ok(form) => view! { <CreateUserFields form create /> }.into_any(),
                    Err(e) => view! { <p role="alert" class="text-red-700 dark:text-red-300">{e.to_string()}</p> }.into_any(),
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
                    {form.realms.into_iter().map(|(id, name)| view! { <option value=id>{name}</option> }).collect_view()}
                </select>
                {move || realm_error.get().map(|m| view! { <p class="text-sm text-red-700 dark:text-red-300">{m}</p> })}
            </div>
            {base.into_iter().map(|(name, field, label, kind)| {
                text_field(name.into(), label.into(), kind, true, error(field.into()))
            }).collect_view()}
            {text_field("mobile_phone".into(), "Mobile phone".into(), "tel", false, error("mobilePhone".into()))}
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
                    text_field(name, a.title, kind, a.required, error(a.name)).into_any()
                }
            }).collect_view()}
            <div class="flex items-center gap-2">
                <input id="f-activate" name="activate" type="checkbox" value="true" checked=true />
                <label for="f-activate" class="text-sm font-medium">"Activate now (otherwise staged)"</label>
            </div>
            <button type="submit" class=BUTTON>"Create user"</button>
        </ActionForm>
    }
    .into_any()
}
