//! `/apps`: the apps the admin may see; `/apps/{id}`: an app with its direct
//! assignees *within the admin's realms*, assign by username and unassign.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::groups::{username_field, LinkRow, LinkTable, MemberTable};
use crate::components::ui::{error_alert, outcome, BUTTON, LINK, SMALL_BUTTON};
use crate::error::AppError;
use crate::serverfns::apps::{get_app, list_apps, AppDetail, ChangeAssignment};

#[component]
pub fn AppsPage() -> impl IntoView {
    let apps = Resource::new(|| (), |_| list_apps());
    view! {
        <section class="space-y-6">
            <h1 class="text-2xl font-bold">"Apps"</h1>
            <Suspense fallback=|| view! { <p role="status">"Loading apps…"</p> }>
                {move || apps.get().map(|r| match r {
                    Ok(apps) if apps.is_empty() => view! { <p>"You cannot see any app."</p> }.into_any(),
                    Ok(apps) => view! {
                        <LinkTable caption="Apps you can see" headers=["App", "Sign-on", "You can"]
                            rows=apps.into_iter().map(|a| LinkRow {
                                href: format!("/apps/{}", a.id),
                                name: a.label,
                                detail: a.sign_on_mode,
                                access: if a.manageable { "View and assign" } else { "View" },
                            }).collect() />
                    }.into_any(),
                    Err(e) => error_alert(&e),
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn AppPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let after = move || query.read().get("after").unwrap_or_default();
    let change = ServerAction::<ChangeAssignment>::new();
    let app = Resource::new(
        move || (id(), after(), change.version().get()),
        |(id, after, _)| get_app(id, Some(after)),
    );
    view! {
        <section class="space-y-6">
            <p><A href="/apps" attr:class=LINK>"All apps"</A></p>
            <Suspense fallback=|| view! { <p role="status">"Loading the app…"</p> }>
                {move || app.get().map(|r| match r {
                    Ok(a) => view! { <AppView app=a change /> }.into_any(),
                    Err(AppError::NotFound) => view! {
                        <h1 class="text-2xl font-bold">"App not found"</h1>
                        <p>"There is no such app among those you can see."</p>
                    }.into_any(),
                    Err(e) => error_alert(&e),
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn AppView(app: AppDetail, change: ServerAction<ChangeAssignment>) -> impl IntoView {
    let aid = app.id.clone();
    let path = format!("/apps/{}", app.id);
    let manage = app.can_manage;
    let unassign = move |user_id: String, login: String| {
        let aid = aid.clone();
        manage.then(|| {
            view! {
                <ActionForm action=change>
                    <input type="hidden" name="app_id" value=aid />
                    <input type="hidden" name="user_id" value=user_id />
                    <input type="hidden" name="op" value="unassign" />
                    <button type="submit" class=SMALL_BUTTON aria-label=format!("Unassign {login}")>"Unassign"</button>
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
            <h1 class="text-2xl font-bold">{app.label.clone()}</h1>
            <p class="text-slate-700 dark:text-slate-300">{format!("Sign-on: {}", app.sign_on_mode)}</p>
        </div>
        {move || outcome(change.value().get().filter(|r| !matches!(r, Err(AppError::Validation { .. }))))}
        {manage.then(|| view! {
            <ActionForm action=change attr:class="flex flex-wrap items-end gap-3" attr:novalidate=true>
                <input type="hidden" name="app_id" value=app.id.clone() />
                <input type="hidden" name="op" value="assign" />
                {username_field("assignee-login", "Assign to username", error)}
                <button type="submit" class=BUTTON>"Assign"</button>
            </ActionForm>
        })}
        <h2 class="text-lg font-semibold">"Assigned directly"</h2>
        <MemberTable page=app.assignees caption="Direct assignees in your realms" path action=unassign />
    }
}
