//! Sign-in with credentials the portal holds (see `crate::credentials`): the
//! password step with lockout, the second factor, passwords set through
//! activation and reset links or after expiry, and enrolment of
//! authenticators. The HTTP side (pages, session) is the server's
//! `hosted` module; everything that decides is here.
//!
//! Nobody is signed in during these steps: each acts for the one user the
//! password, link or pending sign-in proves, as `admit` does for IdPs, and
//! logs what it did. Answers never say whether an account exists, and
//! never repeat what was typed.

use crate::authz::Client;
use crate::credentials::passkeys::{self, PasskeyError};
use crate::credentials::passkeys::{
    Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential,
};
use crate::credentials::totp::{now_unix, TotpSecret};
use crate::credentials::{LinkPurpose, LinkToken, Policy};
use crate::ctx::Settings;
use crate::model::{self_service_exit, CredentialHolder, User, UserStatus};
use crate::store::credentials::{
    Authenticator, AuthenticatorKind, NewAuthenticator, PasswordChange, LINK_GONE,
};
use crate::store::{Store, StoreError};

/// What a hosted sign-in step answers.
#[derive(Debug, thiserror::Error)]
pub enum HostedError {
    #[error("The email or password is wrong.")]
    WrongPassword,
    #[error("Your account is locked after too many wrong passwords. {0}")]
    Locked(String),
    #[error("Your account is {0}: you cannot sign in. Ask your administrator.")]
    NotActive(UserStatus),
    #[error(
        "That code is not right, or it was already used. Wait for the next code and try again."
    )]
    WrongCode,
    #[error("The passkey could not be verified. Try again, or use another way to sign in.")]
    Passkey,
    #[error("Your sign-in took too long. Start again.")]
    Expired,
    #[error("{1}")]
    Field(&'static str, String),
    #[error("{0}")]
    Link(String),
    #[error("Something went wrong on our side (reference {0}).")]
    Internal(String),
}

impl From<StoreError> for HostedError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(m) if m == LINK_GONE => Self::Link(m),
            other => Self::Internal(crate::error::AppError::from(other).to_string()),
        }
    }
}

fn internal(what: impl std::fmt::Display) -> HostedError {
    let reference = crate::error::new_ref_id();
    tracing::error!(%reference, error = %what, "hosted sign-in failed");
    HostedError::Internal(reference)
}

/// The next step after a right password (or a link's new password).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Next {
    /// Signed in: nothing more to do.
    Done,
    /// A second factor: one of the enrolled authenticators.
    Verify,
    /// The password expired: a new one first.
    ChangePassword,
    /// The policy requires a second factor and none is enrolled.
    Enroll,
}

/// Whether `user` signs in with the portal's own credentials.
pub async fn signs_in_here(store: &Store, user: &User) -> Result<bool, StoreError> {
    Ok(matches!(
        store.credential_holder(user).await?,
        CredentialHolder::Portal { .. }
    ))
}

/// The password step: a wrong password counts toward the lockout; a locked
/// account is refused until it unlocks (time or admin); the answer for an
/// unknown account is the same as for a wrong password and takes as long.
pub async fn check_password(
    store: &Store,
    settings: &Settings,
    login: &str,
    password: &str,
    client: &Client,
) -> Result<(User, Next), HostedError> {
    let hasher = settings.credentials.hasher();
    let user = match store.system_user_by_login(login.trim()).await? {
        Some(user) => user,
        None => {
            hasher.burn(password).await;
            store
                .system_hosted_sign_in_failed(None, login, "UNKNOWN_USER", client)
                .await?;
            return Err(HostedError::WrongPassword);
        }
    };
    let user = store.system_unlock_if_due(user).await?;
    let record = store.system_password(&user.id).await?;
    let Some(record) = record else {
        hasher.burn(password).await;
        store
            .system_hosted_sign_in_failed(Some(&user), login, "NO_PASSWORD", client)
            .await?;
        return Err(HostedError::WrongPassword);
    };
    let policy = store.realm_policy(&user.realm_id).await?;
    if user.status == UserStatus::LockedOut {
        hasher.burn(password).await;
        store
            .system_hosted_sign_in_failed(Some(&user), login, "LOCKED_OUT", client)
            .await?;
        return Err(HostedError::Locked(unlock_hint(&policy)));
    }
    let right = hasher
        .verify(password, &record.hash)
        .await
        .map_err(internal)?;
    if !right {
        let locked = store.system_password_failed(&user, &policy, client).await?;
        return Err(if locked {
            HostedError::Locked(unlock_hint(&policy))
        } else {
            HostedError::WrongPassword
        });
    }
    if !matches!(
        user.status,
        UserStatus::Active | UserStatus::PasswordExpired
    ) {
        store
            .system_hosted_sign_in_failed(Some(&user), login, "NOT_ACTIVE", client)
            .await?;
        return Err(HostedError::NotActive(user.status));
    }
    store.system_password_succeeded(&user.id).await?;
    let expired = user.status == UserStatus::PasswordExpired
        || record.expired
        || policy.expired(&record.changed, time::OffsetDateTime::now_utc());
    let next = if expired {
        Next::ChangePassword
    } else {
        after_password(store, &user, &policy).await?
    };
    Ok((user, next))
}

