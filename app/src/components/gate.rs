//! The browser-side half of the surface gates (the server checks before it
//! renders; see `server/src/gate.rs`): after a client-side navigation no request
//! reaches that check, so gated pages ask who is signed in and send everyone
//! else where the server would have sent them. Server functions authorize each
//! call on their own either way — this is about where people land, not data.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_location;

use crate::serverfns::session::get_current_user;

/// Which rights a gated page needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Any admin role or binding: the directory pages.
    Admin,
    /// The Partner Admin Portal's home: admins of a partner realm (admins of
    /// workforce realms only go to the console).
    PartnerPortal,
    /// The admin console's home and realm pages: realm managers too.
    Console,
    /// Org-wide admin rights: the rest of the admin console.
    OrgAdmin,
}

/// `/login?return_to=…` for the current address.
fn sign_in_path(path: &str, search: &str) -> String {
    let back = if search.is_empty() {
        path.to_string()
    } else {
        format!("{path}{search}")
    };
    let encoded = percent_encoding::utf8_percent_encode(&back, percent_encoding::NON_ALPHANUMERIC);
    format!("/login?return_to={encoded}")
}

/// Renders `children` for those the page is for; redirects the others. The
/// page's title is set here, outside the suspense (so it reaches the document
/// head of server-rendered pages too).
#[component]
pub fn Gate(title: &'static str, needs: Needs, children: ChildrenFn) -> impl IntoView {
    let user = Resource::new(|| (), |_| get_current_user());
    let location = use_location();
    let children = StoredValue::new(children);
    view! {
        <Title text=title />
        <Suspense fallback=|| view! { <p role="status">"Loading…"</p> }>
            {move || {
                user.get()
                    .map(|result| match result {
                        Ok(Some(me)) => {
                            let allowed = match needs {
                                Needs::Admin => me.is_admin,
                                Needs::PartnerPortal => me.partner_portal,
                                Needs::Console => me.console,
                                Needs::OrgAdmin => me.is_org_admin,
                            };
                            if allowed {
                                // The console's navigation shows what the
                                // caller may use.
                                provide_context(me);
                                children.read_value()().into_any()
                            } else if needs == Needs::PartnerPortal && me.console {
                                view! { <Redirect path="/admin" /> }.into_any()
                            } else if matches!(needs, Needs::Admin | Needs::PartnerPortal) {
                                view! { <Redirect path="/me" /> }.into_any()
                            } else {
                                view! {
                                    <h1 class="text-2xl font-bold">"Org admins only"</h1>
                                    <p role="alert">
                                        "The admin console is for the host company's org admins. \
                                         Your account does not hold an org admin role."
                                    </p>
                                }
                                    .into_any()
                            }
                        }
                        Ok(None) => {
                            let path = sign_in_path(
                                &location.pathname.get_untracked(),
                                &location.search.get_untracked(),
                            );
                            view! { <Redirect path=path /> }.into_any()
                        }
                        Err(e) => {
                            view! {
                                <p role="alert" class="text-red-700 dark:text-red-300">
                                    {e.to_string()}
                                </p>
                            }
                                .into_any()
                        }
                    })
            }}
        </Suspense>
    }
}
