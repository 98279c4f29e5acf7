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
pub mod routes;
pub mod serverfns;
#[cfg(feature = "ssr")]
pub mod store;
pub mod views;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{Lazy, ParamSegment, SsrMode, StaticSegment};

use crate::components::layout::Layout;
use crate::pages::not_found::NotFound;
use crate::routes::*;

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
                    <Route path=StaticSegment("") view={Lazy::<HomeRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=StaticSegment("users") view={Lazy::<UsersRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=(StaticSegment("users"), StaticSegment("new")) view={Lazy::<CreateUserRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=(StaticSegment("users"), StaticSegment("import")) view={Lazy::<ImportRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=(StaticSegment("users"), StaticSegment("import"), ParamSegment("id")) view={Lazy::<ImportJobRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=(StaticSegment("users"), ParamSegment("id")) view={Lazy::<UserRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=StaticSegment("groups") view={Lazy::<GroupsRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=(StaticSegment("groups"), ParamSegment("id")) view={Lazy::<GroupRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=StaticSegment("apps") view={Lazy::<AppsRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=(StaticSegment("apps"), ParamSegment("id")) view={Lazy::<AppRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=StaticSegment("activity") view={Lazy::<ActivityRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=StaticSegment("realms") view={Lazy::<RealmsRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=StaticSegment("admin") view={Lazy::<ConsoleRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=(StaticSegment("admin"), StaticSegment("realms")) view={Lazy::<AdminRealmsRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=(StaticSegment("admin"), StaticSegment("realms"), ParamSegment("id")) view={Lazy::<AdminRealmRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=(StaticSegment("admin"), StaticSegment("wizard")) view={Lazy::<WizardRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=(StaticSegment("admin"), StaticSegment("rules")) view={Lazy::<RulesRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=(StaticSegment("admin"), StaticSegment("rules"), StaticSegment("new")) view={Lazy::<NewRuleRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=(StaticSegment("admin"), StaticSegment("rules"), ParamSegment("id")) view={Lazy::<RuleRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=(StaticSegment("admin"), StaticSegment("operations"), ParamSegment("id")) view={Lazy::<OperationRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=(StaticSegment("admin"), StaticSegment("roles")) view={Lazy::<RolesRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=(StaticSegment("admin"), StaticSegment("directory")) view={Lazy::<DirectoryRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=(StaticSegment("admin"), StaticSegment("idps")) view={Lazy::<IdpsRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=(StaticSegment("admin"), StaticSegment("idps"), ParamSegment("id")) view={Lazy::<IdpRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=(StaticSegment("admin"), StaticSegment("explain")) view={Lazy::<ExplainRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=StaticSegment("api-tokens") view={Lazy::<TokensRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=StaticSegment("login") view={Lazy::<LoginRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=StaticSegment("me") view={Lazy::<MeRoute>::new()} ssr=SsrMode::InOrder />
                </Routes>
            </Layout>
        </Router>
    }
}
