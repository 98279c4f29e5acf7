//! `/admin/idps`: partner identity providers — the list (issuer, realm binding,
//! JIT, routing domains) and a form to add one. Saving reads the issuer's
//! discovery document first; the client secret is sealed and never shown.

use leptos::prelude::*;

use super::AdminNav;
use crate::components::ui::{
    error_alert, field_error, kept_value, outcome, select_field, text_field, BUTTON,
};
use crate::error::AppError;
use crate::serverfns::admin::{admin_idps, CreateIdp, IdpsView};

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
                                <th scope="row" class="py-2 pr-3 font-medium">{i.name}</th>
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

#[component]
fn IdpForm(view: IdpsView, create: ServerAction<CreateIdp>) -> impl IntoView {
    view! {
        <section aria-labelledby="add-idp" class="space-y-3">
            <h2 id="add-idp" class="text-lg font-semibold">"Add an OpenID Connect identity provider"</h2>
            <p class="text-sm">"Register this redirect URI at the IdP: " <code>{view.redirect_uri.clone()}</code></p>
            {move || outcome(create.value().get().filter(|r| r.is_err() && !matches!(r, Err(AppError::Validation { .. }))))}
            <ActionForm action=create attr:class="space-y-3" attr:novalidate=true>
                {text_field("idp-name", "name", "Name", kept_value(create, "name", String::new()), None, move || field_error(create, "name"))}
                {text_field("idp-issuer", "issuer", "Issuer URL", kept_value(create, "issuer", String::new()),
                    Some("Its discovery document (/.well-known/openid-configuration) is read when you save."),
                    move || field_error(create, "issuer"))}
                {text_field("idp-client-id", "client_id", "Client id", kept_value(create, "client_id", String::new()), None, move || field_error(create, "clientId"))}
                <div class="space-y-1">
                    <label for="idp-secret" class="block text-sm font-medium">"Client secret"</label>
                    <input id="idp-secret" name="client_secret" type="password" autocomplete="off" class="block w-full max-w-xl rounded-md border border-slate-400 bg-white px-3 py-2 text-slate-900 dark:bg-slate-900 dark:text-slate-100"
                        aria-invalid=move || field_error(create, "clientSecret").is_some().to_string() />
                    {move || field_error(create, "clientSecret").map(|m| view! { <p class="text-sm text-red-700 dark:text-red-300">{m}</p> })}
                </div>
                {text_field("idp-scopes", "scopes", "Scopes", kept_value(create, "scopes", "openid email profile".to_string()), None, move || field_error(create, "scopes"))}
                {select_field("idp-realm", "realm_id", "Realm binding", "None: placed by the realm-assignment rules", view.realms, String::new())}
                <div class="flex items-center gap-2">
                    <input id="idp-jit" type="checkbox" name="jit" value="on" checked=true />
                    <label for="idp-jit">"Create accounts just in time at first sign-in"</label>
                </div>
                {text_field("idp-domains", "routing_domains", "Routing domains", kept_value(create, "routing_domains", String::new()),
                    Some("Email domains whose users are sent to this IdP, separated by commas."),
                    move || field_error(create, "routingDomains"))}
                <button type="submit" class=BUTTON>"Add identity provider"</button>
            </ActionForm>
        </section>
    }
}
