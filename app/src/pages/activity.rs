//! `/activity`: the System Log within the admin's scope, newest first, with an
//! event-type filter (a plain GET form) and "Older events" paging.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::error::AppError;
use crate::serverfns::activity::{list_activity, LogPage};

#[component]
pub fn ActivityPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |name: &str| query.read().get(name).unwrap_or_default();
    let page = Resource::new(
        move || (param("type"), param("before")),
        |(event_type, before)| list_activity(Some(event_type), Some(before)),
    );
    view! {
        <section class="space-y-6">
            <h1 class="text-2xl font-bold">"Activity"</h1>
            <form method="get" action="/activity" role="search" aria-label="Activity" class="flex flex-wrap items-end gap-3">
                <div class="space-y-1">
                    <label for="type" class="block text-sm font-medium">"Event type"</label>
                    <input id="type" name="type" type="search" prop:value=move || param("type")
                        placeholder="user.lifecycle."
                        class="block rounded-md border border-slate-400 bg-white px-3 py-2 text-slate-900 dark:bg-slate-900 dark:text-slate-100" />
                </div>
                <button type="submit" class="rounded-md bg-indigo-700 px-4 py-2 font-medium text-white hover:bg-indigo-800">"Apply"</button>
            </form>
            <Suspense fallback=|| view! { <p role="status">"Loading activity…"</p> }>
                {move || page.get().map(|result| match result {
                    Ok(page) => view! { <LogTable page event_type=param("type") /> }.into_any(),
                    Err(e @ AppError::Validation { .. }) => view! {
                        <p role="alert" class="text-red-700 dark:text-red-300">
                            {e.field_message("eventType").unwrap_or_default().to_string()}
                        </p>
                    }.into_any(),
                    Err(e) => view! { <p role="alert" class="text-red-700 dark:text-red-300">{e.to_string()}</p> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn LogTable(page: LogPage, event_type: String) -> impl IntoView {
    if page.rows.is_empty() {
        return view! { <p>"No events match."</p> }.into_any();
    }
    let older = page.older.map(|before| {
        let enc = |v: &str| {
            percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC).to_string()
        };
        format!(
            "/activity?type={}&before={}",
            enc(&event_type),
            enc(&before)
        )
    });
    view! {
        <table class="w-full border-collapse text-left text-sm">
            <caption class="sr-only">"Events in your realms, newest first"</caption>
            <thead>
                <tr class="border-b border-slate-300 dark:border-slate-700">
                    <th scope="col" class="py-2 pr-4">"When"</th>
                    <th scope="col" class="py-2 pr-4">"Event"</th>
                    <th scope="col" class="py-2 pr-4">"Actor"</th>
                    <th scope="col" class="py-2 pr-4">"Target"</th>
                    <th scope="col" class="py-2 pr-4">"Outcome"</th>
                </tr>
            </thead>
            <tbody>
                {page.rows.into_iter().map(|r| view! {
                    <tr class="border-b border-slate-200 align-top dark:border-slate-800">
                        <td class="py-2 pr-4 whitespace-nowrap">{r.published}</td>
                        <td class="py-2 pr-4">{r.message}<span class="block text-xs text-slate-600 dark:text-slate-400">{r.event_type}</span></td>
                        <td class="py-2 pr-4">{r.actor}</td>
                        <td class="py-2 pr-4">{r.targets}</td>
                        <td class="py-2 pr-4">{r.outcome}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        {older.map(|href| view! {
            <p><a href=href class="text-indigo-700 underline dark:text-indigo-300">"Older events"</a></p>
        })}
    }
    .into_any()
}
