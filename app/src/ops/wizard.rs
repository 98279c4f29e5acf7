//! The partner realm wizard: a partner realm, its resource set (the realm, its
//! users, the chosen groups and apps), the generated Partner Admin role bound
//! to the named admins (existing usernames and/or one new admin created in
//! the realm) and optionally a partner IdP — checked as a whole, reviewed
//! without writing anything, then created in one transaction, all or nothing.

use crate::authz::{check, check_delegation, orn, scope, Permission, Target};
use crate::ctx::Ctx;
use crate::error::{AppError, FieldError};
use crate::ids::{AppId, GroupId, RealmId};
use crate::model::{BaseProfile, Realm, RealmType};
use crate::store::realms::NewRealm;
use crate::store::users::NewUser;
use crate::store::wizard::{PartnerRealmGrants, PartnerRealmPlan};
use crate::store::StoreError;
use crate::views::admin::{WizardChoices, WizardReview};

use super::access::org_level;
use super::realms::parse_domains;

/// Groups and apps a partner realm's resource set may include.
pub async fn choices(cx: &Ctx) -> Result<WizardChoices, AppError> {
    org_level(&cx.principal, Permission::RealmsManage)?;
    let groups = cx
        .store
        .list_groups(&scope(&cx.principal, Permission::GroupsRead))
        .await?
        .into_iter()
        .map(|g| (g.id.to_string(), g.name))
        .collect();
    let apps = cx
        .store
        .list_apps(&scope(&cx.principal, Permission::AppsRead))
        .await?
        .into_iter()
        .map(|a| (a.id.to_string(), a.label))
        .collect();
    Ok(WizardChoices { groups, apps })
}

/// The wizard's review step: checks everything the wizard would create and
/// describes it; writes nothing and makes no outbound request.
pub async fn review(cx: &Ctx, input: Input) -> Result<WizardReview, AppError> {
    let (_, _, review) = prepare(
        cx,
        Input {
            idp_secret: None,
            ..input
        },
    )
    .await?;
    Ok(review)
}

/// The wizard's form.
#[derive(Clone)]
pub struct Input {
    pub name: String,
    pub domains: String,
    pub groups: Vec<String>,
    pub apps: Vec<String>,
    pub existing_admins: String,
    /// email, first name, last name.
    pub new_admin: [String; 3],
    /// Where the new admin lives: `realm` (the realm it manages, the default)
    /// or `default` (the default realm, as Okta recommends).
    pub admin_home: String,
    /// A partner IdP for the realm: issuer, client id (both empty: none).
    pub idp: [String; 2],
    /// Its client secret: given when creating, never in the review's address.
    pub idp_secret: Option<String>,
}

/// Creates the partner realm and everything with it; returns the realm.
pub async fn create(cx: &Ctx, input: Input) -> Result<Realm, AppError> {
    let (grants, plan, _) = prepare(cx, input).await?;
    let created = cx
        .store
        .create_partner_realm(&grants, plan)
        .await
        .map_err(|e| match e {
            crate::store::StoreError::Invalid(fields) => AppError::fields(
                fields
                    .into_iter()
                    .map(|f| {
                        let field = match f.field.as_str() {
                            "newAdmins.0.login" | "newAdmins.0.email" => "newAdminEmail",
                            "newAdmins.0.firstName" => "newAdminFirstName",
                            "newAdmins.0.lastName" => "newAdminLastName",
                            other => other,
                        };
                        FieldError::new(field, f.message)
                    })
                    .collect(),
            ),
            other => other.into(),
        })?;
    Ok(created.realm)
}