/// After a right (or newly set) password: a factor to verify, one to
/// enrol, or done.
pub async fn after_password(
    store: &Store,
    user: &User,
    policy: &Policy,
) -> Result<Next, HostedError> {
    let enrolled = store.system_authenticators(&user.id).await?;
    Ok(if !enrolled.is_empty() {
        Next::Verify
    } else if policy.require_mfa {
        Next::Enroll
    } else {
        Next::Done
    })
}

fn unlock_hint(policy: &Policy) -> String {
    if policy.lockout_minutes > 0 {
        format!(
            "Try again in {} minutes, reset your password, or ask your administrator to unlock it.",
            policy.lockout_minutes
        )
    } else {
        "Reset your password, or ask your administrator to unlock it.".into()
    }
}

/// A TOTP code from one of `user`'s authenticator apps: right for now and
/// not used before.
pub async fn verify_totp(
    store: &Store,
    settings: &Settings,
    user: &User,
    code: &str,
) -> Result<(), HostedError> {
    for app in store.system_authenticators(&user.id).await? {
        if app.kind != AuthenticatorKind::Totp {
            continue;
        }
        let secret = open_secret(settings, &app)?;
        let last = u64::try_from(app.last_step).unwrap_or(0);
        if let Some(step) = secret.accept(code, now_unix(), last).map_err(internal)? {
            let step = i64::try_from(step).map_err(internal)?;
            if store.system_use_totp_step(&app.id, step).await? {
                return Ok(());
            }
        }
    }
    Err(HostedError::WrongCode)
}

fn open_secret(settings: &Settings, app: &Authenticator) -> Result<TotpSecret, HostedError> {
    let sealed = app.secret_sealed.as_deref().unwrap_or_default();
    let plain = settings.secrets.open(sealed).map_err(internal)?;
    Ok(TotpSecret::from_base32(&plain))
}

/// Why `password` (typed twice) cannot be `user`'s new password, if it
/// cannot: the policy, the repeat, and the history (the current and last N
/// passwords).
pub async fn new_password_problem(
    store: &Store,
    settings: &Settings,
    user: &User,
    password: &str,
    repeat: &str,
) -> Result<Option<(&'static str, String)>, HostedError> {
    let policy = store.realm_policy(&user.realm_id).await?;
    if let Some(why) = policy.refuse(password, user) {
        return Ok(Some(("password", why)));
    }
    if password != repeat {
        return Ok(Some((
            "repeat",
            "The two passwords are not the same.".into(),
        )));
    }
    let hasher = settings.credentials.hasher();
    for old in store
        .system_password_history(&user.id, policy.history_count)
        .await?
    {
        if hasher.verify(password, &old).await.map_err(internal)? {
            return Ok(Some((
                "password",
                format!(
                    "Choose a password you have not used recently (the last {} are remembered).",
                    policy.history_count + 1
                ),
            )));
        }
    }
    Ok(None)
}

/// Sets a new password for `user` after the policy accepts it.
async fn set_password(
    store: &Store,
    settings: &Settings,
    user: &User,
    password: &str,
    repeat: &str,
    change: PasswordChange,
    client: &Client,
) -> Result<User, HostedError> {
    if let Some((field, why)) =
        new_password_problem(store, settings, user, password, repeat).await?
    {
        return Err(HostedError::Field(field, why));
    }
    let policy = store.realm_policy(&user.realm_id).await?;
    let hash = settings
        .credentials
        .hasher()
        .hash(password)
        .await
        .map_err(internal)?;
    Ok(store
        .system_set_password(&user.id, &hash, policy.history_count, change, client)
        .await?)
}

/// The user a link opens, if it still works and the user may use it now.
pub async fn link_user(
    store: &Store,
    token: &str,
    purpose: LinkPurpose,
) -> Result<User, HostedError> {
    let hash = LinkToken::presented(token).hash();
    let user = store
        .system_link_user(&hash, purpose)
        .await?
        .ok_or_else(|| HostedError::Link(LINK_GONE.into()))?;
    let holder = store.credential_holder(&user).await?;
    let usable = match purpose {
        LinkPurpose::Activation => user.status == UserStatus::Provisioned,
        LinkPurpose::Recovery => {
            user.status == UserStatus::Active || self_service_exit(user.status, holder).is_some()
        }
    };
    if !usable || holder == CredentialHolder::Federated {
        return Err(HostedError::Link(LINK_GONE.into()));
    }
    Ok(user)
}

