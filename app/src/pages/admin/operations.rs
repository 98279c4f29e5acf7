//! `/admin/operations/{id}`: a dry run's plan — exactly who moves from which
//! realm to which, who is refused and why — then its execution: a live
//! progress bar (refreshed every second with JavaScript, by "Refresh" without),
//! cancel, and each user's result.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::AdminNav;
use crate::components::ui::{error_alert, outcome, query_string, BUTTON, LINK, SMALL_BUTTON};
use crate::error::AppError;
use crate::model::{ItemResult, Operation, OperationStatus};
use crate::serverfns::admin::{admin_operation, CancelOperation, ExecuteOperation, OperationView};

#[component]
pub fn OperationPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let result = move || query.read().get("result").unwrap_or_default();
    let after = move || query.read().get("after").unwrap_or_default();
    let execute = ServerAction::<ExecuteOperation>::new();
    let cancel = ServerAction::<CancelOperation>::new();
    let tick = RwSignal::new(0u32);
    let op = Resource::new(
        move || {
            (
                id(),
                result(),
                after(),
                tick.get(),
                execute.version().get(),
                cancel.version().get(),
            )
        },
        |(id, result, after, _, _, _)| admin_operation(id, Some(result), Some(after)),
    );
    // While it runs, look again every second (in the browser only).
    Effect::new(move |_| {
        let running = op
            .get()
            .is_some_and(|r| r.is_ok_and(|v| v.operation.is_running()));
        if running {
            set_timeout(
                move || tick.update(|t| *t += 1),
                std::time::Duration::from_secs(1),
            );
        }
    });
    view! {
        <AdminNav />
        <section class="space-y-6">
            <p><A href="/admin/rules" attr:class=LINK>"Realm assignment rules"</A></p>
            {move || outcome(execute.value().get())}
            {move || outcome(cancel.value().get())}
            <Transition fallback=|| view! { <p role="status">"Loading the operation…"</p> }>
                {move || op.get().map(|r| match r {
                    Ok(view) => view! { <OperationDetail view execute cancel result=result() /> }.into_any(),
                    Err(AppError::NotFound) => view! {
                        <h1 class="text-2xl font-bold">"Operation not found"</h1>
                        <p>"There is no such operation."</p>
                    }.into_any(),
                    Err(e) => error_alert(&e),
                })}
            </Transition>
        </section>
    }
}

fn headline(op: &Operation) -> String {
    let users = |n: i64| format!("{n} user{}", if n == 1 { "" } else { "s" });
    match op.status {
        OperationStatus::Planned => format!(
            "Dry run: {} would move{}.",
            users(op.num_planned),
            if op.num_refused > 0 {
                format!("; {} refused", users(op.num_refused))
            } else {
                String::new()
            }
        ),
        OperationStatus::Scheduled | OperationStatus::InProgress => format!(
            "Running: {} of {} applied.",
            op.num_planned - op.remaining(),
            op.num_planned
        ),
        OperationStatus::Completed => format!(
            "Completed: {} moved, {} skipped (changed since the plan), {} failed.",
            users(op.num_moved),
            op.num_skipped,
            op.num_failed
        ),
        OperationStatus::Canceled => format!(
            "Canceled: {} moved before it stopped; the rest was not applied.",
            users(op.num_moved)
        ),
        OperationStatus::Failed => format!(
            "Failed after moving {}; the rest was not applied.",
            users(op.num_moved)
        ),
    }
}

