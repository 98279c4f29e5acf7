//! `/admin/rules`: realm-assignment rules in priority order (up/down, activate,
//! deactivate, delete, dry-run), the catch-all last; the latest operations.
//! `/admin/rules/new` and `/admin/rules/{id}`: the editor, checking the
//! expression as it is typed (error position, how many users it selects).

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use super::AdminNav;
use crate::components::ui::{
    error_alert, field_error, kept_value, outcome, text_field, BUTTON, INPUT, LINK, SMALL_BUTTON,
};
use crate::error::AppError;
use crate::model::{LifecycleStatus, Operation};
use crate::serverfns::admin::{
    admin_rules, check_rule, ChangeRule, PlanRule, RuleRow, RulesView, SaveRule,
};

#[component]
pub fn RulesPage() -> impl IntoView {
    let change = ServerAction::<ChangeRule>::new();
    let plan = ServerAction::<PlanRule>::new();
    let rules = Resource::new(move || change.version().get(), |_| admin_rules());
    view! {
        <AdminNav />
        <section class="space-y-8">
            <div class="flex flex-wrap items-center justify-between gap-3">
                <h1 class="text-2xl font-bold">"Realm assignment rules"</h1>
                <A href="/admin/rules/new" attr:class=BUTTON>"New rule"</A>
            </div>
            <p class="max-w-3xl">
                "A new user lands in the realm of the first active rule, in this order, that selects it; the catch-all takes the rest. "
                "A dry run lists exactly who an existing rule would move; executing applies that list and nothing else."
            </p>
            {move || outcome(change.value().get())}
            {move || plan.value().get().and_then(|r| r.err()).map(|e| error_alert(&e))}
            <Suspense fallback=|| view! { <p role="status">"Loading rules…"</p> }>
                {move || rules.get().map(|r| match r {
                    Ok(view) => view! { <RuleTable view=view.clone() change plan /> <Operations list=view.operations /> }.into_any(),
                    Err(e) => error_alert(&e),
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn RuleTable(
    view: RulesView,
    change: ServerAction<ChangeRule>,
    plan: ServerAction<PlanRule>,
) -> impl IntoView {
    let count = view.rules.iter().filter(|r| !r.rule.is_default).count();
    let button = move |id: String, op: &'static str, text: &'static str, name: String| {
        view! {
            <ActionForm action=change>
                <input type="hidden" name="id" value=id />
                <input type="hidden" name="op" value=op />
                <button type="submit" class=SMALL_BUTTON aria-label=format!("{text} {name}")>{text}</button>
            </ActionForm>
        }
    };
    view! {
        <div class="overflow-x-auto">
            <table class="w-full border-collapse text-left text-sm">
                <caption class="sr-only">"Rules in priority order"</caption>
                <thead>
                    <tr class="border-b border-slate-300 dark:border-slate-700">
                        <th scope="col" class="py-2 pr-3">"#"</th>
                        <th scope="col" class="py-2 pr-3">"Rule"</th>
                        <th scope="col" class="py-2 pr-3">"Condition"</th>
                        <th scope="col" class="py-2 pr-3">"Realm"</th>
                        <th scope="col" class="py-2 pr-3">"Status"</th>
                        <th scope="col" class="py-2 pr-3">"Actions"</th>
                    </tr>
                </thead>
                <tbody>
                    {view.rules.into_iter().enumerate().map(|(i, RuleRow { rule, realm, source })| {
                        let id = rule.id.to_string();
                        let name = rule.name.clone();
                        let href = format!("/admin/rules/{id}");
                        let title = rule.name.clone();
                        let condition = match (&source, rule.expression.as_deref()) {
                            (_, _) if rule.is_default => "every other user".to_string(),
                            (None, None) => "every user".to_string(),
                            (Some(s), None) => format!("users from {s}"),
                            (None, Some(e)) => e.to_string(),
                            (Some(s), Some(e)) => format!("users from {s} where {e}"),
                        };
                        let actions = if rule.is_default {
                            let plan_id = id.clone();
                            let plan_label = format!("Dry run {name}");
                            view! {
                                <div class="flex flex-wrap items-center gap-1">
                                    <span>"Always active, always last"</span>
                                    <ActionForm action=plan>
                                        <input type="hidden" name="id" value=plan_id />
                                        <button type="submit" class=SMALL_BUTTON aria-label=plan_label>"Dry run"</button>
                                    </ActionForm>
                                </div>
                            }.into_any()
                        } else {
                            let toggle = if rule.status == LifecycleStatus::Active {
                                button(id.clone(), "deactivate", "Deactivate", name.clone())
                            } else {
                                button(id.clone(), "activate", "Activate", name.clone())
                            };
                            let up = (i > 0).then(|| button(id.clone(), "up", "Move up", name.clone()));
                            let down = (i + 1 < count).then(|| button(id.clone(), "down", "Move down", name.clone()));
                            let delete = button(id.clone(), "delete", "Delete", name.clone());
                            let plan_id = id.clone();
                            let plan_label = format!("Dry run {name}");
                            view! {
                                <div class="flex flex-wrap gap-1">
                                    {up}
                                    {down}
                                    {toggle}
                                    <ActionForm action=plan>
                                        <input type="hidden" name="id" value=plan_id />
                                        <button type="submit" class=SMALL_BUTTON aria-label=plan_label>"Dry run"</button>
                                    </ActionForm>
                                    {delete}
                                </div>
                            }.into_any()
                        };
                        view! {
                            <tr class="border-b border-slate-200 align-top dark:border-slate-800">
                                <td class="py-2 pr-3">{if rule.is_default { "last".to_string() } else { (i + 1).to_string() }}</td>
                                <th scope="row" class="py-2 pr-3 font-medium">
                                    <A href=href attr:class=LINK>{title}</A>
                                </th>
                                <td class="py-2 pr-3"><code class="break-all">{condition}</code></td>
                                <td class="py-2 pr-3">{realm}</td>
                                <td class="py-2 pr-3">{rule.status.as_str()}</td>
                                <td class="py-2 pr-3">{actions}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// The latest operations (dry runs and executions).
#[component]
pub fn Operations(list: Vec<Operation>) -> impl IntoView {
    view! {
        <section aria-labelledby="operations" class="space-y-2">
            <h2 id="operations" class="text-lg font-semibold">"Latest operations"</h2>
            {if list.is_empty() {
                view! { <p>"No dry run yet."</p> }.into_any()
            } else {
                view! {
                    <div class="overflow-x-auto"><table class="w-full border-collapse text-left text-sm">
                        <caption class="sr-only">"Latest operations"</caption>
                        <thead><tr class="border-b border-slate-300 dark:border-slate-700">
                            <th scope="col" class="py-2 pr-3">"Operation"</th>
                            <th scope="col" class="py-2 pr-3">"Status"</th>
                            <th scope="col" class="py-2 pr-3">"Planned"</th>
                            <th scope="col" class="py-2 pr-3">"Moved"</th>
                            <th scope="col" class="py-2 pr-3">"Skipped"</th>
                            <th scope="col" class="py-2 pr-3">"Refused"</th>
                            <th scope="col" class="py-2 pr-3">"Created"</th>
                        </tr></thead>
                        <tbody>
                            {list.into_iter().map(|op| view! {
                                <tr class="border-b border-slate-200 dark:border-slate-800">
                                    <th scope="row" class="py-2 pr-3 font-medium">
                                        <A href=format!("/admin/operations/{}", op.id) attr:class=LINK>{op.label.clone()}</A>
                                    </th>
                                    <td class="py-2 pr-3">{op.status.as_str()}</td>
                                    <td class="py-2 pr-3">{op.num_planned}</td>
                                    <td class="py-2 pr-3">{op.num_moved}</td>
                                    <td class="py-2 pr-3">{op.num_skipped}</td>
                                    <td class="py-2 pr-3">{op.num_refused + op.num_failed}</td>
                                    <td class="py-2 pr-3">{op.created.clone()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table></div>
                }.into_any()
            }}
        </section>
    }
}

#[component]
pub fn RuleEditorPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let rules = Resource::new(|| (), |_| admin_rules());
    view! {
        <AdminNav />
        <section class="space-y-6">
            <p><A href="/admin/rules" attr:class=LINK>"All rules"</A></p>
            <Suspense fallback=|| view! { <p role="status">"Loading…"</p> }>
                {move || rules.get().map(|r| match r {
                    Ok(view) => {
                        let id = id();
                        if id.is_empty() {
                            view! { <RuleForm view row=None /> }.into_any()
                        } else {
                            match view.rules.iter().find(|r| r.rule.id.as_str() == id).cloned() {
                                Some(row) => view! { <RuleForm view row=Some(row) /> }.into_any(),
                                None => view! {
                                    <h1 class="text-2xl font-bold">"Rule not found"</h1>
                                    <p>"There is no such rule."</p>
                                }.into_any(),
                            }
                        }
                    }
                    Err(e) => error_alert(&e),
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn RuleForm(view: RulesView, row: Option<RuleRow>) -> impl IntoView {
    let save = ServerAction::<SaveRule>::new();
    let rule = row.map(|r| r.rule);
    let is_new = rule.is_none();
    let is_default = rule.as_ref().is_some_and(|r| r.is_default);
    let title = match &rule {
        None => "New rule".to_string(),
        Some(r) => format!("Rule: {}", r.name),
    };
    let expression_now = kept_value(
        save,
        "expression",
        rule.as_ref()
            .and_then(|r| r.expression.clone())
            .unwrap_or_default(),
    );
    let source_now = kept_value(
        save,
        "profile_source_id",
        rule.as_ref()
            .and_then(|r| r.profile_source_id.clone())
            .unwrap_or_default(),
    );
    let realm_now = kept_value(
        save,
        "target_realm_id",
        rule.as_ref()
            .map(|r| r.target_realm_id.to_string())
            .unwrap_or_default(),
    );
    // The live check follows the expression 300 ms after the last key.
    let expression = RwSignal::new(expression_now.clone());
    let source = RwSignal::new(source_now.clone());
    let debounced = RwSignal::new((expression_now.clone(), source_now.clone()));
    let pending = StoredValue::new(None::<leptos::leptos_dom::helpers::TimeoutHandle>);
    let schedule = move || {
        if let Some(h) = pending.get_value() {
            h.clear();
        }
        let handle = set_timeout_with_handle(
            move || debounced.set((expression.get_untracked(), source.get_untracked())),
            std::time::Duration::from_millis(300),
        )
        .ok();
        pending.set_value(handle);
    };
    // What was typed or picked while the page was still loading (before it
    // hydrated, so no event reached the handlers) is checked once it has.
    let expression_input = NodeRef::<leptos::html::Textarea>::new();
    let source_input = NodeRef::<leptos::html::Select>::new();
    Effect::new(move |_| {
        let mut changed = false;
        for (typed, signal) in [
            (
                expression_input.get_untracked().map(|el| el.value()),
                expression,
            ),
            (source_input.get_untracked().map(|el| el.value()), source),
        ] {
            if let Some(typed) = typed.filter(|t| *t != signal.get_untracked()) {
                signal.set(typed);
                changed = true;
            }
        }
        if changed {
            schedule();
        }
    });
    let check = Resource::new(
        move || debounced.get(),
        |(e, s)| async move {
            if e.trim().is_empty() {
                None
            } else {
                Some(check_rule(e, Some(s)).await)
            }
        },
    );
    let expression_error = move || field_error(save, "expression");
    let described = move || {
        if expression_error().is_some() {
            "rule-expression-hint rule-expression-error rule-check".to_string()
        } else {
            "rule-expression-hint rule-check".to_string()
        }
    };
    view! {
        <h1 class="text-2xl font-bold">{title}</h1>
        {move || outcome(save.value().get().filter(|r| r.is_err() && !matches!(r, Err(AppError::Validation { .. }))))}
        <ActionForm action=save attr:class="space-y-4" attr:novalidate=true>
            <input type="hidden" name="id" value=rule.as_ref().map(|r| r.id.to_string()).unwrap_or_default() />
            <input type="hidden" name="expected" value=rule.as_ref().map(|r| r.last_updated.clone()).unwrap_or_default() />
            {if is_default {
                view! {
                    <input type="hidden" name="name" value=rule.as_ref().map(|r| r.name.clone()).unwrap_or_default() />
                    <p>"The catch-all rule places every user no other rule selects (new users, and existing ones when you run it). Only its realm can change."</p>
                }.into_any()
            } else {
                view! {
                    {text_field("rule-name", "name", "Name", kept_value(save, "name", rule.as_ref().map(|r| r.name.clone()).unwrap_or_default()), None,
                        move || field_error(save, "name"))}
                    <div class="space-y-1">
                        <label for="rule-source" class="block text-sm font-medium">"Profile source"</label>
                        <select id="rule-source" name="profile_source_id" class=INPUT node_ref=source_input
                            on:change=move |ev| { source.set(event_target_value(&ev)); schedule(); }>
                            <option value="" selected=source_now.is_empty()>"Okta: the portal's own users (org IdP, created here)"</option>
                            {view.sources.iter().map(|(id, name)| {
                                let selected = *id == source_now;
                                view! { <option value=id.clone() selected=selected>{name.clone()}</option> }
                            }).collect_view()}
                        </select>
                        <p class="text-sm text-slate-600 dark:text-slate-400">
                            "A rule without a partner identity provider as its source never applies to partner IdPs' users: to place them, choose their IdP here."
                        </p>
                        {move || field_error(save, "profileSourceId").map(|m| view! { <p class="text-sm text-red-700 dark:text-red-300">{m}</p> })}
                    </div>
                    <div class="space-y-1">
                        <label for="rule-expression" class="block text-sm font-medium">"Condition (expression)"</label>
                        <p id="rule-expression-hint" class="text-sm text-slate-600 dark:text-slate-400">
                            "Okta Expression Language, e.g. "
                            <code>"user.profile.email.endsWith(\"@acme.test\")"</code>
                            ". Leave empty to select every user of the source."
                        </p>
                        <textarea id="rule-expression" name="expression" rows="3" class=format!("{INPUT} w-full max-w-2xl font-mono")
                            aria-invalid=move || expression_error().is_some().to_string()
                            aria-describedby=described
                            node_ref=expression_input
                            on:input=move |ev| { expression.set(event_target_value(&ev)); schedule(); }
                        >{expression_now.clone()}</textarea>
                        {move || expression_error().map(|m| view! { <p id="rule-expression-error" class="text-sm text-red-700 dark:text-red-300">{m}</p> })}
                        <div id="rule-check" aria-live="polite" class="text-sm">
                            <Transition fallback=|| ()>
                                {move || check.get().flatten().map(|r| match r {
                                    Ok(c) => match (c.error, c.matches) {
                                        (Some(e), _) => view! { <p class="text-red-700 dark:text-red-300">"Not valid: " {e}</p> }.into_any(),
                                        (None, Some((n, seen, more))) => view! {
                                            <p class="text-green-800 dark:text-green-300">
                                                {format!("Valid. Selects {n} of {}{seen} users now.", if more { "the first " } else { "" })}
                                            </p>
                                            {c.warnings.into_iter().map(|w| view! { <p class="text-amber-800 dark:text-amber-300">"Warning: " {w}</p> }).collect_view()}
                                        }.into_any(),
                                        (None, None) => ().into_any(),
                                    },
                                    Err(e) => error_alert(&e),
                                })}
                            </Transition>
                        </div>
                    </div>
                }.into_any()
            }}
            <div class="space-y-1">
                <label for="rule-realm" class="block text-sm font-medium">"Realm"</label>
                <select id="rule-realm" name="target_realm_id" class=INPUT>
                    <option value="" selected=realm_now.is_empty()>"Choose a realm"</option>
                    {view.realms.iter().map(|(id, name)| {
                        let selected = *id == realm_now;
                        view! { <option value=id.clone() selected=selected>{name.clone()}</option> }
                    }).collect_view()}
                </select>
                {move || field_error(save, "targetRealmId").map(|m| view! { <p class="text-sm text-red-700 dark:text-red-300">{m}</p> })}
            </div>
            <button type="submit" class=BUTTON>"Save rule"</button>
        </ActionForm>
        {is_new.then(|| view! { <p class="text-sm">"New rules start inactive, after the existing ones."</p> })}
    }
}
