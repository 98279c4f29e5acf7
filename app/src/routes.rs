//! Every page is a lazy route: with `cargo leptos --split` (every build in the
//! Makefile) each page's view code is its own wasm chunk, fetched when the page
//! is first shown, so the bundle every visit loads holds only the shell (router,
//! layout, gate) and what pages share. On the server the lazy view resolves at
//! once; hydration waits for the current page's chunk (`frontend`'s
//! `hydrate_from_async`).

use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

use crate::components::gate::{Gate, Needs};
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
use crate::pages::{home::HomePage, login::LoginPage, me::MePage};

/// A lazy route named `$route` whose view is the rest of the invocation.
macro_rules! lazy {
    ($route:ident, $page:ident, $($view:tt)+) => {
        #[doc = concat!("The lazy route of `", stringify!($page), "`.")]
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> AnyView {
                $($view)+.into_any()
            }
        }
    };
}

/// A lazy route for a page behind the gate: `gated!(Route, "Title", Needs, Page)`.
macro_rules! gated {
    ($route:ident, $title:tt, $needs:ident, $page:ident) => {
        lazy!(
            $route,
            $page,
            view! { <Gate title=$title needs=Needs::$needs><$page /></Gate> }
        );
    };
}

/// A lazy route for a page that decides on its own who may see it.
macro_rules! open {
    ($route:ident, $page:ident) => {
        lazy!($route, $page, view! { <$page /> });
    };
}

gated!(HomeRoute, "Home", PartnerPortal, HomePage);
gated!(UsersRoute, "Users", Admin, UsersPage);
gated!(CreateUserRoute, "Create user", Admin, CreateUserPage);
gated!(ImportRoute, "Import users", Admin, ImportPage);
gated!(ImportJobRoute, "Import", Admin, ImportJobPage);
gated!(UserRoute, "User", Admin, UserPage);
gated!(GroupsRoute, "Groups", Admin, GroupsPage);
gated!(GroupRoute, "Group", Admin, GroupPage);
gated!(AppsRoute, "Apps", Admin, AppsPage);
gated!(AppRoute, "App", Admin, AppPage);
gated!(ActivityRoute, "Activity", Admin, ActivityPage);
gated!(RealmsRoute, "Realms", Admin, RealmsPage);
gated!(ConsoleRoute, "Admin console", Console, AdminHome);
gated!(AdminRealmsRoute, "Realms · Admin", Console, AdminRealmsPage);
gated!(AdminRealmRoute, "Realm · Admin", Console, AdminRealmPage);
gated!(
    WizardRoute,
    "New partner realm · Admin",
    OrgAdmin,
    WizardPage
);
gated!(
    RulesRoute,
    "Realm assignment rules · Admin",
    OrgAdmin,
    RulesPage
);
gated!(NewRuleRoute, "New rule · Admin", OrgAdmin, RuleEditorPage);
gated!(RuleRoute, "Rule · Admin", OrgAdmin, RuleEditorPage);
gated!(OperationRoute, "Operation · Admin", Console, OperationPage);
gated!(RolesRoute, "Admin roles · Admin", OrgAdmin, RolesPage);
gated!(DirectoryRoute, "Directory · Admin", OrgAdmin, DirectoryPage);
gated!(IdpsRoute, "Identity providers · Admin", OrgAdmin, IdpsPage);
gated!(IdpRoute, "Identity provider · Admin", OrgAdmin, IdpPage);
gated!(
    ExplainRoute,
    "Explain access · Admin",
    OrgAdmin,
    ExplainPage
);
gated!(TokensRoute, "API tokens", Admin, TokensPage);
open!(LoginRoute, LoginPage);
open!(MeRoute, MePage);
