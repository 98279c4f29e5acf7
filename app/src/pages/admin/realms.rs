//! `/admin/realms`: every realm with its users by status (and a chart of users
//! per realm), creating a realm; `/admin/realms/{id}`: one realm — rename,
//! domains, delete when nothing blocks it, the rules that place users in it.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use super::AdminNav;
use crate::components::ui::{
    error_alert, field_error, kept_value, outcome, text_field, BUTTON, INPUT, LINK, SMALL_BUTTON,
};
use crate::error::AppError;
use crate::model::RealmSummary;
use crate::serverfns::admin::RealmReportRow;
use crate::serverfns::admin::{
    admin_realm, admin_realms, CreateRealm, DeleteRealm, RealmDetail, UpdateRealm,
    UpdateSignInPolicy,
};

/// The realm type, in Okta's words: a partner realm has a Partner Admin
/// Portal; a workforce realm (`DEFAULT`) is managed from this console only.
fn realm_type_field(
    id: &'static str,
    current: String,
    error: impl Fn() -> Option<String> + Send + Sync + 'static,
) -> AnyView {
    let hint = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described = format!("{hint} {error_id}");
    let options = [
        (
            "PARTNER",
            "Partner — generate a Partner Admin Portal for its admins",
        ),
        ("DEFAULT", "Workforce (DEFAULT) — no Partner Admin Portal"),
    ];
    view! {
        <div class="space-y-1">
            <label for=id class="block text-sm font-medium">"Realm type"</label>
            <select id=id name="realm_type" class=INPUT aria-describedby=described>
                {options.into_iter().map(|(value, text)| {
                    let selected = value == current;
                    view! { <option value=value selected=selected>{text}</option> }
                }).collect_view()}
            </select>
            <p id=hint class="text-sm text-slate-600 dark:text-slate-400">
                "Admins of a partner realm manage its users in the Partner Admin Portal; a workforce realm's admins use the admin console."
            </p>
            <p id=error_id class="text-sm text-red-700 dark:text-red-300">{error}</p>
        </div>
    }
    .into_any()
}

fn by_status(summary: &RealmSummary) -> String {
    if summary.by_status.is_empty() {
        return "—".into();
    }
    summary
        .by_status
        .iter()
        .map(|(s, n)| format!("{} {n}", s.as_str()))
        .collect::<Vec<_>>()
        .join(" · ")
}

#[component]
pub fn AdminRealmsPage() -> impl IntoView {
    let create = ServerAction::<CreateRealm>::new();
    let realms = Resource::new(move || create.version().get(), |_| admin_realms());
    // Creating realms (and the wizard) needs realm rights over every realm.
    let (org, _) = super::console_rights();
    view! {
        <AdminNav />
        <section class="space-y-8">
            <div class="flex flex-wrap items-center justify-between gap-3">
                <h1 class="text-2xl font-bold">"Realms"</h1>
                {org.then(|| view! { <A href="/admin/wizard" attr:class=BUTTON>"New partner realm (wizard)"</A> })}
            </div>
            <Suspense fallback=|| view! { <p role="status">"Loading realms…"</p> }>
                {move || realms.get().map(|r| match r {
                    Ok(list) => view! {
                        <RealmChart realms=list.iter().map(|r| r.summary.clone()).collect() />
                        <p><a href="/admin/realms/report.csv" rel="external" download="realms.csv" class=LINK>"Download the realm report (CSV)"</a></p>
                        <RealmTable realms=list />
                    }.into_any(),
                    Err(e) => error_alert(&e),
                })}
            </Suspense>
            <Show when=move || org>
            <section aria-labelledby="create-realm" class="space-y-3">
                <h2 id="create-realm" class="text-lg font-semibold">"Create a realm"</h2>
                {move || outcome(create.value().get().filter(|r| r.is_err() && !matches!(r, Err(AppError::Validation { .. }))))}
                <ActionForm action=create attr:class="space-y-3" attr:novalidate=true>
                    {text_field("realm-name", "name", "Name", kept_value(create, "name", String::new()), None,
                        move || field_error(create, "name"))}
                    {realm_type_field("realm-type", kept_value(create, "realm_type", "PARTNER".to_string()),
                        move || field_error(create, "realmType"))}
                    {text_field("realm-domains", "domains", "Allowed email domains", kept_value(create, "domains", String::new()),
                        Some("Separated by commas. Users of this realm must have addresses in these domains; leave empty for any."),
                        move || field_error(create, "domains"))}
                    <button type="submit" class=BUTTON>"Create realm"</button>
                </ActionForm>
            </section>
            </Show>
        </section>
    }
}

