//! Partner Portal: the Leptos application shared by the server (SSR) and the
//! browser (hydration). Server-only modules are gated at the `mod` line so the
//! wasm build cannot even name them.

// The admin console's largest views nest deeper than the default 128 type levels.
#![recursion_limit = "256"]

#[cfg(feature = "ssr")]
pub mod authn;
#[cfg(feature = "ssr")]
pub mod authz;
pub mod components;
#[cfg(feature = "ssr")]
pub mod credentials;
#[cfg(feature = "ssr")]
pub mod ctx;
pub mod error;
pub mod expr;
pub mod ids;
pub mod model;
#[cfg(feature = "ssr")]
pub mod oidc;
#[cfg(feature = "ssr")]
pub mod ops;
#[cfg(feature = "ssr")]
pub mod outbound;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod provisioning;
pub mod serverfns;
#[cfg(feature = "ssr")]
pub mod store;
pub mod views;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{ParamSegment, SsrMode, StaticSegment};

use crate::components::gate::{Gate, Needs};
use crate::components::layout::Layout;
use crate::pages::activity::ActivityPage;
use crate::pages::admin::directory::DirectoryPage;
use crate::pages::admin::explain::ExplainPage;
use crate::pages::admin::idps::{IdpPage, IdpsPage};
use crate::pages::admin::operations::OperationPage;
use crate::pages::admin::realms::{AdminRealmPage, AdminRealmsPage};
use crate::pages::admin::roles::RolesPage;
use crate::pages::admin::rules::{RuleEditorPage, RulesPage};
use crate::pages::admin::wizard::WizardPage;
use crate::pages::admin::AdminHome;
use crate::pages::apps::{AppPage, AppsPage};
use crate::pages::groups::{GroupPage, GroupsPage};
use crate::pages::imports::{ImportJobPage, ImportPage};
use crate::pages::realms::RealmsPage;
use crate::pages::tokens::TokensPage;
use crate::pages::users::{CreateUserPage, UserPage, UsersPage};
use crate::pages::{home::HomePage, login::LoginPage, me::MePage, not_found::NotFound};

/// Product name as shown to people.
pub const PRODUCT_NAME: &str = "Partner Portal";

