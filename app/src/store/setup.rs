//! What every installation has, created at first start and kept up to date on
//! upgrade (idempotent): the org id used in ORNs, the default realm, the
//! catch-all realm-assignment rule, and the generated "Partner Admin" role.

use super::admin::StoredPermission;
use super::{Store, StoreError};
use crate::authz::{catalog, orn, OrgContext, Principal};
use crate::ids::RoleId;

/// The setting naming the generated Partner Admin role (its id: stable
/// across renames).
pub const PARTNER_ADMIN_ROLE_SETTING: &str = "partner_admin_role_id";
/// The setting holding the generated role's definition version.
pub const PARTNER_ADMIN_VERSION_SETTING: &str = "partner_admin_role_version";

/// The generated Partner Admin role, seeded once. It is found by the id
/// recorded when it was made, never by its label (an org admin may rename
/// it), and a restart never re-adds a permission an org admin took away:
/// only permissions a later definition version introduces are added, once,
/// each with its event.
async fn generated_role(
    store: &Store,
    grant: &crate::authz::Grant,
    definition: &catalog::RoleDefinition,
    wanted: &[StoredPermission],
) -> Result<RoleId, StoreError> {
    let recorded = store
        .org_setting(PARTNER_ADMIN_ROLE_SETTING)
        .await?
        .and_then(|id| RoleId::parse(&id).ok());
    let existing = match recorded {
        Some(id) if store.role_exists(&id).await? => Some(id),
        Some(_) => None,
        // Installations from before the id was recorded: their role by label,
        // adopted once.
        None => store.role_id_by_label(definition.label).await?,
    };
    let role = match existing {
        Some(role) => role,
        None => {
            store
                .create_role(grant, definition.label, definition.description, wanted)
                .await?
        }
    };
    store
        .set_org_setting(PARTNER_ADMIN_ROLE_SETTING, role.as_str())
        .await?;
    let version: u32 = store
        .init_org_setting(
            PARTNER_ADMIN_VERSION_SETTING,
            &catalog::PARTNER_ADMIN_VERSION.to_string(),
        )
        .await?
        .parse()
        .unwrap_or(catalog::PARTNER_ADMIN_VERSION);
    if version < catalog::PARTNER_ADMIN_VERSION {
        for (since, permission) in catalog::PARTNER_ADMIN_UPGRADES {
            if *since > version {
                let stored = StoredPermission {
                    permission: permission.as_str().to_string(),
                    conditions: None,
                };
                if store.ensure_role_permission(grant, &role, &stored).await? {
                    tracing::info!(%permission, "the generated Partner Admin role gained a permission (upgrade)");
                }
            }
        }
        store
            .set_org_setting(
                PARTNER_ADMIN_VERSION_SETTING,
                &catalog::PARTNER_ADMIN_VERSION.to_string(),
            )
            .await?;
    }
    Ok(role)
}

/// Creates or upgrades what every installation has.
pub async fn bootstrap(store: &Store, public_url: &str) -> Result<OrgContext, StoreError> {
    let generated = format!("00o{}", &RoleId::generate().as_str()[3..]);
    let org_id = store.init_org_setting("org_id", &generated).await?;
    let orn = orn::OrnContext::new("okta", &org_id, public_url)
        .map_err(|e| StoreError::Internal(format!("org id: {e}")))?;
    let default_realm = store.ensure_default_realm().await?;
    store.ensure_catch_all_rule(&default_realm.id).await?;

    let system = Principal::system();
    let grant =
        crate::authz::check_iam_change(&system).map_err(|e| StoreError::Internal(e.to_string()))?;
    let definition = catalog::partner_admin_role();
    let wanted: Vec<StoredPermission> = definition
        .permissions
        .iter()
        .map(|(permission, conditions)| StoredPermission {
            permission: permission.as_str().to_string(),
            conditions: conditions
                .as_ref()
                .and_then(|c| serde_json::to_string(c).ok()),
        })
        .collect();
    let role = generated_role(store, &grant, &definition, &wanted).await?;
    Ok(OrgContext {
        orn,
        default_realm: default_realm.id,
        partner_admin_role: role,
    })
}