/// Checks the whole form and builds the plan, its grants and its review.
async fn prepare(
    cx: &Ctx,
    input: Input,
) -> Result<(PartnerRealmGrants, PartnerRealmPlan, WizardReview), AppError> {
    let Input {
        name,
        domains,
        groups,
        apps,
        existing_admins,
        new_admin: [email, first_name, last_name],
        admin_home,
        idp: [idp_issuer, idp_client_id],
        idp_secret,
    } = input;
    let (store, org, principal) = (&cx.store, &cx.org, &cx.principal);
    let realm_grant = org_level(principal, Permission::RealmsManage)?;
    // The wizard binds a role: role management is for org admins.
    let binding_grant = crate::authz::check_iam_change(principal)?;
    let realm_id = RealmId::generate();
    let mut errors: Vec<FieldError> = Vec::new();
    let name = name.trim().to_string();
    if name.is_empty() || name.chars().count() > 255 {
        errors.push(FieldError::new(
            "name",
            "Enter a name of 1 to 255 characters.",
        ));
    } else if store.realm_by_name(&name).await?.is_some() {
        errors.push(FieldError::new(
            "name",
            "A realm with this name already exists.",
        ));
    }
    let domain_list = match crate::store::realms::validate_domains(&parse_domains(&domains)) {
        Ok(d) => d,
        Err(StoreError::Invalid(f)) => {
            errors.extend(f);
            Vec::new()
        }
        Err(e) => return Err(e.into()),
    };
    let mut described = vec![
        format!("The realm {name} itself (view it)"),
        format!("Users in {name}"),
    ];

    // The resource set: the realm, its users, the chosen groups and apps —
    // each one the caller can see.
    let mut orns = vec![org.orn_realm(&realm_id), org.orn_realm_users(&realm_id)];
    let mut resources = vec![
        orn::Resource::Realm(realm_id.clone()),
        orn::Resource::UsersInRealm(realm_id.clone()),
    ];
    let visible_groups = store
        .list_groups(&scope(principal, Permission::GroupsRead))
        .await?;
    for raw in groups.iter().filter(|g| !g.is_empty()) {
        match GroupId::parse(raw.trim())
            .ok()
            .and_then(|id| visible_groups.iter().find(|g| g.id == id))
        {
            Some(group) => {
                orns.push(org.orn_group(&group.id));
                resources.push(orn::Resource::Group(group.id.clone()));
                described.push(format!(
                    "Group {} (its members within the realm)",
                    group.name
                ));
            }
            None => errors.push(FieldError::new("groups", "Choose among the listed groups.")),
        }
    }
    let visible_apps = store
        .list_apps(&scope(principal, Permission::AppsRead))
        .await?;
    for raw in apps.iter().filter(|a| !a.is_empty()) {
        match AppId::parse(raw.trim())
            .ok()
            .and_then(|id| visible_apps.iter().find(|a| a.id == id))
        {
            Some(app) => {
                orns.push(org.orn_app(&app.name, &app.id));
                resources.push(orn::Resource::App {
                    id: app.id.clone(),
                    app_type: orn::AppType::parse(&app.name).ok(),
                });
                described.push(format!("App {}", app.label));
            }
            None => errors.push(FieldError::new("apps", "Choose among the listed apps.")),
        }
    }

    // Admins: existing usernames (any realm the caller can read) …
    let mut existing = Vec::new();
    let mut admin_names = Vec::new();
    for login in existing_admins
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|l| !l.is_empty())
    {
        match super::users::find_by_login(cx, login).await? {
            Some(user) => {
                admin_names.push(format!(
                    "{} {} ({})",
                    user.profile.first_name, user.profile.last_name, user.profile.login
                ));
                existing.push(user.id);
            }
            None => errors.push(FieldError::new(
                "existingAdmins",
                format!("There is no user {login}."),
            )),
        }
    }
    // … and one new admin, created in the realm or in the default realm.
    let admins_realm = match admin_home.trim() {
        "" | "realm" => None,
        "default" => Some(store.default_realm().await?),
        _ => {
            return Err(AppError::validation(
                "adminHome",
                "Choose the realm it manages or the default realm.",
            ))
        }
    };
    let mut new_admins = Vec::new();
    let any_new = [&email, &first_name, &last_name]
        .iter()
        .any(|v| !v.trim().is_empty());
    let mut new_admin = None;
    if any_new {
        let user = NewUser {
            realm_id: realm_id.clone(),
            profile: BaseProfile {
                login: email.trim().to_string(),
                email: email.trim().to_string(),
                first_name: first_name.trim().to_string(),
                last_name: last_name.trim().to_string(),
                ..BaseProfile::default()
            },
            custom_profile: serde_json::Map::new(),
            activate: true,
            profile_source_id: None,
        };
        let prospective = admins_realm.clone().unwrap_or_else(|| Realm {
            id: realm_id.clone(),
            name: name.clone(),
            realm_type: RealmType::Partner,
            is_default: false,
            domains: domain_list.clone(),
            created: String::new(),
            last_updated: String::new(),
        });
        for f in crate::store::users::validate_profile(&user.profile, &prospective) {
            let field = match f.field.as_str() {
                "login" | "email" => "newAdminEmail",
                "firstName" => "newAdminFirstName",
                "lastName" => "newAdminLastName",
                other => other,
            };
            if !errors.iter().any(|e| e.field == field) {
                errors.push(FieldError::new(field, f.message));
            }
        }
        if store
            .system_user_by_login(&user.profile.login)
            .await?
            .is_some()
        {
            errors.push(FieldError::new(
                "newAdminEmail",
                "A user with this username exists; name it under existing users instead.",
            ));
        }
        new_admin = Some(format!(
            "{} {} <{}> — new, created active in {}",
            user.profile.first_name,
            user.profile.last_name,
            user.profile.email,
            admins_realm.as_ref().map_or_else(
                || "the realm".to_string(),
                |r| format!("the default realm ({})", r.name)
            )
        ));
        new_admins.push(user);
    }
    if existing.is_empty() && new_admins.is_empty() {
        errors.push(FieldError::new(
            "existingAdmins",
            "Name at least one partner admin: an existing username or a new admin below.",
        ));
    }
    // An optional partner IdP, bound to the realm, routing its domains.
    let idp_issuer = idp_issuer.trim().to_string();
    let mut idp = None;
    let mut idp_described = None;
    if !idp_issuer.is_empty() || !idp_client_id.trim().is_empty() {
        if idp_client_id.trim().is_empty() {
            errors.push(FieldError::new(
                "idpClientId",
                "Enter the client id registered at the IdP.",
            ));
        }
        org_level(principal, Permission::IdentityProvidersManage)?;
        let outbound = cx.settings.outbound;
        if let Err(e) = outbound.check_issuer(&idp_issuer) {
            errors.push(FieldError::new(
                "idpIssuer",
                format!("Enter the issuer's https:// URL: this one {e}."),
            ));
        } else if idp_secret.is_some() {
            // Only creating fetches the issuer's configuration: the review
            // (a GET page too) makes no outbound request.
            let provider = crate::authn::OidcProvider::with_policy(
                &idp_issuer,
                idp_client_id.trim(),
                "",
                "http://localhost",
                outbound,
            )
            .map_err(|e| AppError::validation("idpIssuer", e))?;
            if let Err(e) = provider.check_discovery().await {
                errors.push(FieldError::new("idpIssuer", e));
            }
        }
        idp_described = Some(format!(
            "{name} IdP: {idp_issuer} (client {}), just-in-time accounts, routing {}",
            idp_client_id.trim(),
            if domain_list.is_empty() {
                "no domains".to_string()
            } else {
                domain_list.join(", ")
            }
        ));
        if let Some(secret) = idp_secret.as_ref() {
            if secret.is_empty() {
                errors.push(FieldError::new(
                    "idpClientSecret",
                    "Enter the IdP's client secret.",
                ));
            } else if errors.is_empty() {
                let prepared = store
                    .prepare_idp(
                        crate::store::idps::NewIdp {
                            name: format!("{name} IdP"),
                            issuer: idp_issuer.clone(),
                            client_id: idp_client_id.trim().to_string(),
                            client_secret: secret.clone(),
                            scopes: vec!["openid".into(), "email".into(), "profile".into()],
                            claim_mapping: serde_json::Map::new(),
                            realm_id: Some(realm_id.clone()),
                            jit_enabled: true,
                            routing_domains: domain_list.clone(),
                            groups: Default::default(),
                        },
                        &cx.settings.secrets,
                        false,
                    )
                    .await;
                match prepared {
                    Ok(p) => idp = Some(p),
                    Err(StoreError::Invalid(fields)) => {
                        errors.extend(fields.into_iter().map(|f| {
                            let field = match f.field.as_str() {
                                "name" => "idpName".to_string(),
                                "issuer" => "idpIssuer".to_string(),
                                "clientId" => "idpClientId".to_string(),
                                "clientSecret" => "idpClientSecret".to_string(),
                                other => other.to_string(),
                            };
                            FieldError::new(field, f.message)
                        }))
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(AppError::fields(errors));
    }
    // Nobody binds more than it holds.
    let role_permissions: Vec<Permission> = store
        .role_permissions(&binding_grant, &org.partner_admin_role)
        .await?
        .iter()
        .filter_map(|p| p.permission.parse().ok())
        .collect();
    check_delegation(principal, &role_permissions, &resources)?;
    let users_grant = if new_admins.is_empty() {
        None
    } else {
        Some(check(
            principal,
            Permission::UsersCreate,
            &Target::NewUserIn {
                realm_id: admins_realm
                    .as_ref()
                    .map_or_else(|| realm_id.clone(), |r| r.id.clone()),
            },
        )?)
    };
    let idp_grant = if idp.is_some() {
        Some(org_level(principal, Permission::IdentityProvidersManage)?)
    } else {
        None
    };
    let resource_set_label = format!("{name} partner administration");
    let review = WizardReview {
        idp: idp_described,
        realm: name.clone(),
        domains: domain_list.clone(),
        resource_set: resource_set_label.clone(),
        resources: described,
        admins: admin_names,
        new_admin,
    };
    Ok((
        PartnerRealmGrants {
            binding: binding_grant.clone(),
            realm: realm_grant,
            users: users_grant,
            idp: idp_grant,
        },
        PartnerRealmPlan {
            realm_id,
            realm: NewRealm {
                name,
                realm_type: RealmType::Partner,
                domains: domain_list,
            },
            resource_set_label,
            orns,
            role: org.partner_admin_role.clone(),
            existing_admins: existing,
            new_admins,
            admins_realm: admins_realm.clone(),
            idp,
        },
        review,
    ))
}
