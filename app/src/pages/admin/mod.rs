//! The org admin console, `/admin`: for the host company's org admins (the gate
//! sends everyone else away; each server function checks again).

pub mod directory;
pub mod explain;
pub mod idps;
pub mod operations;
pub mod realms;
pub mod roles;
pub mod rules;
pub mod wizard;

use leptos::prelude::*;
use leptos_router::components::A;

const NAV_LINK: &str = "rounded px-2 py-1 hover:bg-slate-100 aria-[current=page]:font-semibold dark:hover:bg-slate-800";

/// The console's own navigation, above each of its pages.
#[component]
pub fn AdminNav() -> impl IntoView {
    view! {
        <nav aria-label="Admin console" class="mb-6 flex flex-wrap gap-2 border-b border-slate-200 pb-3 text-sm dark:border-slate-800">
            <A href="/admin" attr:class=NAV_LINK exact=true>"Overview"</A>
            <A href="/admin/realms" attr:class=NAV_LINK>"Realms"</A>
            <A href="/admin/wizard" attr:class=NAV_LINK>"Partner realm wizard"</A>
            <A href="/admin/rules" attr:class=NAV_LINK>"Realm assignment rules"</A>
            <A href="/admin/idps" attr:class=NAV_LINK>"Identity providers"</A>
            <A href="/admin/directory" attr:class=NAV_LINK>"Directory"</A>
            <A href="/admin/roles" attr:class=NAV_LINK>"Admin roles"</A>
            <A href="/admin/explain" attr:class=NAV_LINK>"Explain access"</A>
        </nav>
    }
}

#[component]
pub fn AdminHome() -> impl IntoView {
    let card = |href: &'static str, title: &'static str, text: &'static str| {
        view! {
            <li class="rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900">
                <A href=href attr:class="text-lg font-semibold text-indigo-700 underline dark:text-indigo-300">{title}</A>
                <p class="mt-1 text-sm text-slate-700 dark:text-slate-300">{text}</p>
            </li>
        }
    };
    view! {
        <AdminNav />
        <section class="space-y-6">
            <h1 class="text-2xl font-bold">"Admin console"</h1>
            <p>"Set up Secure Partner Access: realms for your partners, who may administer them, and where new users land."</p>
            <ul class="grid gap-4 sm:grid-cols-2">
                {card("/admin/realms", "Realms", "Every realm with its users by status; create, rename, set allowed domains, delete empty ones.")}
                {card("/admin/wizard", "Partner realm wizard", "A partner realm, what its admins manage and who they are — in one step.")}
                {card("/admin/rules", "Realm assignment rules", "Where new and existing users belong: rules in priority order, dry-run, then execute exactly that plan.")}
                {card("/admin/idps", "Identity providers", "Partners' own OpenID providers: routing by email domain, just-in-time accounts, realm binding.")}
                {card("/admin/directory", "Directory", "Groups, app integrations and the custom attributes of the user profile.")}
                {card("/admin/roles", "Admin roles", "Custom roles from Okta's permission catalog, resource sets and bindings.")}
                {card("/admin/explain", "Explain access", "Everything an admin can do and why; the decision for one action on one target.")}
            </ul>
        </section>
    }
}
