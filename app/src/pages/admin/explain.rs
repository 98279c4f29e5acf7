//! `/admin/explain`: pick an admin and see everything it can do and why; add an
//! action and a target to see the decision and the binding that made it. A
//! plain GET form: the address holds the question.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::AdminNav;
use crate::components::ui::{error_alert, select_field, text_field, BUTTON, INPUT};
use crate::error::AppError;
use crate::serverfns::admin::{explain_access, explain_permissions, ExplainView};

#[component]
pub fn ExplainPage() -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &'static str| move || query.read().get(k).unwrap_or_default();
    let (login, permission, kind, target) =
        (get("login"), get("permission"), get("kind"), get("target"));
    let permissions = Resource::new(|| (), |_| explain_permissions());
    let answer = Resource::new(
        move || (login(), permission(), kind(), target()),
        |(login, permission, kind, target)| async move {
            if login.trim().is_empty() {
                None
            } else {
                Some(explain_access(login, Some(permission), Some(kind), Some(target)).await)
            }
        },
    );
    view! {
        <AdminNav />
        <section class="space-y-6">
            <h1 class="text-2xl font-bold">"Explain access"</h1>
            <Suspense fallback=|| view! { <p role="status">"Loading…"</p> }>
                {move || {
                    let permissions = permissions.get()?;
                    let answer = answer.get()?;
                    let error = answer.as_ref().and_then(|a| a.as_ref().err().cloned());
                    Some(match permissions {
                        Err(e) => error_alert(&e),
                        Ok(list) => view! {
                            <ExplainForm permissions=list login=login() permission=permission() kind=kind() target=target() error=error.clone() />
                            {match answer {
                                Some(Ok(view)) => view! { <Answer view /> }.into_any(),
                                Some(Err(e)) if !matches!(e, AppError::Validation { .. }) => error_alert(&e),
                                _ => ().into_any(),
                            }}
                        }.into_any(),
                    })
                }}
            </Suspense>
        </section>
    }
}

#[component]
fn ExplainForm(
    permissions: Vec<(String, String)>,
    login: String,
    permission: String,
    kind: String,
    target: String,
    error: Option<AppError>,
) -> impl IntoView {
    let error = StoredValue::new(error);
    let field = move |name: &'static str| {
        move || {
            error.with_value(|e| {
                e.as_ref()
                    .and_then(|e| e.field_message(name).map(str::to_string))
            })
        }
    };
    let kinds = vec![
        ("user".to_string(), "User (username)".to_string()),
        ("group".to_string(), "Group (id)".to_string()),
        ("app".to_string(), "App (id)".to_string()),
        ("realm".to_string(), "Realm (id)".to_string()),
        (
            "org".to_string(),
            "The org (realm settings, rules, roles)".to_string(),
        ),
    ];
    view! {
        <form method="get" action="/admin/explain" class="space-y-4" novalidate>
            {text_field("explain-login", "login", "Admin (username)", login, None, field("login"))}
            <fieldset class="space-y-3">
                <legend class="text-sm font-medium">"Optional: may this admin do one thing?"</legend>
                {select_field("explain-permission", "permission", "Action (permission)", "Any — list everything", permissions, permission)}
                {move || field("permission")().map(|m| view! { <p class="text-sm text-red-700 dark:text-red-300">{m}</p> })}
                <div class="space-y-1">
                    <label for="explain-kind" class="block text-sm font-medium">"On what"</label>
                    <select id="explain-kind" name="kind" class=INPUT>
                        {kinds.into_iter().map(|(value, text)| {
                            let selected = value == kind;
                            view! { <option value=value selected=selected>{text}</option> }
                        }).collect_view()}
                    </select>
                    {move || field("kind")().map(|m| view! { <p class="text-sm text-red-700 dark:text-red-300">{m}</p> })}
                </div>
                {text_field("explain-target", "target", "Target (username or id)", target, None, field("target"))}
            </fieldset>
            <button type="submit" class=BUTTON>"Explain"</button>
        </form>
    }
}

#[component]
fn Answer(view: ExplainView) -> impl IntoView {
    view! {
        {view.decision.map(|d| {
            let (class, verdict) = if d.allowed {
                ("border-green-300 bg-green-50 text-green-900 dark:border-green-800 dark:bg-green-950 dark:text-green-100", "Allowed")
            } else {
                ("border-red-300 bg-red-50 text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100", "Denied")
            };
            view! {
                <section aria-labelledby="decision" class=format!("space-y-1 rounded-lg border p-4 {class}")>
                    <h2 id="decision" class="text-lg font-semibold">{format!("{verdict}: {} on {}", d.permission, d.target)}</h2>
                    <p>{d.reason}</p>
                </section>
            }
        })}
        <section aria-labelledby="rights" class="space-y-3">
            <h2 id="rights" class="text-lg font-semibold">{format!("Everything {} can do", view.admin)}</h2>
            {if view.rights.is_empty() {
                view! { <p>"No admin role or binding: this user is not an admin."</p> }.into_any()
            } else {
                view.rights.into_iter().map(|r| view! {
                    <article class="space-y-1 rounded-lg border border-slate-200 p-3 dark:border-slate-800">
                        <h3 class="font-medium">{r.source}</h3>
                        <p class="text-sm">"On: " {match r.resources {
                            None => "everything in the org".to_string(),
                            Some(rs) if rs.is_empty() => "nothing (the resource set is empty)".to_string(),
                            Some(rs) => rs.join(", "),
                        }}</p>
                        <ul class="flex flex-wrap gap-1 text-xs">
                            {r.permissions.into_iter().map(|p| view! {
                                <li class="rounded bg-slate-100 px-2 py-0.5 font-mono dark:bg-slate-800">{p}</li>
                            }).collect_view()}
                        </ul>
                    </article>
                }).collect_view().into_any()
            }}
        </section>
    }
}