/// The HTML document around the app; rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="/favicon.svg" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body class="min-h-screen bg-slate-50 text-slate-900 antialiased dark:bg-slate-950 dark:text-slate-100">
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/partner-portal.css" />
        <Title formatter=|page: String| {
            if page.is_empty() { PRODUCT_NAME.to_string() } else { format!("{page} · {PRODUCT_NAME}") }
        } />
        <Router>
            <Layout>
                <Routes fallback=NotFound>
                    <Route
                        path=StaticSegment("")
                        view=|| view! { <Gate title="Home" needs=Needs::PartnerPortal><HomePage /></Gate> }
                        ssr=SsrMode::InOrder
                    />
                    <Route
                        path=StaticSegment("users")
                        view=|| view! { <Gate title="Users" needs=Needs::Admin><UsersPage /></Gate> }
                        ssr=SsrMode::InOrder
                    />
                    <Route
                        path=(StaticSegment("users"), StaticSegment("new"))
                        view=|| view! { <Gate title="Create user" needs=Needs::Admin><CreateUserPage /></Gate> }
                        ssr=SsrMode::InOrder
                    />
                    <Route
                        path=(StaticSegment("users"), StaticSegment("import"))
                        view=|| view! { <Gate title="Import users" needs=Needs::Admin><ImportPage /></Gate> }
                        ssr=SsrMode::InOrder
                    />
                    <Route
                        path=(StaticSegment("users"), StaticSegment("import"), ParamSegment("id"))
                        view=|| view! { <Gate title="Import" needs=Needs::Admin><ImportJobPage /></Gate> }
                        ssr=SsrMode::InOrder
                    />
                    <Route
                        path=(StaticSegment("users"), ParamSegment("id"))
                        view=|| view! { <Gate title="User" needs=Needs::Admin><UserPage /></Gate> }
                        ssr=SsrMode::InOrder
                    />
                    <Route
                        path=StaticSegment("groups")
                        view=|| view! { <Gate title="Groups" needs=Needs::Admin><GroupsPage /></Gate> }
                        ssr=SsrMode::InOrder
                    />
                    <Route
                        path=(StaticSegment("groups"), ParamSegment("id"))
                        view=|| view! { <Gate title="Group" needs=Needs::Admin><GroupPage /></Gate> }
                        ssr=SsrMode::InOrder
                    />
                    <Route
                        path=StaticSegment("apps")
                        view=|| view! { <Gate title="Apps" needs=Needs::Admin><AppsPage /></Gate> }
                        ssr=SsrMode::InOrder
                    />
                    <Route
                        path=(StaticSegment("apps"), ParamSegment("id"))
                        view=|| view! { <Gate title="App" needs=Needs::Admin><AppPage /></Gate> }
                        ssr=SsrMode::InOrder
                    />
                    <Route
                        path=StaticSegment("activity")
                        view=|| view! { <Gate title="Activity" needs=Needs::Admin><ActivityPage /></Gate> }
                        ssr=SsrMode::InOrder
                    />
                    <Route
                        path=StaticSegment("realms")
                        view=|| view! { <Gate title="Realms" needs=Needs::Admin><RealmsPage /></Gate> }
                        ssr=SsrMode::InOrder
                    />
                    <Route
                        path=StaticSegment("admin")
                        view=|| view! { <Gate title="Admin console" needs=Needs::Console><AdminHome /></Gate> }
                        ssr=SsrMode::InOrder
                    />
                    <Route
                        path=(StaticSegment("admin"), StaticSegment("realms"))
                        view=|| view! { <Gate title="Realms · Admin" needs=Needs::Console><AdminRealmsPage /></Gate> }
                        ssr=SsrMode::InOrder
                    />
                    <Route
                        path=(StaticSegment("admin"), StaticSegment("realms"), ParamSegment("id"))
                        view=|| view! { <Gate title="Realm · Admin" needs=Needs::Console><AdminRealmPage /></Gate> }
                        ssr=SsrMode::InOrder
                    />
                    <Route
                        path=(StaticSegment("admin"), StaticSegment("wizard"))
                        view=|| view! { <Gate title="New partner realm · Admin" needs=Needs::OrgAdmin><WizardPage /></Gate> }
                        ssr=SsrMode::InOrder
                    />
                    <Route
                        path=(StaticSegment("admin"), StaticSegment("rules"))
                        view=|| view! { <Gate title="Realm assignment rules · Admin" needs=Needs::OrgAdmin><RulesPage /></Gate> }
                        ssr=SsrMode::InOrder
                    />
                    <Route
                        path=(StaticSegment("admin"), StaticSegment("rules"), StaticSegment("new"))
                        view=|| view! { <Gate title="New rule · Admin" needs=Needs::OrgAdmin><RuleEditorPage /></Gate> }
                        ssr=SsrMode::InOrder
                    />
                    <Route
                        path=(StaticSegment("admin"), StaticSegment("rules"), ParamSegment("id"))
                        view=|| view! { <Gate title="Rule · Admin" needs=Needs::OrgAdmin><RuleEditorPage /></Gate> }
                        ssr=SsrMode::InOrder
                    />
                    <Route
                        path=(StaticSegment("admin"), StaticSegment("operations"), ParamSegment("id"))
                        view=|| view! { <Gate title="Operation · Admin" needs=Needs::Console><OperationPage /></Gate> }
                        ssr=SsrMode::InOrder
                    />
                    <Route
                        path=(StaticSegment("admin"), StaticSegment("roles"))
                        view=|| view! { <Gate title="Admin roles · Admin" needs=Needs::OrgAdmin><RolesPage /></Gate> }
                        ssr=SsrMode::InOrder
                    />
                    <Route
                        path=(StaticSegment("admin"), StaticSegment("directory"))
                        view=|| view! { <Gate title="Directory · Admin" needs=Needs::OrgAdmin><DirectoryPage /></Gate> }
                        ssr=SsrMode::InOrder
                    />
                    <Route
                        path=(StaticSegment("admin"), StaticSegment("idps"))
                        view=|| view! { <Gate title="Identity providers · Admin" needs=Needs::OrgAdmin><IdpsPage /></Gate> }
                        ssr=SsrMode::InOrder
                    />
                    <Route
                        path=(StaticSegment("admin"), StaticSegment("idps"), ParamSegment("id"))
                        view=|| view! { <Gate title="Identity provider · Admin" needs=Needs::OrgAdmin><IdpPage /></Gate> }
                        ssr=SsrMode::InOrder
                    />
                    <Route
                        path=(StaticSegment("admin"), StaticSegment("explain"))
                        view=|| view! { <Gate title="Explain access · Admin" needs=Needs::OrgAdmin><ExplainPage /></Gate> }
                        ssr=SsrMode::InOrder
                    />
                    <Route
                        path=StaticSegment("api-tokens")
                        view=|| view! { <Gate title="API tokens" needs=Needs::Admin><TokensPage /></Gate> }
                        ssr=SsrMode::InOrder
                    />
                    <Route path=StaticSegment("login") view=LoginPage ssr=SsrMode::InOrder />
                    <Route path=StaticSegment("me") view=MePage ssr=SsrMode::InOrder />
                </Routes>
            </Layout>
        </Router>
    }
}
