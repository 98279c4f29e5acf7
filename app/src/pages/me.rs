use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::ui::{
    error_alert, field_error, outcome_besides_fields, BUTTON, INPUT, SMALL_BUTTON,
};
use crate::error::AppError;
use crate::serverfns::me::{
    load_my_security, my_account, AccountView, ChangeMyPassword, EndMySession, MySecurity,
};

/// The end user's page: its apps, direct or through a group.
#[component]
pub fn MePage() -> impl IntoView {
    let account = Resource::new(|| (), |_| my_account());
    view! {
        <Title text="My apps" />
        <section class="space-y-6">
            <Suspense fallback=|| view! { <p role="status">"Loading your apps…"</p> }>
                {move || account.get().map(|result| match result {
                    Ok(account) => view! { <Account account /> <Security /> }.into_any(),
                    Err(AppError::Unauthenticated) => view! {
                        <h1 class="text-2xl font-bold">"My apps"</h1>
                        <p>"Sign in to see your apps. " <a class="text-indigo-700 underline dark:text-indigo-300" href="/login">"Sign in"</a></p>
                    }.into_any(),
                    Err(e) => view! { <p role="alert" class="text-red-700 dark:text-red-300">{e.to_string()}</p> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Account(account: AccountView) -> impl IntoView {
    let empty = account.apps.is_empty();
    view! {
        <div class="space-y-1">
            <h1 class="text-2xl font-bold">"My apps"</h1>
            <p class="text-slate-700 dark:text-slate-300">
                {format!("{} · {} · realm {}", account.display_name, account.login, account.realm)}
            </p>
        </div>
        {if empty {
            view! { <p>"No apps are assigned to you yet. Your administrator assigns them."</p> }.into_any()
        } else {
            view! {
                <ul class="grid gap-4 sm:grid-cols-2 lg:grid-cols-3" aria-label="Your apps">
                    {account.apps.into_iter().map(|app| {
                        // A tile that starts the app is a plain link: a full
                        // navigation, with or without JavaScript.
                        let title = match app.href {
                            Some(href) => view! {
                                <a href=href rel="external" class="font-semibold text-indigo-700 underline hover:text-indigo-900 dark:text-indigo-300">
                                    {format!("Open {}", app.label)}
                                </a>
                            }.into_any(),
                            None => view! { <span class="font-semibold">{app.label}</span> }.into_any(),
                        };
                        view! {
                            <li class="rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900">
                                <h2>{title}</h2>
                                <p class="text-sm text-slate-700 dark:text-slate-300">{app.via.join(" · ")}</p>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
    }
}

/// Password, authenticators and sessions: what the user manages itself.
#[component]
fn Security() -> impl IntoView {
    let change = ServerAction::<ChangeMyPassword>::new();
    let end = ServerAction::<EndMySession>::new();
    let security = Resource::new(
        move || (change.version().get(), end.version().get()),
        |_| load_my_security(),
    );
    view! {
        <Suspense fallback=|| view! { <p role="status">"Loading your sign-in settings…"</p> }>
            {move || security.get().map(|r| match r {
                Ok(security) => view! { <SecurityView security change end /> }.into_any(),
                Err(e) => error_alert(&e),
            })}
        </Suspense>
    }
}

#[component]
fn SecurityView(
    security: MySecurity,
    change: ServerAction<ChangeMyPassword>,
    end: ServerAction<EndMySession>,
) -> impl IntoView {
    let password_field = move |id: &'static str,
                               name: &'static str,
                               label: &'static str,
                               autocomplete: &'static str,
                               field: &'static str| {
        let error_id = format!("{id}-error");
        let described = error_id.clone();
        view! {
            <div class="space-y-1">
                <label for=id class="block text-sm font-medium">{label}</label>
                <input id=id name=name type="password" autocomplete=autocomplete class=format!("{INPUT} w-full max-w-md")
                    aria-invalid=move || field_error(change, field).is_some().to_string()
                    aria-describedby=move || field_error(change, field).map(|_| described.clone()) />
                {move || field_error(change, field).map(|m| view! { <p id=error_id.clone() class="text-sm text-red-700 dark:text-red-300">{m}</p> })}
            </div>
        }
    };
    view! {
        <section aria-labelledby="sign-in-settings" class="space-y-6">
            <h2 id="sign-in-settings" class="text-xl font-semibold">"Sign-in"</h2>
            <p class="text-slate-700 dark:text-slate-300">{security.credentials.clone()}</p>
            {security.has_password.then(|| view! {
                <section aria-labelledby="password" class="space-y-3">
                    <h3 id="password" class="text-lg font-semibold">"Password"</h3>
                    {move || outcome_besides_fields(change.value().get())}
                    <ActionForm action=change attr:class="space-y-3" attr:novalidate=true>
                        {password_field("current-password", "current", "Current password", "current-password", "current")}
                        {password_field("new-password", "password", "New password", "new-password", "password")}
                        {password_field("repeat-password", "repeat", "Repeat the new password", "new-password", "repeat")}
                        <button type="submit" class=BUTTON>"Change password"</button>
                    </ActionForm>
                </section>
                <section aria-labelledby="authenticators" class="space-y-2">
                    <h3 id="authenticators" class="text-lg font-semibold">"Authenticators"</h3>
                    <p>{format!("{} enrolled (authenticator apps, passkeys, security keys).", security.authenticators)}</p>
                    <p><a class="text-indigo-700 underline dark:text-indigo-300" href="/me/authenticators" rel="external">"Manage authenticators"</a></p>
                </section>
            })}
            <section aria-labelledby="sessions" class="space-y-3">
                <h3 id="sessions" class="text-lg font-semibold">"Sessions"</h3>
                {move || outcome_besides_fields(end.value().get())}
                <table class="w-full max-w-2xl text-left text-sm">
                    <caption class="sr-only">"Your sessions"</caption>
                    <thead><tr>
                        <th scope="col" class="py-1">"Signed in"</th>
                        <th scope="col">"Expires"</th>
                        <th scope="col"><span class="sr-only">"Actions"</span></th>
                    </tr></thead>
                    <tbody>
                        {security.sessions.into_iter().map(|s| view! {
                            <tr class="border-t border-slate-200 dark:border-slate-800">
                                <td class="py-1">{s.signed_in.clone()}</td>
                                <td>{s.expires.clone()}</td>
                                <td>{if s.current {
                                    view! { <span>"This session"</span> }.into_any()
                                } else {
                                    view! {
                                        <ActionForm action=end>
                                            <input type="hidden" name="handle" value=s.handle.clone() />
                                            <button type="submit" class=SMALL_BUTTON>"End session"</button>
                                        </ActionForm>
                                    }.into_any()
                                }}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </section>
        </section>
    }
}