#[component]
fn OperationDetail(
    view: OperationView,
    execute: ServerAction<ExecuteOperation>,
    cancel: ServerAction<CancelOperation>,
    result: String,
) -> impl IntoView {
    let op = view.operation.clone();
    let id = op.id.to_string();
    let (execute_id, cancel_id) = (id.clone(), id.clone());
    let path = format!("/admin/operations/{id}");
    let filter = |value: &'static str, text: &'static str| {
        let href = if value.is_empty() {
            path.clone()
        } else {
            format!("{path}?{}", query_string(&[("result", value.to_string())]))
        };
        let current = (result == value).then_some("page");
        view! { <A href=href attr:class="rounded px-2 py-1 underline aria-[current=page]:font-semibold" attr:aria-current=current>{text}</A> }
    };
    let next = view.next.clone().map(|after| {
        format!(
            "{path}?{}",
            query_string(&[("result", result.clone()), ("after", after)])
        )
    });
    view! {
        <div class="space-y-2">
            <h1 class="text-2xl font-bold">{op.label.clone()}</h1>
            <p class="text-lg" data-testid="operation-headline">{headline(&op)}</p>
            <dl class="grid max-w-xl grid-cols-2 gap-x-4 text-sm sm:grid-cols-3">
                <div><dt class="font-medium">"Status"</dt><dd>{op.status.as_str()}</dd></div>
                <div><dt class="font-medium">"To move"</dt><dd>{op.num_planned}</dd></div>
                <div><dt class="font-medium">"Refused"</dt><dd>{op.num_refused}</dd></div>
                <div><dt class="font-medium">"Moved"</dt><dd>{op.num_moved}</dd></div>
                <div><dt class="font-medium">"Skipped (changed)"</dt><dd>{op.num_skipped}</dd></div>
                <div><dt class="font-medium">"Failed"</dt><dd>{op.num_failed}</dd></div>
            </dl>
        </div>
        {(op.status != OperationStatus::Planned).then(|| view! {
            <div class="max-w-xl space-y-1">
                <div role="progressbar" aria-label="Progress" aria-valuemin="0" aria-valuemax="100"
                    aria-valuenow=op.percent_done().to_string()
                    class="h-3 w-full overflow-hidden rounded bg-slate-200 dark:bg-slate-800">
                    <div class="h-3 bg-indigo-600" style=format!("width: {}%", op.percent_done())></div>
                </div>
                <p class="text-sm">{format!("{}% done", op.percent_done())}</p>
            </div>
        })}
        <div class="flex flex-wrap gap-3">
            {(op.status == OperationStatus::Planned && op.num_planned > 0).then(|| view! {
                <ActionForm action=execute>
                    <input type="hidden" name="id" value=execute_id.clone() />
                    <button type="submit" class=BUTTON>{format!("Execute this plan ({} users)", op.num_planned)}</button>
                </ActionForm>
            })}
            {matches!(op.status, OperationStatus::Planned | OperationStatus::Scheduled | OperationStatus::InProgress).then(|| view! {
                <ActionForm action=cancel>
                    <input type="hidden" name="id" value=cancel_id.clone() />
                    <button type="submit" class=SMALL_BUTTON>{if op.status == OperationStatus::Planned { "Discard plan" } else { "Cancel" }}</button>
                </ActionForm>
            })}
            {op.is_running().then(|| view! { <a href=path.clone() class=LINK>"Refresh"</a> })}
        </div>
        <nav aria-label="Filter by result" class="flex flex-wrap gap-2 text-sm">
            {filter("", "All")}
            {filter(ItemResult::Pending.as_str(), "To move")}
            {filter(ItemResult::Moved.as_str(), "Moved")}
            {filter(ItemResult::SkippedChanged.as_str(), "Skipped")}
            {filter(ItemResult::Failed.as_str(), "Refused or failed")}
            {filter(ItemResult::Canceled.as_str(), "Canceled")}
        </nav>
        {if view.items.is_empty() {
            view! { <p>"No users here."</p> }.into_any()
        } else {
            view! {
                <div class="overflow-x-auto"><table class="w-full border-collapse text-left text-sm">
                    <caption class="sr-only">"Users in this operation"</caption>
                    <thead><tr class="border-b border-slate-300 dark:border-slate-700">
                        <th scope="col" class="py-2 pr-3">"User"</th>
                        <th scope="col" class="py-2 pr-3">"Name"</th>
                        <th scope="col" class="py-2 pr-3">"From"</th>
                        <th scope="col" class="py-2 pr-3">"To"</th>
                        <th scope="col" class="py-2 pr-3">"Result"</th>
                        <th scope="col" class="py-2 pr-3">"Note"</th>
                    </tr></thead>
                    <tbody>
                        {view.items.into_iter().map(|item| view! {
                            <tr class="border-b border-slate-200 dark:border-slate-800">
                                <th scope="row" class="py-2 pr-3 font-medium">
                                    <A href=format!("/users/{}", item.user_id) attr:class=LINK>{item.login.clone()}</A>
                                </th>
                                <td class="py-2 pr-3">{item.name.clone()}</td>
                                <td class="py-2 pr-3">{item.from_realm.clone()}</td>
                                <td class="py-2 pr-3">{item.to_realm.clone()}</td>
                                <td class="py-2 pr-3">{match item.result {
                                    ItemResult::Pending => "To move",
                                    ItemResult::Moved => "Moved",
                                    ItemResult::SkippedChanged => "Skipped",
                                    ItemResult::Failed => "Refused",
                                    ItemResult::Canceled => "Canceled",
                                }}</td>
                                <td class="py-2 pr-3">{item.message.clone().unwrap_or_default()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table></div>
            }.into_any()
        }}
        {next.map(|href| view! { <p><A href=href attr:class=LINK>"Next page"</A></p> })}
    }
}
