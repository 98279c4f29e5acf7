//! The signed-in user's own view: who it is and which surfaces its rights
//! open, and its account with its apps. Any ACTIVE signed-in user may read
//! its own; nobody else's.

use crate::ctx::Ctx;
use crate::error::AppError;
use crate::model::CredentialHolder;
use crate::views::me::{AccountView, MyApp, MySecurity, MySession};
use crate::views::session::SessionInfo;

/// Who the caller is, as the header shows it. No `authz::check`: it tells the
/// caller only who it is and which surfaces its own rights open
/// (`Principal::is_admin`, `is_org_admin`, `realm_bound`, and
/// `authz::scope(okta.realms.read)` for the console).
pub async fn session(cx: &Ctx) -> Result<SessionInfo, AppError> {
    let principal = &cx.principal;
    let actor = principal.actor();
    let is_admin = principal.is_admin();
    let partner_portal = is_admin && reaches_a_partner_realm(cx).await?;
    let manages_realms =
        !crate::authz::scope(principal, crate::authz::Permission::RealmsManage).is_empty();
    Ok(SessionInfo {
        display_name: actor.display_name.clone(),
        login: actor.alternate_id.clone(),
        is_admin,
        is_org_admin: principal.is_org_admin(),
        // Admins of workforce realms only have the console as their home.
        console: principal.is_org_admin() || (is_admin && !partner_portal) || manages_realms,
        manages_realms,
        partner_portal,
    })
}

/// Whether the caller's rights reach a partner realm (or beyond realms): a
/// realm's type decides whether its admins get the Partner Admin Portal.
async fn reaches_a_partner_realm(cx: &Ctx) -> Result<bool, AppError> {
    let Some(realms) = cx.principal.realm_bound() else {
        return Ok(true);
    };
    if realms.is_empty() {
        return Ok(false);
    }
    let partner = cx.store.partner_realm_ids().await?;
    Ok(realms.iter().any(|r| partner.contains(r)))
}

/// The caller's account and apps (directly and through its groups).
pub async fn account(cx: &Ctx) -> Result<AccountView, AppError> {
    let user = own_user(cx).await?;
    let realm = cx.store.realm_by_id(&user.realm_id).await?;
    let mut launch = cx.store.launch_targets(&user.id).await?;
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
                href: launch.remove(app.id.as_str()),
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

/// The caller's sign-in settings: its password (when the portal holds it),
/// authenticators and sessions (`current`: this request's session id).
pub async fn security(cx: &Ctx, current: Option<&str>) -> Result<MySecurity, AppError> {
    let user = own_user(cx).await?;
    let holder = cx.store.credential_holder(&user).await?;
    let authenticators = cx.store.system_authenticators(&user.id).await?.len();
    let sessions = cx
        .store
        .sessions_of_user(&user.id)
        .await?
        .into_iter()
        .map(|s| MySession {
            handle: crate::credentials::token_hash(&s.id)[..16].to_string(),
            current: current == Some(s.id.as_str()),
            signed_in: s.signed_in,
            expires: s.expires,
        })
        .collect();
    Ok(MySecurity {
        has_password: matches!(holder, CredentialHolder::Portal { has_password: true }),
        credentials: match holder {
            CredentialHolder::Federated => "You sign in through your organization's identity provider: your password and authenticators are managed there.".into(),
            CredentialHolder::Portal { .. } => "You sign in with a password and authenticators held by Partner Portal.".into(),
        },
        authenticators,
        sessions,
    })
}

/// The caller changes its own password (the current one first).
pub async fn change_password(
    cx: &Ctx,
    current: &str,
    password: &str,
    repeat: &str,
) -> Result<String, AppError> {
    let user = own_user(cx).await?;
    let client = cx.principal.client().clone();
    match crate::authn::hosted::change_own_password(
        &cx.store,
        &cx.settings,
        &user,
        current,
        password,
        repeat,
        &client,
    )
    .await
    {
        Ok(_) => Ok("Password changed.".into()),
        Err(crate::authn::hosted::HostedError::Field(field, message)) => {
            Err(AppError::validation(field, message))
        }
        Err(e) => Err(AppError::conflict(e.to_string())),
    }
}

/// Ends one of the caller's own sessions (by its handle); never another
/// user's.
pub async fn end_session(cx: &Ctx, handle: &str) -> Result<String, AppError> {
    let own = crate::authz::check_self(&cx.principal)?;
    let sessions = cx.store.sessions_of_user(&own).await?;
    let Some(session) = sessions
        .iter()
        .find(|s| crate::credentials::token_hash(&s.id)[..16] == *handle)
    else {
        return Err(AppError::NotFound);
    };
    cx.store.end_own_session(&own, &session.id).await?;
    Ok("Session ended.".into())
}

/// The caller itself (`authz::check_self`): its own record, nobody else's.
async fn own_user(cx: &Ctx) -> Result<crate::model::User, AppError> {
    let own = crate::authz::check_self(&cx.principal)?;
    cx.store
        .system_user_by_id(&own)
        .await?
        .ok_or(AppError::NotFound)
}
