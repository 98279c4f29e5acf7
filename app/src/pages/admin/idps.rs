//! `/admin/idps`: partner identity providers — the list (issuer, realm binding,
//! JIT, routing domains) and a form to add one. Saving reads the issuer's
//! discovery document first; the client secret is sealed and never shown.
//! `/admin/idps/{id}`: change one (claim mapping, a new secret, realm
//! binding, JIT, routing), activate or deactivate it.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use super::AdminNav;
use crate::components::ui::{
    error_alert, field_error, kept_value, outcome, select_field, text_field, BUTTON, LINK,
    SMALL_BUTTON,
};
use crate::error::AppError;
use crate::serverfns::admin::{
    admin_idp, admin_idps, CreateIdp, IdpEdit, IdpsView, SetIdpStatus, UpdateIdp,
};

#[component]
pub fn IdpsPage() -> impl IntoView {
    let create = ServerAction::<CreateIdp>::new();
    let idps = Resource::new(move || create.version().get(), |_| admin_idps());
    view! {
        <AdminNav />
        <section class="space-y-8">
            <h1 class="text-2xl font-bold">"Identity providers"</h1>
            <p class="max-w-3xl">
                "A partner's own OpenID provider: its users sign in there (routed by their email domain) and, with just-in-time provisioning, "
                "get an account in the realm the realm-assignment rules choose — or the realm the IdP is bound to."
            </p>
            <Suspense fallback=|| view! { <p role="status">"Loading identity providers…"</p> }>
                {move || idps.get().map(|r| match r {
                    Ok(view) => view! { <IdpTable view=view.clone() /> <IdpForm view create /> }.into_any(),
                    Err(e) => error_alert(&e),
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn IdpTable(view: IdpsView) -> impl IntoView {
    view! {
        <div class="overflow-x-auto">
            <table class="w-full border-collapse text-left text-sm">
                <caption class="sr-only">"Identity providers"</caption>
                <thead>
                    <tr class="border-b border-slate-300 dark:border-slate-700">
                        <th scope="col" class="py-2 pr-3">"Name"</th>
                        <th scope="col" class="py-2 pr-3">"Issuer"</th>
                        <th scope="col" class="py-2 pr-3">"Client id"</th>
                        <th scope="col" class="py-2 pr-3">"Realm"</th>
                        <th scope="col" class="py-2 pr-3">"Just-in-time"</th>
                        <th scope="col" class="py-2 pr-3">"Routing domains"</th>
                        <th scope="col" class="py-2 pr-3">"Status"</th>
                    </tr>
                </thead>
                <tbody>
                    {view.idps.into_iter().map(|i| {
                        let domains = if i.routing_domains.is_empty() { "—".to_string() } else { i.routing_domains.join(", ") };
                        view! {
                            <tr class="border-b border-slate-200 dark:border-slate-800">
                                <th scope="row" class="py-2 pr-3 font-medium">
                                    <A href=format!("/admin/idps/{}", i.id) attr:class=LINK>{i.name}</A>
                                </th>
                                <td class="py-2 pr-3 break-all">{i.issuer}</td>
                                <td class="py-2 pr-3">{i.client_id}</td>
                                <td class="py-2 pr-3">{i.realm.unwrap_or_else(|| "by the rules".to_string())}</td>
                                <td class="py-2 pr-3">{if i.jit_enabled { "on" } else { "off" }}</td>
                                <td class="py-2 pr-3">{domains}</td>
                                <td class="py-2 pr-3">{i.status}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// What an IdP form starts with: empty for a new one, the stored values for
/// an edit.
#[derive(Clone, Default)]
struct IdpDefaults {
    name: String,
    issuer: String,
    client_id: String,
    scopes: String,
    claim_mapping: String,
    realm_id: String,
    jit: bool,
    routing_domains: String,
    groups_action: String,
    groups_claim: String,
    groups_filter: Vec<String>,
    /// Editing: the secret may stay as stored.
    editing: bool,
}

/// The fields of the create and edit forms; `A` is the action they post to.
fn idp_fields<A>(
    action: ServerAction<A>,
    d: IdpDefaults,
    realms: Vec<(String, String)>,
    groups: Vec<(String, String)>,
) -> impl IntoView
where
    A: leptos::server_fn::ServerFn<Output = String, Error = AppError>
        + Clone
        + Send
        + Sync
        + 'static,
{
    let secret_hint = if d.editing {
        "Leave empty to keep the stored secret; it is never shown."
    } else {
        "Sealed when stored; it is never shown again."
    };
    let mapping = kept_value(action, "claim_mapping", d.claim_mapping);
    let realm = kept_value(action, "realm_id", d.realm_id);
    let groups_action = kept_value(action, "groups_action", d.groups_action);
    // What a refused form held, or what is stored.
    let jit = kept_value(action, "jit", if d.jit { "on" } else { "off" }.to_string()) == "on";
    let groups_filter: Vec<String> = kept_value(action, "groups_filter", d.groups_filter.join(","))
        .split(',')
        .filter(|g| !g.is_empty())
        .map(str::to_string)
        .collect();
    view! {
        {text_field("idp-name", "name", "Name", kept_value(action, "name", d.name), None, move || field_error(action, "name"))}
        {text_field("idp-issuer", "issuer", "Issuer URL", kept_value(action, "issuer", d.issuer),
            Some("Its discovery document (/.well-known/openid-configuration) is read when you save."),
            move || field_error(action, "issuer"))}
        {text_field("idp-client-id", "client_id", "Client id", kept_value(action, "client_id", d.client_id), None, move || field_error(action, "clientId"))}
        <div class="space-y-1">
            <label for="idp-secret" class="block text-sm font-medium">"Client secret"</label>
            <p id="idp-secret-hint" class="text-sm text-slate-600 dark:text-slate-400">{secret_hint}</p>
            <input id="idp-secret" name="client_secret" type="password" autocomplete="off" class="block w-full max-w-xl rounded-md border border-slate-400 bg-white px-3 py-2 text-slate-900 dark:bg-slate-900 dark:text-slate-100"
                aria-describedby="idp-secret-hint"
                aria-invalid=move || field_error(action, "clientSecret").is_some().to_string() />
            {move || field_error(action, "clientSecret").map(|m| view! { <p class="text-sm text-red-700 dark:text-red-300">{m}</p> })}
        </div>
        {text_field("idp-scopes", "scopes", "Scopes", kept_value(action, "scopes", d.scopes), None, move || field_error(action, "scopes"))}
        <div class="space-y-1">
            <label for="idp-mapping" class="block text-sm font-medium">"Claim mapping"</label>
            <p id="idp-mapping-hint" class="text-sm text-slate-600 dark:text-slate-400">
                "One profile attribute = claim a line, for example firstName = given_name. Login and email must be mapped (from standard claims); custom attributes may read any claim the IdP sends, for example partnerTier = tier."
            </p>
            <textarea id="idp-mapping" name="claim_mapping" rows="5" class="block w-full max-w-xl rounded-md border border-slate-400 bg-white px-3 py-2 font-mono text-sm text-slate-900 dark:bg-slate-900 dark:text-slate-100"
                aria-describedby=move || if field_error(action, "claimMapping").is_some() { "idp-mapping-hint idp-mapping-error" } else { "idp-mapping-hint" }
                aria-invalid=move || field_error(action, "claimMapping").is_some().to_string()>{mapping}</textarea>
            {move || field_error(action, "claimMapping").map(|m| view! { <p id="idp-mapping-error" class="text-sm text-red-700 dark:text-red-300">{m}</p> })}
        </div>
        {select_field("idp-realm", "realm_id", "Realm binding", "None: placed by the realm-assignment rules", realms, realm)}
        <div class="flex items-center gap-2">
            <input id="idp-jit" type="checkbox" name="jit" value="on" checked=jit />
            <label for="idp-jit">"Create accounts just in time at first sign-in"</label>
        </div>
        {text_field("idp-domains", "routing_domains", "Routing domains", kept_value(action, "routing_domains", d.routing_domains),
            Some("Email domains whose users are sent to this IdP, separated by commas."),
            move || field_error(action, "routingDomains"))}
        {group_sync_fields(action, groups_action, d.groups_claim, groups, groups_filter)}
    }
}

#[component]
fn IdpForm(view: IdpsView, create: ServerAction<CreateIdp>) -> impl IntoView {
    let defaults = IdpDefaults {
        scopes: "openid email profile".into(),
        claim_mapping:
            "login = email\nemail = email\nfirstName = given_name\nlastName = family_name".into(),
        jit: true,
        ..Default::default()
    };
    view! {
        <section aria-labelledby="add-idp" class="space-y-3">
            <h2 id="add-idp" class="text-lg font-semibold">"Add an OpenID Connect identity provider"</h2>
            <p class="text-sm">"Register this redirect URI at the IdP: " <code>{view.redirect_uri.clone()}</code></p>
            {move || outcome(create.value().get().filter(|r| r.is_err() && !matches!(r, Err(AppError::Validation { .. }))))}
            <ActionForm action=create attr:class="space-y-3" attr:novalidate=true>
                {idp_fields(create, defaults, view.realms, view.groups)}
                <button type="submit" class=BUTTON>"Add identity provider"</button>
            </ActionForm>
        </section>
    }
}

/// `/admin/idps/{id}`: change an identity provider, activate or deactivate it.
#[component]
pub fn IdpPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let update = ServerAction::<UpdateIdp>::new();
    let status = ServerAction::<SetIdpStatus>::new();
    let idp = Resource::new(
        move || (id(), update.version().get(), status.version().get()),
        |(id, _, _)| admin_idp(id),
    );
    view! {
        <AdminNav />
        <section class="space-y-8">
            <p><A href="/admin/idps" attr:class=LINK>"All identity providers"</A></p>
            <Suspense fallback=|| view! { <p role="status">"Loading the identity provider…"</p> }>
                {move || idp.get().map(|r| match r {
                    Ok(edit) => view! { <IdpEditor edit update status /> }.into_any(),
                    Err(AppError::NotFound) => view! {
                        <h1 class="text-2xl font-bold">"Identity provider not found"</h1>
                        <p>"There is no such identity provider."</p>
                    }.into_any(),
                    Err(e) => error_alert(&e),
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn IdpEditor(
    edit: IdpEdit,
    update: ServerAction<UpdateIdp>,
    status: ServerAction<SetIdpStatus>,
) -> impl IntoView {
    let i = edit.idp;
    let active = i.status == "ACTIVE";
    let defaults = IdpDefaults {
        name: i.name.clone(),
        issuer: i.issuer.clone(),
        client_id: i.client_id.clone(),
        scopes: i.scopes.join(" "),
        claim_mapping: edit.claim_mapping,
        realm_id: edit.realm_id,
        jit: i.jit_enabled,
        routing_domains: i.routing_domains.join(", "),
        groups_action: edit.groups_action,
        groups_claim: edit.groups_claim,
        groups_filter: edit.groups_filter,
        editing: true,
    };
    let (id, status_id) = (i.id.clone(), i.id.clone());
    view! {
        <div class="space-y-1">
            <h1 class="text-2xl font-bold">{i.name.clone()}</h1>
            <p>{if active { "Active: it signs users in." } else { "Inactive: it signs nobody in and creates no accounts; its users keep their accounts." }}</p>
            <p class="text-sm">"Redirect URI to register at the IdP: " <code>{edit.redirect_uri}</code></p>
        </div>
        {move || outcome(update.value().get().filter(|r| !matches!(r, Err(AppError::Validation { .. }))))}
        <section aria-labelledby="edit-idp" class="space-y-3">
            <h2 id="edit-idp" class="text-lg font-semibold">"Settings"</h2>
            <ActionForm action=update attr:class="space-y-3" attr:novalidate=true>
                <input type="hidden" name="id" value=id.clone() />
                <input type="hidden" name="expected" value=edit.last_updated />
                {idp_fields(update, defaults, edit.realms, edit.groups)}
                <button type="submit" class=BUTTON>"Save identity provider"</button>
            </ActionForm>
        </section>
        <section aria-labelledby="idp-status" class="space-y-2">
            <h2 id="idp-status" class="text-lg font-semibold">"Status"</h2>
            <ActionForm action=status>
                <input type="hidden" name="id" value=status_id />
                <input type="hidden" name="active" value=(!active).to_string() />
                <button type="submit" class=SMALL_BUTTON>{if active { "Deactivate identity provider" } else { "Activate identity provider" }}</button>
            </ActionForm>
            {move || outcome(status.value().get())}
        </section>
    }
}

/// Group sync from the IdP's groups claim (type-erased: the IdP form is large).
fn group_sync_fields<A>(
    action: ServerAction<A>,
    groups_action: String,
    groups_claim: String,
    groups: Vec<(String, String)>,
    groups_filter: Vec<String>,
) -> AnyView
where
    A: leptos::server_fn::ServerFn<Output = String, Error = AppError>
        + Clone
        + Send
        + Sync
        + 'static,
{
    view! {
    <fieldset class="space-y-3 rounded-md border border-slate-300 p-3 dark:border-slate-700">
        <legend class="px-1 text-sm font-medium">"Group sync from the IdP"</legend>
        <p class="text-sm text-slate-600 dark:text-slate-400">
            "At each sign-in, the groups claim's values are matched by name to the groups chosen below (groups that confer admin rights cannot be chosen)."
        </p>
        {select_field("idp-groups-action", "groups_action", "Group sync", "None", vec![
            ("APPEND".to_string(), "Add: join the named groups".to_string()),
            ("SYNC".to_string(), "Sync: join the named groups and leave the others listed here".to_string()),
        ], if groups_action == "NONE" { String::new() } else { groups_action })}
        {move || field_error(action, "groupsAction").map(|m| view! { <p class="text-sm text-red-700 dark:text-red-300">{m}</p> })}
        {text_field("idp-groups-claim", "groups_claim", "Groups claim", kept_value(action, "groups_claim", groups_claim),
            Some("The claim that holds the user's group names, for example groups."),
            move || field_error(action, "groupsClaim"))}
        <fieldset class="space-y-1" aria-describedby="idp-groups-filter-error">
            <legend class="text-sm font-medium">"Groups this IdP's users may be put in"</legend>
            {groups.into_iter().enumerate().map(|(i, (id, name))| {
                let input_id = format!("idp-group-{i}");
                let checked = groups_filter.contains(&id);
                view! {
                    <div class="flex items-center gap-2">
                        <input id=input_id.clone() type="checkbox" name=format!("groups_filter[{i}]") value=id checked=checked />
                        <label for=input_id>{name}</label>
                    </div>
                }
            }).collect_view()}
            <p id="idp-groups-filter-error" class="text-sm text-red-700 dark:text-red-300">{move || field_error(action, "groupsFilter")}</p>
        </fieldset>
    </fieldset>
    }
    .into_any()
}
