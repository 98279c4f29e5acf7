//! Which account an org-IdP identity signs into. An account is bound to the
//! identity (issuer, sub) that first signed into it: later sign-ins find it by
//! that pair only. The first sign-in finds it by a *verified* email address,
//! and only when no other identity holds it — never an account that a partner
//! IdP created or is linked to, and never one linked to another org-IdP
//! subject.

use sqlx::Row;

use super::{clock, Store, StoreError};
use crate::ids::UserId;
use crate::model::{User, UserStatus};

/// Why an org-IdP identity signs into no account.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrgSignInError {
    #[error("There is no account for {0} here. Ask your administrator for access.")]
    UnknownUser(String),
    #[error("Your identity provider did not verify the email address {0}, so it cannot sign you in here.")]
    UnverifiedEmail(String),
    #[error("The account {0} signs in through its partner's identity provider, not this one.")]
    PartnerAccount(String),
    #[error("The account {0} is bound to another identity. Ask your administrator.")]
    LinkedElsewhere(String),
    #[error("Your account is {0}: you cannot sign in.")]
    NotActive(UserStatus),
}

/// What the org IdP asserted about the person signing in.
#[derive(Debug, Clone)]
pub struct OrgIdentity<'a> {
    pub issuer: &'a str,
    pub subject: &'a str,
    pub email: Option<&'a str>,
    pub email_verified: bool,
}

impl Store {
    /// The account `identity` signs into (see the module's rules), binding it
    /// to the identity at the first sign-in. The login shown in errors and the
    /// System Log is the asserted email (or the subject).
    pub async fn system_admit_org_identity(
        &self,
        identity: &OrgIdentity<'_>,
    ) -> Result<Result<User, OrgSignInError>, StoreError> {
        let shown = identity.email.unwrap_or(identity.subject).to_string();
        let linked: Option<String> = sqlx::query_scalar(
            "SELECT user_id FROM org_idp_links WHERE issuer = $1 AND subject = $2",
        )
        .bind(identity.issuer)
        .bind(identity.subject)
        .fetch_optional(&self.pool)
        .await?;
        if let Some(id) = linked {
            let id = UserId::parse(&id).map_err(|e| StoreError::Internal(e.to_string()))?;
            return Ok(match self.system_user_by_id(&id).await? {
                None => Err(OrgSignInError::UnknownUser(shown)),
                Some(u) if u.status != UserStatus::Active => {
                    Err(OrgSignInError::NotActive(u.status))
                }
                Some(u) => Ok(u),
            });
        }
        let Some(email) = identity.email.filter(|e| !e.trim().is_empty()) else {
            return Ok(Err(OrgSignInError::UnknownUser(shown)));
        };
        let Some(user) = self.system_user_by_login(email).await? else {
            return Ok(Err(OrgSignInError::UnknownUser(shown)));
        };
        if !identity.email_verified {
            return Ok(Err(OrgSignInError::UnverifiedEmail(shown)));
        }
        if user.profile_source_id.is_some() {
            return Ok(Err(OrgSignInError::PartnerAccount(shown)));
        }
        let holders = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM idp_user_links WHERE user_id = $1) AS partner, \
             (SELECT COUNT(*) FROM org_idp_links WHERE user_id = $1) AS org",
        )
        .bind(user.id.as_str())
        .fetch_one(&self.pool)
        .await?;
        let partner: i64 = holders.try_get("partner")?;
        let org: i64 = holders.try_get("org")?;
        if partner > 0 {
            return Ok(Err(OrgSignInError::PartnerAccount(shown)));
        }
        if org > 0 {
            return Ok(Err(OrgSignInError::LinkedElsewhere(shown)));
        }
        if user.status != UserStatus::Active {
            return Ok(Err(OrgSignInError::NotActive(user.status)));
        }
        // Bind the account to this identity, with its event, in one
        // transaction; a concurrent first sign-in of another subject loses
        // on the unique (issuer, user_id) key.
        let mut tx = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO org_idp_links (issuer, subject, user_id, created) VALUES ($1, $2, $3, $4) \
             ON CONFLICT DO NOTHING",
        )
        .bind(identity.issuer)
        .bind(identity.subject)
        .bind(user.id.as_str())
        .bind(clock::now())
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() != 1 {
            return Ok(Err(OrgSignInError::LinkedElsewhere(shown)));
        }
        let event = super::audit::Event::success(
            "user.identity.link",
            "Link user to the org identity provider",
            super::audit::Actor::system(),
        )
        .target(super::users::user_target(&user))
        .debug("issuer", identity.issuer)
        .debug("externalId", identity.subject);
        super::audit::append(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(Ok(user))
    }
}