/// Sets the password through an activation or reset link (used up here).
pub async fn set_password_by_link(
    store: &Store,
    settings: &Settings,
    token: &str,
    purpose: LinkPurpose,
    password: &str,
    repeat: &str,
    client: &Client,
) -> Result<User, HostedError> {
    let user = link_user(store, token, purpose).await?;
    let hash = LinkToken::presented(token).hash();
    let change = match purpose {
        LinkPurpose::Activation => PasswordChange::Activation(hash),
        LinkPurpose::Recovery => PasswordChange::Recovery(hash),
    };
    set_password(store, settings, &user, password, repeat, change, client).await
}

/// A new password for a user whose password expired (it has just typed
/// the old one right).
pub async fn change_expired_password(
    store: &Store,
    settings: &Settings,
    user: &User,
    password: &str,
    repeat: &str,
    client: &Client,
) -> Result<User, HostedError> {
    set_password(
        store,
        settings,
        user,
        password,
        repeat,
        PasswordChange::Expired,
        client,
    )
    .await
}

/// The signed-in user changes its own password: the current one first.
pub async fn change_own_password(
    store: &Store,
    settings: &Settings,
    user: &User,
    current: &str,
    password: &str,
    repeat: &str,
    client: &Client,
) -> Result<User, HostedError> {
    let record = store.system_password(&user.id).await?.ok_or_else(|| {
        HostedError::Field("current", "You have no password here to change.".into())
    })?;
    let hasher = settings.credentials.hasher();
    if !hasher
        .verify(current, &record.hash)
        .await
        .map_err(internal)?
    {
        return Err(HostedError::Field(
            "current",
            "That is not your current password.".into(),
        ));
    }
    set_password(
        store,
        settings,
        user,
        password,
        repeat,
        PasswordChange::SelfService,
        client,
    )
    .await
}

/// "Forgot password": mails a reset link when `email` is the login of a
/// user whose credentials the portal holds and who may use one; says
/// nothing either way (the caller answers the same for every address).
pub async fn request_recovery(
    store: &Store,
    settings: &Settings,
    email: &str,
    client: &Client,
) -> Result<(), HostedError> {
    let Some(user) = store.system_user_by_login(email.trim()).await? else {
        return Ok(());
    };
    let holder = store.credential_holder(&user).await?;
    let may = matches!(holder, CredentialHolder::Portal { has_password: true })
        && (user.status == UserStatus::Active || self_service_exit(user.status, holder).is_some())
        && user.status != UserStatus::Provisioned;
    if !may {
        return Ok(());
    }
    let token = LinkToken::generate();
    let ttl = settings.credentials.ttl(LinkPurpose::Recovery);
    store
        .system_request_recovery(&user, &token.hash(), ttl, client)
        .await?;
    if let Err(why) =
        crate::credentials::mail_link(&settings.credentials, &user, LinkPurpose::Recovery, &token)
            .await
    {
        tracing::warn!(user = %user.id, %why, "a self-service reset email was not sent");
    }
    Ok(())
}

/// A TOTP secret to enrol, shown to the user with its QR code.
pub struct TotpEnrollment {
    pub secret: TotpSecret,
    pub qr_svg: String,
}

/// A fresh TOTP secret for `user` (not stored until a code proves it).
pub fn start_totp(settings: &Settings, user: &User) -> Result<TotpEnrollment, HostedError> {
    let secret = TotpSecret::generate();
    let qr_svg = secret
        .qr_svg(settings.credentials.org_name(), &user.profile.login)
        .map_err(internal)?;
    Ok(TotpEnrollment { secret, qr_svg })
}

/// Enrols the TOTP app holding `secret` once `code` proves it.
pub async fn finish_totp(
    store: &Store,
    settings: &Settings,
    user: &User,
    secret: &str,
    code: &str,
    client: &Client,
) -> Result<(), HostedError> {
    let secret = TotpSecret::from_base32(secret);
    let Some(step) = secret.accept(code, now_unix(), 0).map_err(internal)? else {
        return Err(HostedError::Field(
            "code",
            "That code is not right. Check the app's clock and enter the current code.".into(),
        ));
    };
    let sealed = settings.secrets.seal(secret.base32()).map_err(internal)?;
    store
        .system_add_authenticator(
            user,
            NewAuthenticator {
                kind: AuthenticatorKind::Totp,
                name: "Authenticator app".into(),
                secret_sealed: Some(sealed),
                last_step: i64::try_from(step).map_err(internal)?,
                credential_id: None,
                passkey: None,
            },
            client,
        )
        .await?;
    Ok(())
}