/// Users per realm as horizontal bars; the table beside it holds the numbers.
#[component]
fn RealmChart(realms: Vec<RealmSummary>) -> impl IntoView {
    let most = realms.iter().map(|r| r.users).max().unwrap_or(0).max(1);
    view! {
        <figure class="space-y-2">
            <figcaption class="text-sm font-medium">"Users per realm"</figcaption>
            <ul class="space-y-1">
                {realms.into_iter().map(|r| {
                    let width = format!("width: {}%", (r.users * 100 / most).max(1));
                    view! {
                        <li class="flex items-center gap-3 text-sm">
                            <span class="w-40 truncate">{r.realm.name.clone()}</span>
                            <span class="h-3 rounded bg-indigo-600" style=width aria-hidden="true"></span>
                            <span>{r.users}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </figure>
    }
}

#[component]
fn RealmTable(realms: Vec<RealmReportRow>) -> impl IntoView {
    view! {
        <div class="overflow-x-auto">
            <table class="w-full border-collapse text-left text-sm">
                <caption class="sr-only">"All realms"</caption>
                <thead>
                    <tr class="border-b border-slate-300 dark:border-slate-700">
                        <th scope="col" class="py-2 pr-4">"Realm"</th>
                        <th scope="col" class="py-2 pr-4">"Type"</th>
                        <th scope="col" class="py-2 pr-4">"Email domains"</th>
                        <th scope="col" class="py-2 pr-4">"Users"</th>
                        <th scope="col" class="py-2 pr-4">"By status"</th>
                        <th scope="col" class="py-2 pr-4">"Partner admins"</th>
                        <th scope="col" class="py-2 pr-4">"Rules placing users here"</th>
                    </tr>
                </thead>
                <tbody>
                    {realms.into_iter().map(|row| {
                        let admins = if row.admins.is_empty() { "—".to_string() } else { row.admins.join(", ") };
                        let rules = if row.rules.is_empty() { "—".to_string() } else { row.rules.join(", ") };
                        let r = row.summary;
                        let href = format!("/admin/realms/{}", r.realm.id);
                        let domains = if r.realm.domains.is_empty() { "any".to_string() } else { r.realm.domains.join(", ") };
                        let status = by_status(&r);
                        view! {
                            <tr class="border-b border-slate-200 dark:border-slate-800">
                                <th scope="row" class="py-2 pr-4 font-medium">
                                    <A href=href attr:class=LINK>{r.realm.name}</A>
                                </th>
                                <td class="py-2 pr-4">{r.realm.realm_type.as_str()}</td>
                                <td class="py-2 pr-4">{domains}</td>
                                <td class="py-2 pr-4">{r.users}</td>
                                <td class="py-2 pr-4">{status}</td>
                                <td class="py-2 pr-4">{admins}</td>
                                <td class="py-2 pr-4">{rules}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
pub fn AdminRealmPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let update = ServerAction::<UpdateRealm>::new();
    let delete = ServerAction::<DeleteRealm>::new();
    let policy = ServerAction::<UpdateSignInPolicy>::new();
    let realm = Resource::new(
        move || (id(), update.version().get(), policy.version().get()),
        |(id, _, _)| admin_realm(id),
    );
    view! {
        <AdminNav />
        <section class="space-y-8">
            <p><A href="/admin/realms" attr:class=LINK>"All realms"</A></p>
            <Suspense fallback=|| view! { <p role="status">"Loading the realm…"</p> }>
                {move || realm.get().map(|r| match r {
                    Ok(detail) => view! { <RealmView detail update delete policy /> }.into_any(),
                    Err(AppError::NotFound) => view! {
                        <h1 class="text-2xl font-bold">"Realm not found"</h1>
                        <p>"There is no such realm."</p>
                    }.into_any(),
                    Err(e) => error_alert(&e),
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn RealmView(
    detail: RealmDetail,
    update: ServerAction<UpdateRealm>,
    delete: ServerAction<DeleteRealm>,
    policy: ServerAction<UpdateSignInPolicy>,
) -> impl IntoView {
    let realm = detail.summary.realm.clone();
    let sign_in = detail.sign_in.clone();
    let policy_id = realm.id.to_string();
    let rid = realm.id.to_string();
    let delete_id = rid.clone();
    let domains = realm.domains.join(", ");
    let users_href = format!("/users?realm={}", realm.id);
    let is_default = realm.is_default;
    let kind = if realm.realm_type == crate::model::RealmType::Partner {
        "Partner realm (with a Partner Admin Portal)"
    } else if is_default {
        "The default realm (DEFAULT: users no rule places elsewhere)"
    } else {
        "Workforce realm (DEFAULT: no Partner Admin Portal)"
    };
    view! {
        <div class="space-y-1">
            <h1 class="text-2xl font-bold">{realm.name.clone()}</h1>
            <p class="text-slate-700 dark:text-slate-300">
                {kind} " · " {detail.summary.users} " users · " {by_status(&detail.summary)}
            </p>
            <p><A href=users_href attr:class=LINK>"See its users"</A></p>
        </div>
        {move || outcome(update.value().get().filter(|r| !matches!(r, Err(AppError::Validation { .. }))))}
        <section aria-labelledby="edit-realm" class="space-y-3">
            <h2 id="edit-realm" class="text-lg font-semibold">"Name, type and domains"</h2>
            <ActionForm action=update attr:class="space-y-3" attr:novalidate=true>
                <input type="hidden" name="id" value=rid />
                <input type="hidden" name="expected" value=realm.last_updated.clone() />
                {text_field("edit-name", "name", "Name", kept_value(update, "name", realm.name.clone()), None,
                    move || field_error(update, "name"))}
                {if is_default {
                    view! {
                        <input type="hidden" name="realm_type" value="DEFAULT" />
                        <p class="text-sm">"The default realm is a DEFAULT realm and has no allowed domains (as in Okta)."</p>
                    }.into_any()
                } else {
                    view! {
                        {realm_type_field("edit-type", kept_value(update, "realm_type", realm.realm_type.as_str().to_string()),
                            move || field_error(update, "realmType"))}
                        {text_field("edit-domains", "domains", "Allowed email domains", kept_value(update, "domains", domains),
                            Some("Separated by commas; empty allows any address. Existing users are not re-checked."),
                            move || field_error(update, "domains"))}
                    }.into_any()
                }}
                <button type="submit" class=BUTTON>"Save realm"</button>
            </ActionForm>
        </section>
        <section aria-labelledby="sign-in-policy" class="space-y-3">
            <h2 id="sign-in-policy" class="text-lg font-semibold">"Sign-in and passwords"</h2>
            {move || outcome(policy.value().get().filter(|r| !matches!(r, Err(AppError::Validation { .. }))))}
            <ActionForm action=policy attr:class="space-y-3" attr:novalidate=true>
                <input type="hidden" name="id" value=policy_id />
                <div class="flex items-center gap-2">
                    <input id="policy-hosted" name="hosted" type="checkbox" value="true" checked=sign_in.hosted />
                    <label for="policy-hosted" class="text-sm font-medium">"Users sign in with passwords held by the portal"</label>
                </div>
                <p class="max-w-2xl text-sm text-slate-700 dark:text-slate-300">
                    "For partners without an identity provider of their own. Users an identity provider created or is linked to keep signing in there."
                </p>
                {text_field("policy-min-length", "min_length", "Minimum password length", kept_value(policy, "min_length", sign_in.min_length.to_string()),
                    None, move || field_error(policy, "minLength"))}
                {text_field("policy-history", "history_count", "Earlier passwords that may not be reused", kept_value(policy, "history_count", sign_in.history_count.to_string()),
                    None, move || field_error(policy, "historyCount"))}
                {text_field("policy-max-age", "max_age_days", "Password expires after (days)", kept_value(policy, "max_age_days", sign_in.max_age_days.to_string()),
                    Some("0: never."), move || field_error(policy, "maxAgeDays"))}
                <div class="flex items-center gap-2">
                    <input id="policy-mfa" name="require_mfa" type="checkbox" value="true" checked=sign_in.require_mfa />
                    <label for="policy-mfa" class="text-sm font-medium">"Require a second factor (authenticator app or passkey)"</label>
                </div>
                {text_field("policy-lockout", "lockout_attempts", "Lock the account after this many wrong passwords", kept_value(policy, "lockout_attempts", sign_in.lockout_attempts.to_string()),
                    Some("0: never lock."), move || field_error(policy, "lockoutAttempts"))}
                {text_field("policy-unlock", "lockout_minutes", "Unlock by itself after (minutes)", kept_value(policy, "lockout_minutes", sign_in.lockout_minutes.to_string()),
                    Some("0: only an admin or a password reset unlocks it."), move || field_error(policy, "lockoutMinutes"))}
                <button type="submit" class=BUTTON>"Save sign-in policy"</button>
            </ActionForm>
        </section>
        <section aria-labelledby="realm-rules" class="space-y-2">
            <h2 id="realm-rules" class="text-lg font-semibold">"Rules that place users here"</h2>
            {if detail.rules.is_empty() {
                view! { <p>"None."</p> }.into_any()
            } else {
                view! {
                    <ul class="list-disc pl-5">
                        {detail.rules.into_iter().map(|r| view! {
                            <li><A href=format!("/admin/rules/{}", r.id) attr:class=LINK>{r.name}</A> " (" {r.status.as_str()} ")"</li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
        <section aria-labelledby="delete-realm" class="space-y-2">
            <h2 id="delete-realm" class="text-lg font-semibold">"Delete"</h2>
            {if detail.blockers.is_empty() {
                view! {
                    <ActionForm action=delete>
                        <input type="hidden" name="id" value=delete_id />
                        <button type="submit" class=SMALL_BUTTON>"Delete realm"</button>
                    </ActionForm>
                    {move || outcome(delete.value().get())}
                }.into_any()
            } else {
                view! { <p>"This realm cannot be deleted while it has " {detail.blockers.join(", ")} "."</p> }.into_any()
            }}
        </section>
    }
}
