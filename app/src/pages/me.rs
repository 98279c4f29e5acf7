use leptos::prelude::*;
use leptos_meta::Title;

use crate::error::AppError;
use crate::serverfns::me::{my_account, AccountView};

/// The end user's page: its apps, direct or through a group.
#[component]
pub fn MePage() -> impl IntoView {
    let account = Resource::new(|| (), |_| my_account());
    view! {
        <Title text="My apps" />
        <section class="space-y-6">
            <Suspense fallback=|| view! { <p role="status">"Loading your apps…"</p> }>
                {move || account.get().map(|result| match result {
                    Ok(account) => view! { <Account account /> }.into_any(),
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
                    {account.apps.into_iter().map(|app| view! {
                        <li class="rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900">
                            <h2 class="font-semibold">{app.label}</h2>
                            <p class="text-sm text-slate-700 dark:text-slate-300">{app.via.join(" · ")}</p>
                        </li>
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
    }
}