/// `user`'s passkeys, as stored.
async fn passkeys_of(store: &Store, user: &User) -> Result<Vec<Passkey>, HostedError> {
    Ok(store
        .system_authenticators(&user.id)
        .await?
        .into_iter()
        .filter_map(|a| a.passkey)
        .filter_map(|json| serde_json::from_str::<Passkey>(&json).ok())
        .collect())
}

/// The WebAuthn user handle of `user`: stable, derived from its id.
fn user_handle(user: &User) -> uuid::Uuid {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(user.id.as_str().as_bytes());
    uuid::Uuid::from_slice(&digest[..16]).unwrap_or_default()
}

/// Starts registering a passkey: the options for the browser, the state to
/// keep in the session.
pub async fn start_passkey_registration(
    store: &Store,
    settings: &Settings,
    user: &User,
) -> Result<(serde_json::Value, PasskeyRegistration), HostedError> {
    let existing = passkeys_of(store, user).await?;
    let name = format!("{} {}", user.profile.first_name, user.profile.last_name);
    let (options, state) = settings
        .credentials
        .passkeys()
        .start_registration(user_handle(user), &user.profile.login, &name, &existing)
        .map_err(|e: PasskeyError| internal(e.0))?;
    let options = serde_json::to_value(options).map_err(internal)?;
    Ok((options, state))
}

/// Finishes registering a passkey named `name`.
pub async fn finish_passkey_registration(
    store: &Store,
    settings: &Settings,
    user: &User,
    name: &str,
    response: &RegisterPublicKeyCredential,
    state: &PasskeyRegistration,
    client: &Client,
) -> Result<(), HostedError> {
    let passkey = settings
        .credentials
        .passkeys()
        .finish_registration(response, state)
        .map_err(|e| {
            tracing::info!(error = %e, "a passkey registration was refused");
            HostedError::Passkey
        })?;
    let name = name.trim();
    let name = if name.is_empty() { "Passkey" } else { name };
    store
        .system_add_authenticator(
            user,
            NewAuthenticator {
                kind: AuthenticatorKind::WebAuthn,
                name: name.chars().take(60).collect(),
                secret_sealed: None,
                last_step: 0,
                credential_id: Some(passkeys::id_of(&passkey)),
                passkey: Some(serde_json::to_string(&passkey).map_err(internal)?),
            },
            client,
        )
        .await?;
    Ok(())
}

/// Starts a passkey assertion for `user` (who has passkeys).
pub async fn start_passkey_authentication(
    store: &Store,
    settings: &Settings,
    user: &User,
) -> Result<(serde_json::Value, PasskeyAuthentication), HostedError> {
    let keys = passkeys_of(store, user).await?;
    if keys.is_empty() {
        return Err(HostedError::Passkey);
    }
    let (options, state) = settings
        .credentials
        .passkeys()
        .start_authentication(&keys)
        .map_err(|e| internal(e.0))?;
    Ok((serde_json::to_value(options).map_err(internal)?, state))
}

/// Verifies a passkey assertion by one of `user`'s passkeys.
pub async fn finish_passkey_authentication(
    store: &Store,
    settings: &Settings,
    user: &User,
    response: &PublicKeyCredential,
    state: &PasskeyAuthentication,
) -> Result<(), HostedError> {
    let keys = passkeys_of(store, user).await?;
    let (credential_id, updated) = settings
        .credentials
        .passkeys()
        .finish_authentication(response, state, &keys)
        .map_err(|e| {
            tracing::info!(error = %e, "a passkey assertion was refused");
            HostedError::Passkey
        })?;
    let updated = updated
        .map(|p| serde_json::to_string(&p))
        .transpose()
        .map_err(internal)?;
    store.system_passkey_used(&credential_id, updated).await?;
    Ok(())
}

/// A completed sign-in, logged (`factor`: the second factor used, if any).
pub async fn signed_in(
    store: &Store,
    user: &User,
    factor: Option<AuthenticatorKind>,
    client: &Client,
) -> Result<(), HostedError> {
    store.system_hosted_sign_in(user, factor, client).await?;
    Ok(())
}

/// A refused sign-in step, logged with `reason`.
pub async fn refused(store: &Store, user: &User, reason: &str, client: &Client) {
    if let Err(e) = store
        .system_hosted_sign_in_failed(Some(user), &user.profile.login, reason, client)
        .await
    {
        tracing::error!(error = %e, "could not record a refused sign-in step");
    }
}
