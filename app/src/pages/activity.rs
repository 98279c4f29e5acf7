//! `/activity`: the System Log within the admin's scope, newest first, with
//! filters by event type, actor, target and time (a plain GET form) and
//! "Older events" paging.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::ui::{error_alert, query_string, BUTTON, INPUT, LINK};
use crate::serverfns::activity::{list_activity, LogPage};

const FILTERS: [&str; 5] = ["type", "actor", "target", "since", "until"];

#[component]
pub fn ActivityPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |name: &str| query.read().get(name).unwrap_or_default();
    let page = Resource::new(
        move || (FILTERS.map(param), param("before")),
        |([event_type, actor, target, since, until], before)| {
            list_activity(
                Some(event_type),
                Some(actor),
                Some(target),
                Some(since),
                Some(until),
                Some(before),
            )
        },
    );
    let field = move |id: &'static str,
                      label: &'static str,
                      kind: &'static str,
                      hint: &'static str| {
        view! {
            <div class="space-y-1">
                <label for=id class="block text-sm font-medium">{label}</label>
                // The address gives the first value only: what is typed before
                // the page hydrates is never overwritten (the form reloads the page).
                <input id=id name=id type=kind value=query.get_untracked().get(id).unwrap_or_default()
                    placeholder=hint class=INPUT />
            </div>
        }
    };
    view! {
        <section class="space-y-6">
            <h1 class="text-2xl font-bold">"Activity"</h1>
            <form method="get" action="/activity" role="search" aria-label="Activity" class="flex flex-wrap items-end gap-3">
                {field("type", "Event type", "search", "user.lifecycle.")}
                {field("actor", "Actor id", "search", "00u…")}
                {field("target", "Target id", "search", "00u…, 00g…, 0oa…")}
                {field("since", "From (UTC)", "datetime-local", "")}
                {field("until", "Until (UTC)", "datetime-local", "")}
                <button type="submit" class=BUTTON>"Apply"</button>
            </form>
            <p>
                <a href=move || format!("/activity/export.jsonl?{}", query_string(&FILTERS.iter().map(|f| (*f, param(f))).collect::<Vec<_>>()))
                    rel="external" download="system-log.jsonl" class=LINK>"Export these events (JSON lines, Okta LogEvent)"</a>
            </p>
            <Suspense fallback=|| view! { <p role="status">"Loading activity…"</p> }>
                {move || page.get().map(|result| match result {
                    Ok(page) => {
                        let filters: Vec<(&str, String)> =
                            FILTERS.iter().map(|f| (*f, param(f))).collect();
                        view! { <LogTable page path="/activity".to_string() filters /> }.into_any()
                    }
                    Err(e) => error_alert(&e),
                })}
            </Suspense>
        </section>
    }
}

/// Events as a table with "Older events" keeping `filters` (the query
/// parameters of `path`).
#[component]
pub fn LogTable(
    page: LogPage,
    path: String,
    filters: Vec<(&'static str, String)>,
) -> impl IntoView {
    if page.rows.is_empty() {
        return view! { <p>"No events match."</p> }.into_any();
    }
    let older = page.older.map(|before| {
        let mut pairs = filters;
        pairs.push(("before", before));
        format!("{path}?{}", query_string(&pairs))
    });
    view! {
        <div class="overflow-x-auto"><table class="w-full border-collapse text-left text-sm">
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
        </table></div>
        {older.map(|href| view! {
            <p><a href=href class=LINK>"Older events"</a></p>
        })}
    }
    .into_any()
}
