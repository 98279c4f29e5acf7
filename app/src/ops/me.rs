//! The signed-in user's own view: who it is and which surfaces its rights
//! open, and its account with its apps. Any ACTIVE signed-in user may read
//! its own; nobody else's.

use crate::ctx::Ctx;
use crate::error::AppError;
use crate::views::me::{AccountView, MyApp};
use crate::views::session::SessionInfo;

/// Who the caller is, as the header shows it. No `authz::check`: it tells the
/// caller only who it is and which surfaces its own rights open
/// (`Principal::is_admin`, `is_org_admin`).
pub fn session(cx: &Ctx) -> SessionInfo {
    let actor = cx.principal.actor();
    SessionInfo {
        display_name: actor.display_name.clone(),
        login: actor.alternate_id.clone(),
        is_admin: cx.principal.is_admin(),
        is_org_admin: cx.principal.is_org_admin(),
    }
}

/// The caller's account and apps (directly and through its groups).
pub async fn account(cx: &Ctx) -> Result<AccountView, AppError> {
    let own = crate::authz::check_self(&cx.principal)?;
    let user = cx
        .store
        .system_user_by_id(&own)
        .await?
        .ok_or(AppError::NotFound)?;
    let realm = cx.store.realm_by_id(&user.realm_id).await?;
    let apps = cx
        .store
        .apps_for_user(&user.id)
        .await?
        .into_iter()
        .map(|(app, direct, groups)| {
            let mut via: Vec<String> = Vec::new();
            if direct {
                via.push("Assigned to you".into());
            }
            via.extend(groups.into_iter().map(|g| format!("Through {g}")));
            MyApp {
                label: app.label,
                sign_on_mode: app.sign_on_mode,
                via,
            }
        })
        .collect();
    Ok(AccountView {
        display_name: format!("{} {}", user.profile.first_name, user.profile.last_name),
        login: user.profile.login,
        realm: realm.name,
        apps,
    })
}
