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

use crate::views::session::SessionInfo;

const NAV_LINK: &str = "rounded px-2 py-1 hover:bg-slate-100 aria-[current=page]:font-semibold dark:hover:bg-slate-800";

/// What the caller may use of the console (the gate provides it): org admins
/// everything, realm managers the realm pages, admins of workforce realms the
/// directory pages.
pub(crate) fn console_rights() -> (bool, bool) {
    let me = use_context::<SessionInfo>();
    let org = me.as_ref().is_some_and(|m| m.is_org_admin);
    let realms = org || me.as_ref().is_some_and(|m| m.manages_realms);
    (org, realms)
}

/// The console's pages: (address, title, what it is for), and whether only
/// org admins get it.
const PAGES: [(&str, &str, &str, bool); 7] = [
    ("/admin/realms", "Realms", "Every realm you manage with its users by status; rename, set the type and allowed domains, delete empty ones.", false),
    ("/admin/wizard", "Partner realm wizard", "A partner realm, what its admins manage and who they are — in one step.", true),
    ("/admin/rules", "Realm assignment rules", "Where new and existing users belong: rules in priority order, dry-run, then execute exactly that plan.", true),
    ("/admin/idps", "Identity providers", "Partners' own OpenID providers: routing by email domain, just-in-time accounts, realm binding, group sync.", true),
    ("/admin/directory", "Directory", "Groups, app integrations and the custom attributes of the user profile.", true),
    ("/admin/roles", "Admin roles", "Custom roles from Okta's permission catalog, resource sets and bindings.", true),
    ("/admin/explain", "Explain access", "Everything an admin can do and why; the decision for one action on one target.", true),
];

/// The pages the caller may use: org admins every one, realm managers the
/// realm pages, admins of workforce realms the directory's users page.
fn usable_pages() -> Vec<(&'static str, &'static str, &'static str)> {
    let (org, realms) = console_rights();
    let mut pages: Vec<_> = PAGES
        .iter()
        .filter(|(href, _, _, org_only)| {
            if *org_only {
                org
            } else {
                realms && href.starts_with("/admin/realms")
            }
        })
        .map(|(href, title, text, _)| (*href, *title, *text))
        .collect();
    if !org {
        pages.push((
            "/users",
            "Users",
            "The users of your realms: create, edit, lifecycle, groups and apps.",
        ));
    }
    pages
}

/// The console's own navigation, above each of its pages: only what the
/// caller may use.
#[component]
pub fn AdminNav() -> impl IntoView {
    let links = usable_pages()
        .into_iter()
        .map(|(href, title, _)| view! { <A href=href attr:class=NAV_LINK>{title}</A> })
        .collect_view();
    view! {
        <nav aria-label="Admin console" class="mb-6 flex flex-wrap gap-2 border-b border-slate-200 pb-3 text-sm dark:border-slate-800">
            <A href="/admin" attr:class=NAV_LINK exact=true>"Overview"</A>
            {links}
        </nav>
    }
}

#[component]
pub fn AdminHome() -> impl IntoView {
    let cards = usable_pages()
        .into_iter()
        .map(|(href, title, text)| {
            view! {
                <li class="rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900">
                    <A href=href attr:class="text-lg font-semibold text-indigo-700 underline dark:text-indigo-300">{title}</A>
                    <p class="mt-1 text-sm text-slate-700 dark:text-slate-300">{text}</p>
                </li>
            }
        })
        .collect_view();
    view! {
        <AdminNav />
        <section class="space-y-6">
            <h1 class="text-2xl font-bold">"Admin console"</h1>
            <p>"Set up Secure Partner Access: realms for your partners, who may administer them, and where new users land."</p>
            <ul class="grid gap-4 sm:grid-cols-2">{cards}</ul>
        </section>
    }
}
