//! The delegated admin model as stored: custom roles and their permissions,
//! resource sets and their resources, bindings and their members, and standard
//! role assignments. Permission strings and ORNs are validated by `authz` before
//! they get here; what comes back out is parsed by `authz` again.

use std::collections::HashMap;

use sqlx::Row;

use super::audit::{self, Event};
use super::demand::Demand;
use super::dialect::Constraint;
use super::{clock, Store, StoreError};
use crate::authz::{Grant, Permission};
use crate::ids::{AppId, GroupId, ResourceId, ResourceSetId, RoleId, UserId};
use crate::model::{RoleTarget, StandardRole};

/// A user or a group, as a member of a binding or a standard role.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Member {
    User(UserId),
    Group(GroupId),
}

impl Member {
    fn kind(&self) -> &'static str {
        match self {
            Member::User(_) => "USER",
            Member::Group(_) => "GROUP",
        }
    }

    fn audit_target(&self) -> audit::Target {
        audit::Target {
            id: self.id().to_string(),
            target_type: match self {
                Member::User(_) => "User".into(),
                Member::Group(_) => "UserGroup".into(),
            },
            alternate_id: self.id().to_string(),
            display_name: self.id().to_string(),
            realm_id: None,
        }
    }

    fn id(&self) -> &str {
        match self {
            Member::User(id) => id.as_str(),
            Member::Group(id) => id.as_str(),
        }
    }
}

pub use crate::authz::facts::{BindingRow, RightsRows, StandardRow, StoredPermission};

impl Store {
    /// Everything that confers rights on `user`, directly or through its groups.
    pub async fn rights_rows(&self, user: &UserId) -> Result<RightsRows, StoreError> {
        self.rights_rows_where(
            "(m.member_type = 'USER' AND m.member_id = $1) OR (m.member_type = 'GROUP' AND m.member_id IN \
             (SELECT group_id FROM group_members WHERE user_id = $1))",
            user.as_str(),
        )
        .await
    }

    /// The groups that confer any admin right on their members (a standard
    /// role or a binding): few, whatever the directory's size.
    pub async fn groups_conferring_rights(
        &self,
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        sqlx::query_scalar(
            "SELECT member_id FROM standard_role_assignments WHERE member_type = 'GROUP' \
             UNION SELECT member_id FROM binding_members WHERE member_type = 'GROUP'",
        )
        .fetch_all(&self.pool)
        .await
        .map(|ids: Vec<String>| ids.into_iter().collect())
        .map_err(StoreError::from_sqlx)
    }

    /// The rights a group confers on its members.
    pub async fn group_rights_rows(&self, group: &GroupId) -> Result<RightsRows, StoreError> {
        self.rights_rows_where(
            "m.member_type = 'GROUP' AND m.member_id = $1",
            group.as_str(),
        )
        .await
    }

    /// One statement for all of it (this runs on every request: the caller's
    /// rights): standard roles (`S`), bindings (`B`), the bound roles'
    /// permissions (`P`) and the bound sets' resources (`R`).
    async fn rights_rows_where(&self, members: &str, id: &str) -> Result<RightsRows, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT 'S' AS kind, m.role_type AS a, m.id AS b, CAST(NULL AS TEXT) AS c, \
                    CAST(NULL AS TEXT) AS d, \
                    CASE WHEN m.member_type = 'GROUP' THEN m.member_id END AS via_group \
             FROM standard_role_assignments m WHERE {members} \
             UNION ALL \
             SELECT 'G', t.assignment_id, t.group_id, NULL, NULL, NULL FROM standard_role_group_targets t \
             WHERE t.assignment_id IN (SELECT m.id FROM standard_role_assignments m WHERE {members}) \
             UNION ALL \
             SELECT 'A', t.assignment_id, t.app_id, NULL, NULL, NULL FROM standard_role_app_targets t \
             WHERE t.assignment_id IN (SELECT m.id FROM standard_role_assignments m WHERE {members}) \
             UNION ALL \
             SELECT 'B', m.resource_set_id, rs.label, m.role_id, r.label, \
                    CASE WHEN m.member_type = 'GROUP' THEN m.member_id END \
             FROM binding_members m \
             JOIN resource_sets rs ON rs.id = m.resource_set_id \
             JOIN roles r ON r.id = m.role_id \
             WHERE {members} \
             UNION ALL \
             SELECT 'P', p.role_id, p.permission, p.conditions, NULL, NULL FROM role_permissions p \
             WHERE p.role_id IN (SELECT m.role_id FROM binding_members m WHERE {members}) \
             UNION ALL \
             SELECT 'R', rr.resource_set_id, rr.orn, NULL, NULL, NULL FROM resource_set_resources rr \
             WHERE rr.resource_set_id IN (SELECT m.resource_set_id FROM binding_members m WHERE {members})"
        ))
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let internal = |e: crate::ids::IdError| StoreError::Internal(e.to_string());
        let mut standard = Vec::new();
        let mut bindings = Vec::new();
        let mut permissions: HashMap<String, Vec<StoredPermission>> = HashMap::new();
        let mut resources: HashMap<String, Vec<String>> = HashMap::new();
        let mut targets: HashMap<String, Vec<RoleTarget>> = HashMap::new();
        for row in rows {
            let text = |column: &str| row.try_get::<Option<String>, _>(column);
            let (kind, a, b, c, d, via) = (|| {
                Ok::<_, sqlx::Error>((
                    text("kind")?.unwrap_or_default(),
                    text("a")?.unwrap_or_default(),
                    text("b")?,
                    text("c")?,
                    text("d")?,
                    text("via_group")?.and_then(|g| GroupId::parse(&g).ok()),
                ))
            })()?;
            match kind.as_str() {
                "S" => standard.push((
                    b.unwrap_or_default(),
                    StandardRow {
                        role: a,
                        via_group: via,
                        targets: Vec::new(),
                    },
                )),
                "G" => targets.entry(a).or_default().push(RoleTarget::Group(
                    GroupId::parse(b.as_deref().unwrap_or_default()).map_err(internal)?,
                )),
                "A" => targets.entry(a).or_default().push(RoleTarget::App(
                    AppId::parse(b.as_deref().unwrap_or_default()).map_err(internal)?,
                )),
                "B" => bindings.push(BindingRow {
                    resource_set_id: ResourceSetId::parse(&a).map_err(internal)?,
                    resource_set_label: b.unwrap_or_default(),
                    role_id: RoleId::parse(c.as_deref().unwrap_or_default()).map_err(internal)?,
                    role_label: d.unwrap_or_default(),
                    via_group: via,
                    permissions: Vec::new(),
                    resources: Vec::new(),
                }),
                "P" => permissions.entry(a).or_default().push(StoredPermission {
                    permission: b.unwrap_or_default(),
                    conditions: c,
                }),
                _ => resources.entry(a).or_default().push(b.unwrap_or_default()),
            }
        }
        for list in permissions.values_mut() {
            list.sort_by(|x, y| x.permission.cmp(&y.permission));
        }
        for list in resources.values_mut() {
            list.sort();
        }
        bindings.sort_by(|x, y| {
            (x.resource_set_id.as_str(), x.role_id.as_str())
                .cmp(&(y.resource_set_id.as_str(), y.role_id.as_str()))
        });
        for binding in &mut bindings {
            binding.permissions = permissions
                .get(binding.role_id.as_str())
                .cloned()
                .unwrap_or_default();
            binding.resources = resources
                .get(binding.resource_set_id.as_str())
                .cloned()
                .unwrap_or_default();
        }
        let standard = standard
            .into_iter()
            .map(|(id, mut row)| {
                row.targets = targets.remove(&id).unwrap_or_default();
                row.targets.sort();
                row
            })
            .collect();
        Ok(RightsRows { standard, bindings })
    }

    pub async fn role_permissions(
        &self,
        grant: &Grant,
        role: &RoleId,
    ) -> Result<Vec<StoredPermission>, StoreError> {
        grant.demand_org(Permission::IamRead)?;
        sqlx::query("SELECT permission, conditions FROM role_permissions WHERE role_id = $1 ORDER BY permission")
            .bind(role.as_str())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| {
                Ok(StoredPermission {
                    permission: row.try_get("permission")?,
                    conditions: row.try_get("conditions")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(StoreError::from_sqlx)
    }

    pub async fn resource_set_orns(
        &self,
        grant: &Grant,
        rs: &ResourceSetId,
    ) -> Result<Vec<String>, StoreError> {
        grant.demand_org(Permission::IamRead)?;
        sqlx::query_scalar(
            "SELECT orn FROM resource_set_resources WHERE resource_set_id = $1 ORDER BY orn",
        )
        .bind(rs.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::from_sqlx)
    }

    pub async fn role_id_by_label(&self, label: &str) -> Result<Option<RoleId>, StoreError> {
        let id: Option<String> = sqlx::query_scalar("SELECT id FROM roles WHERE lower(label) = $1")
            .bind(label.trim().to_ascii_lowercase())
            .fetch_optional(&self.pool)
            .await?;
        Ok(id.and_then(|id| RoleId::parse(&id).ok()))
    }

    /// Creates a custom role with validated permissions (`authz` checked them).
    pub async fn create_role(
        &self,
        grant: &Grant,
        label: &str,
        description: &str,
        permissions: &[StoredPermission],
    ) -> Result<RoleId, StoreError> {
        grant.demand_iam_change()?;
        let label = label.trim();
        if label.is_empty() || label.chars().count() > 255 {
            return Err(StoreError::invalid(
                "label",
                "Enter a label of 1 to 255 characters.",
            ));
        }
        if permissions.is_empty() {
            return Err(StoreError::invalid(
                "permissions",
                "Choose at least one permission.",
            ));
        }
        let id = RoleId::generate();
        let now = clock::now();
        let mut tx = self.begin_write().await?;
        let roles: i64 = sqlx::query_scalar("SELECT count(*) FROM roles")
            .fetch_one(&mut *tx)
            .await?;
        super::limits::at_most(
            roles + 1,
            super::limits::CUSTOM_ROLES,
            "An org",
            "custom roles",
            "delete one first.",
        )?;
        sqlx::query("INSERT INTO roles (id, label, description, created, last_updated) VALUES ($1, $2, $3, $4, $4)")
            .bind(id.as_str())
            .bind(label)
            .bind(description)
            .bind(&now)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::map_constraint(e, &[Constraint::RolesLabel]))?;
        for p in permissions {
            sqlx::query(
                "INSERT INTO role_permissions (role_id, permission, conditions, created, last_updated) \
                 VALUES ($1, $2, $3, $4, $4)",
            )
            .bind(id.as_str())
            .bind(&p.permission)
            .bind(&p.conditions)
            .bind(&now)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::map_constraint(e, &[]))?;
        }
        let event = Event::by_grant("iam.role.create", "Create custom admin role", grant)
            .target(audit::Target {
                id: id.to_string(),
                target_type: "ROLE".into(),
                alternate_id: label.to_string(),
                display_name: label.to_string(),
                realm_id: None,
            })
            .debug(
                "permissions",
                permissions
                    .iter()
                    .map(|p| p.permission.clone())
                    .collect::<Vec<_>>(),
            );
        audit::append(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Creates a resource set from canonical ORNs (`authz` parsed them).
    pub async fn create_resource_set(
        &self,
        grant: &Grant,
        label: &str,
        description: &str,
        orns: &[String],
    ) -> Result<ResourceSetId, StoreError> {
        let mut tx = self.begin_write().await?;
        let id = insert_resource_set(&mut tx, grant, label, description, orns).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Binds `role` on `rs` to `members` (creating the binding if needed).
    pub async fn add_binding_members(
        &self,
        grant: &Grant,
        rs: &ResourceSetId,
        role: &RoleId,
        members: &[Member],
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        insert_binding_members(&mut tx, grant, rs, role, members).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Grants `role` to `member` org-wide ([`Store::assign_standard_role_for`]
    /// without targets).
    pub async fn assign_standard_role(
        &self,
        grant: &Grant,
        member: &Member,
        role: StandardRole,
    ) -> Result<(), StoreError> {
        self.assign_standard_role_for(grant, member, role, &[])
            .await
    }

    /// Grants `role` to `member` with `targets` (none: org-wide), with
    /// `user.account.privilege.grant` naming the targets. A role takes only
    /// targets of its kind. Granting again adds targets to a targeted
    /// assignment; an org-wide one is not narrowed, nor a targeted one
    /// widened, by a grant (take it back first): a conflict.
    pub async fn assign_standard_role_for(
        &self,
        grant: &Grant,
        member: &Member,
        role: StandardRole,
        targets: &[RoleTarget],
    ) -> Result<(), StoreError> {
        grant.demand_iam_change()?;
        role.check_targets(targets)
            .map_err(|e| StoreError::invalid("targets", e.to_string()))?;
        let mut tx = self.begin_write().await?;
        let now = clock::now();
        let inserted = sqlx::query(
            "INSERT INTO standard_role_assignments (id, member_type, member_id, role_type, created) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(ResourceId::generate().as_str())
        .bind(member.kind())
        .bind(member.id())
        .bind(role.as_str())
        .bind(&now)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        let id: String = sqlx::query_scalar(
            "SELECT id FROM standard_role_assignments \
             WHERE member_type = $1 AND member_id = $2 AND role_type = $3",
        )
        .bind(member.kind())
        .bind(member.id())
        .bind(role.as_str())
        .fetch_one(&mut *tx)
        .await?;
        if !inserted {
            let held = assignment_targets(&mut tx, &id).await?;
            match (held.is_empty(), targets.is_empty()) {
                (true, true) => return Ok(()),
                (true, false) => {
                    return Err(StoreError::Conflict(format!(
                        "{} already holds {role} org-wide; take it back first to grant it with targets.",
                        member.id()
                    )))
                }
                (false, true) => {
                    return Err(StoreError::Conflict(format!(
                        "{} already holds {role} for {} target{}; take it back first to grant it org-wide.",
                        member.id(),
                        held.len(),
                        if held.len() == 1 { "" } else { "s" }
                    )))
                }
                (false, false) => {}
            }
        }
        let mut added = Vec::new();
        for target in targets {
            let new = insert_target(&mut tx, &id, target, &now).await?;
            if new {
                added.push(target.clone());
            }
        }
        if inserted || !added.is_empty() {
            let event = Event::by_grant(
                "user.account.privilege.grant",
                "Grant user privilege",
                grant,
            )
            .target(member.audit_target())
            .debug("role", role.as_str())
            .debug("targets", targets_json(&added));
            audit::append(&mut tx, &event).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Targets as the System Log's debug data names them: `[{type, id}]`.
/// Narrows standard role assignment `id` to `target` (a group or an app);
/// `false` when it already was. A target gone meanwhile is a field error.
async fn insert_target(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    id: &str,
    target: &RoleTarget,
    now: &str,
) -> Result<bool, StoreError> {
    let (table, column) = match target {
        RoleTarget::Group(_) => ("standard_role_group_targets", "group_id"),
        RoleTarget::App(_) => ("standard_role_app_targets", "app_id"),
    };
    let inserted = sqlx::query(&format!(
        "INSERT INTO {table} (assignment_id, {column}, created) VALUES ($1, $2, $3) \
         ON CONFLICT DO NOTHING"
    ))
    .bind(id)
    .bind(target.id())
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(|e| match StoreError::map_constraint(e, &[]) {
        StoreError::Conflict(_) => StoreError::invalid("targets", "A target no longer exists."),
        other => other,
    })?;
    Ok(inserted.rows_affected() == 1)
}

fn targets_json(targets: &[RoleTarget]) -> serde_json::Value {
    targets
        .iter()
        .map(|t| {
            serde_json::json!({
                "type": match t { RoleTarget::Group(_) => "GROUP", RoleTarget::App(_) => "APP" },
                "id": t.id(),
            })
        })
        .collect::<Vec<_>>()
        .into()
}

/// The targets of assignment `id` (none: org-wide), groups then apps.
async fn assignment_targets(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    id: &str,
) -> Result<Vec<RoleTarget>, StoreError> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT 'GROUP', group_id FROM standard_role_group_targets WHERE assignment_id = $1 \
         UNION ALL SELECT 'APP', app_id FROM standard_role_app_targets WHERE assignment_id = $1",
    )
    .bind(id)
    .fetch_all(&mut **tx)
    .await?;
    let mut out = rows
        .into_iter()
        .map(|(kind, id)| target_of(&kind, &id))
        .collect::<Result<Vec<_>, _>>()?;
    out.sort();
    Ok(out)
}

fn target_of(kind: &str, id: &str) -> Result<RoleTarget, StoreError> {
    let internal = |e: crate::ids::IdError| StoreError::Internal(e.to_string());
    Ok(match kind {
        "GROUP" => RoleTarget::Group(GroupId::parse(id).map_err(internal)?),
        _ => RoleTarget::App(AppId::parse(id).map_err(internal)?),
    })
}

/// What `delete_unheld` removes: a custom role or a resource set.
struct Unheld {
    what: &'static str,
    table: &'static str,
    /// Its column in `binding_members` and in the dependent tables.
    member_column: &'static str,
    dependents: [&'static str; 2],
    action: &'static str,
    display: &'static str,
    target_type: &'static str,
}

const ROLE: Unheld = Unheld {
    what: "role",
    table: "roles",
    member_column: "role_id",
    dependents: ["bindings", "role_permissions"],
    action: "iam.role.delete",
    display: "Delete custom admin role",
    target_type: "ROLE",
};

const RESOURCE_SET: Unheld = Unheld {
    what: "resource set",
    table: "resource_sets",
    member_column: "resource_set_id",
    dependents: ["bindings", "resource_set_resources"],
    action: "iam.resourceset.delete",
    display: "Delete resource set",
    target_type: "RESOURCE_SET",
};

/// (resource set, its label, role, its label, member type, member id, member name).
type BindingMemberRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// A standard role assignment as the console lists it: the member's login
/// or group name, and each target with its group name or app label (none:
/// org-wide).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StandardAssignmentRecord {
    pub role: StandardRole,
    pub member: Member,
    pub name: String,
    pub targets: Vec<(RoleTarget, String)>,
}

/// A custom role as the console lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleRecord {
    pub id: RoleId,
    pub label: String,
    pub description: String,
    pub permissions: Vec<StoredPermission>,
}

/// A resource set with its resources (canonical ORNs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceSetRecord {
    pub id: ResourceSetId,
    pub label: String,
    pub description: String,
    pub orns: Vec<String>,
}

/// A binding: a role on a resource set, and who holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindingRecord {
    pub resource_set_id: ResourceSetId,
    pub resource_set_label: String,
    pub role_id: RoleId,
    pub role_label: String,
    /// (member, display name: the login or the group's name).
    pub members: Vec<(Member, String)>,
}

impl Store {
    /// Every custom role with its permissions, by label.
    pub async fn list_roles(&self, grant: &Grant) -> Result<Vec<RoleRecord>, StoreError> {
        grant.demand_org(Permission::IamRead)?;
        let rows: Vec<(String, String, String)> =
            sqlx::query_as("SELECT id, label, description FROM roles ORDER BY lower(label), id")
                .fetch_all(&self.pool)
                .await?;
        let mut roles = Vec::with_capacity(rows.len());
        for (id, label, description) in rows {
            let id = RoleId::parse(&id).map_err(|e| StoreError::Internal(e.to_string()))?;
            roles.push(RoleRecord {
                permissions: self.role_permissions(grant, &id).await?,
                id,
                label,
                description,
            });
        }
        Ok(roles)
    }

    /// Every resource set with its resources, by label.
    pub async fn list_resource_sets(
        &self,
        grant: &Grant,
    ) -> Result<Vec<ResourceSetRecord>, StoreError> {
        grant.demand_org(Permission::IamRead)?;
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT id, label, description FROM resource_sets ORDER BY lower(label), id",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut sets = Vec::with_capacity(rows.len());
        for (id, label, description) in rows {
            let id = ResourceSetId::parse(&id).map_err(|e| StoreError::Internal(e.to_string()))?;
            sets.push(ResourceSetRecord {
                orns: self.resource_set_orns(grant, &id).await?,
                id,
                label,
                description,
            });
        }
        Ok(sets)
    }

    /// Every binding with its members.
    pub async fn list_bindings(&self, grant: &Grant) -> Result<Vec<BindingRecord>, StoreError> {
        grant.demand_org(Permission::IamRead)?;
        let rows: Vec<BindingMemberRow> =
            sqlx::query_as(
                "SELECT b.resource_set_id, rs.label, b.role_id, r.label, m.member_type, m.member_id, \
                 COALESCE(u.login, g.name) \
                 FROM bindings b JOIN resource_sets rs ON rs.id = b.resource_set_id JOIN roles r ON r.id = b.role_id \
                 LEFT JOIN binding_members m ON m.resource_set_id = b.resource_set_id AND m.role_id = b.role_id \
                 LEFT JOIN users u ON m.member_type = 'USER' AND u.id = m.member_id \
                 LEFT JOIN groups g ON m.member_type = 'GROUP' AND g.id = m.member_id \
                 ORDER BY lower(rs.label), lower(r.label), m.member_type, 7",
            )
            .fetch_all(&self.pool)
            .await?;
        let mut out: Vec<BindingRecord> = Vec::new();
        for (rs, rs_label, role, role_label, kind, member, name) in rows {
            let rs = ResourceSetId::parse(&rs).map_err(|e| StoreError::Internal(e.to_string()))?;
            let role = RoleId::parse(&role).map_err(|e| StoreError::Internal(e.to_string()))?;
            let same = out
                .last()
                .is_some_and(|b| b.resource_set_id == rs && b.role_id == role);
            if !same {
                out.push(BindingRecord {
                    resource_set_id: rs,
                    resource_set_label: rs_label,
                    role_id: role,
                    role_label,
                    members: Vec::new(),
                });
            }
            let member = match (kind.as_deref(), member) {
                (Some("USER"), Some(id)) => UserId::parse(&id).ok().map(Member::User),
                (Some("GROUP"), Some(id)) => GroupId::parse(&id).ok().map(Member::Group),
                _ => None,
            };
            if let (Some(member), Some(last)) = (member, out.last_mut()) {
                last.members.push((member, name.unwrap_or_default()));
            }
        }
        Ok(out)
    }

    /// Replaces a custom role's label, description and permissions
    /// (`iam.role.update`); whoever holds the role has the new rights at once.
    pub async fn update_role(
        &self,
        grant: &Grant,
        id: &RoleId,
        label: &str,
        description: &str,
        permissions: &[StoredPermission],
    ) -> Result<(), StoreError> {
        grant.demand_iam_change()?;
        let label = label.trim();
        if label.is_empty() || label.chars().count() > 255 {
            return Err(StoreError::invalid(
                "label",
                "Enter a label of 1 to 255 characters.",
            ));
        }
        if permissions.is_empty() {
            return Err(StoreError::invalid(
                "permissions",
                "Choose at least one permission.",
            ));
        }
        let now = clock::now();
        let mut tx = self.begin_write().await?;
        let updated = sqlx::query(
            "UPDATE roles SET label = $1, description = $2, last_updated = $3 WHERE id = $4",
        )
        .bind(label)
        .bind(description)
        .bind(&now)
        .bind(id.as_str())
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::map_constraint(e, &[Constraint::RolesLabel]))?;
        if updated.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM role_permissions WHERE role_id = $1")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        for p in permissions {
            sqlx::query(
                "INSERT INTO role_permissions (role_id, permission, conditions, created, last_updated) \
                 VALUES ($1, $2, $3, $4, $4)",
            )
            .bind(id.as_str())
            .bind(&p.permission)
            .bind(&p.conditions)
            .bind(&now)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::map_constraint(e, &[]))?;
        }
        let event = Event::by_grant("iam.role.update", "Update custom admin role", grant)
            .target(audit::Target {
                id: id.to_string(),
                target_type: "ROLE".into(),
                alternate_id: label.to_string(),
                display_name: label.to_string(),
                realm_id: None,
            })
            .debug(
                "permissions",
                permissions
                    .iter()
                    .map(|p| p.permission.clone())
                    .collect::<Vec<_>>(),
            );
        audit::append(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds resources (canonical ORNs) to a resource set
    /// (`iam.resourceset.resources.add`), or removes them (`…delete`).
    pub async fn change_resources(
        &self,
        grant: &Grant,
        rs: &ResourceSetId,
        add: &[String],
        remove: &[String],
    ) -> Result<(), StoreError> {
        grant.demand_iam_change()?;
        let now = clock::now();
        let mut tx = self.begin_write().await?;
        let exists: Option<String> =
            sqlx::query_scalar("SELECT id FROM resource_sets WHERE id = $1")
                .bind(rs.as_str())
                .fetch_optional(&mut *tx)
                .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound);
        }
        let mut added = Vec::new();
        for orn in add {
            let inserted = sqlx::query(
                "INSERT INTO resource_set_resources (id, resource_set_id, orn, created, last_updated) \
                 VALUES ($1, $2, $3, $4, $4) ON CONFLICT DO NOTHING",
            )
            .bind(ResourceId::generate().as_str())
            .bind(rs.as_str())
            .bind(orn)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
            if inserted.rows_affected() == 1 {
                added.push(orn.clone());
            }
        }
        let mut removed = Vec::new();
        for orn in remove {
            let deleted = sqlx::query(
                "DELETE FROM resource_set_resources WHERE resource_set_id = $1 AND orn = $2",
            )
            .bind(rs.as_str())
            .bind(orn)
            .execute(&mut *tx)
            .await?;
            if deleted.rows_affected() == 1 {
                removed.push(orn.clone());
            }
        }
        let count: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM resource_set_resources WHERE resource_set_id = $1",
        )
        .bind(rs.as_str())
        .fetch_one(&mut *tx)
        .await?;
        if count > super::limits::RESOURCES_PER_SET {
            return Err(StoreError::invalid(
                "resources",
                "A resource set holds at most 1,000 resources, as in Okta.",
            ));
        }
        let target = audit::Target {
            id: rs.to_string(),
            target_type: "RESOURCE_SET".into(),
            alternate_id: rs.to_string(),
            display_name: rs.to_string(),
            realm_id: None,
        };
        if !added.is_empty() {
            let event = Event::by_grant(
                "iam.resourceset.resources.add",
                "Add resources to resource set",
                grant,
            )
            .target(target.clone())
            .debug("resources", added);
            audit::append(&mut tx, &event).await?;
        }
        if !removed.is_empty() {
            let event = Event::by_grant(
                "iam.resourceset.resources.delete",
                "Remove resources from resource set",
                grant,
            )
            .target(target)
            .debug("resources", removed);
            audit::append(&mut tx, &event).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The roles bound on a resource set (to check delegation on a change).
    pub async fn roles_bound_on(
        &self,
        grant: &Grant,
        rs: &ResourceSetId,
    ) -> Result<Vec<RoleId>, StoreError> {
        grant.demand_org(Permission::IamRead)?;
        let ids: Vec<String> =
            sqlx::query_scalar("SELECT role_id FROM bindings WHERE resource_set_id = $1")
                .bind(rs.as_str())
                .fetch_all(&self.pool)
                .await?;
        ids.iter()
            .map(|i| RoleId::parse(i).map_err(|e| StoreError::Internal(e.to_string())))
            .collect()
    }

    /// Users who hold admin rights, directly or through a group (the few an
    /// operation must check against the anti-escalation rule).
    pub async fn admin_user_ids(&self) -> Result<Vec<UserId>, StoreError> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT member_id FROM standard_role_assignments WHERE member_type = 'USER' \
             UNION SELECT member_id FROM binding_members WHERE member_type = 'USER' \
             UNION SELECT gm.user_id FROM group_members gm WHERE gm.group_id IN \
               (SELECT member_id FROM standard_role_assignments WHERE member_type = 'GROUP' \
                UNION SELECT member_id FROM binding_members WHERE member_type = 'GROUP')",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(ids.iter().filter_map(|i| UserId::parse(i).ok()).collect())
    }

    /// Every standard role assignment with its targets, by role then name.
    pub async fn list_standard_assignments(
        &self,
        grant: &Grant,
    ) -> Result<Vec<StandardAssignmentRecord>, StoreError> {
        grant.demand_org(Permission::IamRead)?;
        let rows: Vec<(String, String, String, String, Option<String>)> = sqlx::query_as(
            "SELECT m.id, m.role_type, m.member_type, m.member_id, COALESCE(u.login, g.name) \
             FROM standard_role_assignments m \
             LEFT JOIN users u ON m.member_type = 'USER' AND u.id = m.member_id \
             LEFT JOIN groups g ON m.member_type = 'GROUP' AND g.id = m.member_id \
             ORDER BY m.role_type, lower(COALESCE(u.login, g.name, m.member_id))",
        )
        .fetch_all(&self.pool)
        .await?;
        let targets: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT t.assignment_id, 'GROUP', t.group_id, g.name FROM standard_role_group_targets t \
             JOIN groups g ON g.id = t.group_id \
             UNION ALL SELECT t.assignment_id, 'APP', t.app_id, a.label FROM standard_role_app_targets t \
             JOIN apps a ON a.id = t.app_id \
             ORDER BY 4",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut by_assignment: HashMap<String, Vec<(RoleTarget, String)>> = HashMap::new();
        for (assignment, kind, id, name) in targets {
            by_assignment
                .entry(assignment)
                .or_default()
                .push((target_of(&kind, &id)?, name));
        }
        Ok(rows
            .into_iter()
            .filter_map(|(assignment, role, kind, id, name)| {
                let role = StandardRole::parse(&role)?;
                let member = match kind.as_str() {
                    "USER" => Member::User(UserId::parse(&id).ok()?),
                    _ => Member::Group(GroupId::parse(&id).ok()?),
                };
                Some(StandardAssignmentRecord {
                    role,
                    member,
                    name: name.unwrap_or(id),
                    targets: by_assignment.remove(&assignment).unwrap_or_default(),
                })
            })
            .collect())
    }

    /// The targets of `member`'s assignment of `role` (empty: org-wide), or
    /// `NotFound` when it does not hold the role directly.
    pub async fn standard_role_targets(
        &self,
        grant: &Grant,
        member: &Member,
        role: StandardRole,
    ) -> Result<Vec<RoleTarget>, StoreError> {
        grant.demand_org(Permission::IamRead)?;
        let mut tx = self.pool.begin().await?;
        let id = assignment_id(&mut tx, member, role).await?;
        let targets = assignment_targets(&mut tx, &id).await?;
        tx.commit().await?;
        Ok(targets)
    }

    /// Takes a standard role back, with `user.account.privilege.revoke`.
    /// Never the last super admin's: the org would lose its way back in.
    pub async fn revoke_standard_role(
        &self,
        grant: &Grant,
        member: &Member,
        role: StandardRole,
    ) -> Result<(), StoreError> {
        grant.demand_iam_change()?;
        let mut tx = self.begin_write().await?;
        let before = super_admin_holders(&mut tx).await?;
        let id = assignment_id(&mut tx, member, role).await?;
        let targets = assignment_targets(&mut tx, &id).await?;
        let removed = sqlx::query("DELETE FROM standard_role_assignments WHERE id = $1")
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        if removed.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        if role == StandardRole::SuperAdmin {
            // Dropping the transaction undoes the delete.
            a_super_admin_remains(&mut tx, before).await?;
        }
        let event = Event::by_grant(
            "user.account.privilege.revoke",
            "Revoke user privilege",
            grant,
        )
        .target(member.audit_target())
        .debug("role", role.as_str())
        .debug("targets", targets_json(&targets));
        audit::append(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes a custom role (`iam.role.delete`), refused while anyone holds
    /// it through a binding (remove the members first: nobody loses rights by
    /// surprise). Its empty bindings go with it.
    pub async fn delete_role(&self, grant: &Grant, id: &RoleId) -> Result<String, StoreError> {
        self.delete_unheld(grant, id.as_str(), &ROLE).await
    }

    /// Deletes a resource set (`iam.resourceset.delete`), refused while a
    /// binding on it has members. Its resources and empty bindings go with it.
    pub async fn delete_resource_set(
        &self,
        grant: &Grant,
        id: &ResourceSetId,
    ) -> Result<String, StoreError> {
        self.delete_unheld(grant, id.as_str(), &RESOURCE_SET).await
    }

    /// Deletes a role or resource set no binding member holds rights through,
    /// with its dependent rows and its event, in one write transaction.
    async fn delete_unheld(
        &self,
        grant: &Grant,
        id: &str,
        kind: &Unheld,
    ) -> Result<String, StoreError> {
        grant.demand_iam_change()?;
        let mut tx = self.begin_write().await?;
        let label: String =
            sqlx::query_scalar(&format!("SELECT label FROM {} WHERE id = $1", kind.table))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
        let held: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM binding_members WHERE {} = $1",
            kind.member_column
        ))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        if held > 0 {
            return Err(StoreError::Conflict(format!(
                "{held} binding member{} hold{} rights through this {}; remove them first.",
                if held == 1 { "" } else { "s" },
                if held == 1 { "s" } else { "" },
                kind.what
            )));
        }
        for table in kind.dependents.iter().chain(std::iter::once(&kind.table)) {
            let column = if *table == kind.table {
                "id"
            } else {
                kind.member_column
            };
            sqlx::query(&format!("DELETE FROM {table} WHERE {column} = $1"))
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        let event = Event::by_grant(kind.action, kind.display, grant).target(audit::Target {
            id: id.to_string(),
            target_type: kind.target_type.into(),
            alternate_id: label.clone(),
            display_name: label.clone(),
            realm_id: None,
        });
        audit::append(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(label)
    }

    /// Removes a member from a binding, with `iam.resourceset.bindings.delete`.
    pub async fn remove_binding_member(
        &self,
        grant: &Grant,
        rs: &ResourceSetId,
        role: &RoleId,
        member: &Member,
    ) -> Result<(), StoreError> {
        grant.demand_iam_change()?;
        let mut tx = self.begin_write().await?;
        let removed = sqlx::query(
            "DELETE FROM binding_members WHERE resource_set_id = $1 AND role_id = $2 \
             AND member_type = $3 AND member_id = $4",
        )
        .bind(rs.as_str())
        .bind(role.as_str())
        .bind(member.kind())
        .bind(member.id())
        .execute(&mut *tx)
        .await?;
        if removed.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let event = Event::by_grant(
            "iam.resourceset.bindings.delete",
            "Remove binding member",
            grant,
        )
        .target(member.audit_target())
        .debug("resourceSetId", rs.as_str())
        .debug("roleId", role.as_str());
        audit::append(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Inserts a resource set with its event inside `tx` (holding the chain lock).
pub(crate) async fn insert_resource_set(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    grant: &Grant,
    label: &str,
    description: &str,
    orns: &[String],
) -> Result<ResourceSetId, StoreError> {
    grant.demand_iam_change()?;
    let label = label.trim();
    if label.is_empty() || label.chars().count() > 255 {
        return Err(StoreError::invalid(
            "label",
            "Enter a label of 1 to 255 characters.",
        ));
    }
    if orns.len() as i64 > super::limits::RESOURCES_PER_SET {
        return Err(StoreError::invalid(
            "resources",
            "A resource set holds at most 1,000 resources, as in Okta.",
        ));
    }
    let sets: i64 = sqlx::query_scalar("SELECT count(*) FROM resource_sets")
        .fetch_one(&mut **tx)
        .await?;
    super::limits::at_most(
        sets + 1,
        super::limits::RESOURCE_SETS,
        "An org",
        "resource sets",
        "delete one first.",
    )?;
    let id = ResourceSetId::generate();
    let now = clock::now();
    sqlx::query(
        "INSERT INTO resource_sets (id, label, description, created, last_updated) VALUES ($1, $2, $3, $4, $4)",
    )
    .bind(id.as_str())
    .bind(label)
    .bind(description)
    .bind(&now)
    .execute(&mut **tx)
    .await
    .map_err(|e| {
        StoreError::map_constraint(e, &[Constraint::ResourceSetsLabel])
    })?;
    for orn in orns {
        sqlx::query(
            "INSERT INTO resource_set_resources (id, resource_set_id, orn, created, last_updated) \
             VALUES ($1, $2, $3, $4, $4) ON CONFLICT DO NOTHING",
        )
        .bind(ResourceId::generate().as_str())
        .bind(id.as_str())
        .bind(orn)
        .bind(&now)
        .execute(&mut **tx)
        .await?;
    }
    let event = Event::by_grant("iam.resourceset.create", "Create resource set", grant)
        .target(audit::Target {
            id: id.to_string(),
            target_type: "RESOURCE_SET".into(),
            alternate_id: label.to_string(),
            display_name: label.to_string(),
            realm_id: None,
        })
        .debug("resources", orns.to_vec());
    audit::append(tx, &event).await?;
    Ok(id)
}

/// Binds `role` on `rs` to `members` inside `tx`, one event per new member.
pub(crate) async fn insert_binding_members(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    grant: &Grant,
    rs: &ResourceSetId,
    role: &RoleId,
    members: &[Member],
) -> Result<(), StoreError> {
    grant.demand_iam_change()?;
    let now = clock::now();
    sqlx::query(
        "INSERT INTO bindings (resource_set_id, role_id, created) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(rs.as_str())
    .bind(role.as_str())
    .bind(&now)
    .execute(&mut **tx)
    .await
    .map_err(|e| StoreError::map_constraint(e, &[]))?;
    let mut added = false;
    for member in members {
        let inserted = sqlx::query(
            "INSERT INTO binding_members (id, resource_set_id, role_id, member_type, member_id, created) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(ResourceId::generate().as_str())
        .bind(rs.as_str())
        .bind(role.as_str())
        .bind(member.kind())
        .bind(member.id())
        .bind(&now)
        .execute(&mut **tx)
        .await?;
        if inserted.rows_affected() == 1 {
            added = true;
            let event =
                Event::by_grant("iam.resourceset.bindings.add", "Add binding member", grant)
                    .target(member.audit_target())
                    .debug("resourceSetId", rs.as_str())
                    .debug("roleId", role.as_str());
            audit::append(tx, &event).await?;
        }
    }
    if added {
        let count: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM binding_members WHERE resource_set_id = $1 AND role_id = $2",
        )
        .bind(rs.as_str())
        .bind(role.as_str())
        .fetch_one(&mut **tx)
        .await?;
        super::limits::at_most(
            count,
            super::limits::BINDING_MEMBERS,
            "A role + resource set binding",
            "admins",
            "bind a group instead of single users.",
        )?;
    }
    Ok(())
}

/// How many active users hold SUPER_ADMIN, directly or through a group
/// (from the few assignments, then the users by key).
pub(crate) async fn super_admin_holders(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
) -> Result<i64, StoreError> {
    sqlx::query_scalar(
        "SELECT count(*) FROM users u WHERE u.status = 'ACTIVE' AND u.id IN (\
         SELECT s.member_id FROM standard_role_assignments s \
         WHERE s.role_type = 'SUPER_ADMIN' AND s.member_type = 'USER' \
         UNION SELECT gm.user_id FROM standard_role_assignments s \
         JOIN group_members gm ON gm.group_id = s.member_id \
         WHERE s.role_type = 'SUPER_ADMIN' AND s.member_type = 'GROUP')",
    )
    .fetch_one(&mut **tx)
    .await
    .map_err(StoreError::from_sqlx)
}

/// Whether `group` confers SUPER_ADMIN on its members.
pub(crate) async fn confers_super_admin(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    group: &GroupId,
) -> Result<bool, StoreError> {
    let found: Option<String> = sqlx::query_scalar(
        "SELECT member_id FROM standard_role_assignments \
         WHERE member_type = 'GROUP' AND member_id = $1 AND role_type = 'SUPER_ADMIN'",
    )
    .bind(group.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    Ok(found.is_some())
}

/// Refuses a change (inside its transaction, before commit) that leaves no
/// active user holding SUPER_ADMIN when `before` (the count before the
/// change) had some: the org would lose its way back in.
pub(crate) async fn a_super_admin_remains(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    before: i64,
) -> Result<(), StoreError> {
    if before > 0 && super_admin_holders(tx).await? == 0 {
        return Err(StoreError::Conflict(
            "No active user would hold SUPER_ADMIN any more; grant it to someone else first."
                .into(),
        ));
    }
    Ok(())
}

/// The id of `member`'s assignment of standard role `role`, read in `tx`.
async fn assignment_id(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    member: &Member,
    role: StandardRole,
) -> Result<String, StoreError> {
    sqlx::query_scalar(
        "SELECT id FROM standard_role_assignments \
         WHERE member_type = $1 AND member_id = $2 AND role_type = $3",
    )
    .bind(member.kind())
    .bind(member.id())
    .bind(role.as_str())
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound)
}

/// A custom role or a resource set as the Management API shows it: with
/// its timestamps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamObject<I> {
    pub id: I,
    pub label: String,
    pub description: String,
    pub created: String,
    pub last_updated: String,
}

/// A permission of a custom role, with its timestamps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StampedPermission {
    pub permission: String,
    pub conditions: Option<String>,
    pub created: String,
    pub last_updated: String,
}

/// A resource of a resource set (its canonical ORN), with its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StampedResource {
    pub id: ResourceId,
    pub orn: String,
    pub created: String,
    pub last_updated: String,
}

/// A member of a binding, with its id (Okta's binding-member id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StampedMember {
    pub id: ResourceId,
    pub member: Member,
    pub created: String,
}

/// What a role assignment grants: a standard role, or a custom role on a
/// resource set (a binding membership).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssignedRole {
    Standard(StandardRole),
    Custom {
        role: RoleId,
        role_label: String,
        resource_set: ResourceSetId,
    },
}

/// One role held directly by a user or a group (Okta's role assignment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleAssignmentRecord {
    pub id: ResourceId,
    pub role: AssignedRole,
    pub created: String,
}

/// (assignment id, standard role type or custom role id, the custom role's
/// label, its resource set, created).
type AssignmentRow = (String, String, Option<String>, Option<String>, String);

fn internal(e: crate::ids::IdError) -> StoreError {
    StoreError::Internal(e.to_string())
}

impl Store {
    /// Every custom role (or resource set: `table`), by label, with timestamps.
    async fn iam_objects<I>(
        &self,
        grant: &Grant,
        table: &str,
        parse: impl Fn(&str) -> Result<I, crate::ids::IdError>,
    ) -> Result<Vec<IamObject<I>>, StoreError> {
        grant.demand_org(Permission::IamRead)?;
        let rows: Vec<(String, String, String, String, String)> = sqlx::query_as(&format!(
            "SELECT id, label, description, created, last_updated FROM {table} ORDER BY lower(label), id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(id, label, description, created, last_updated)| {
                Ok(IamObject {
                    id: parse(&id).map_err(internal)?,
                    label,
                    description,
                    created,
                    last_updated,
                })
            })
            .collect()
    }

    /// Every custom role, by label, with timestamps.
    pub async fn iam_roles(&self, grant: &Grant) -> Result<Vec<IamObject<RoleId>>, StoreError> {
        self.iam_objects(grant, "roles", RoleId::parse).await
    }

    /// Every resource set, by label, with timestamps.
    pub async fn iam_resource_sets(
        &self,
        grant: &Grant,
    ) -> Result<Vec<IamObject<ResourceSetId>>, StoreError> {
        self.iam_objects(grant, "resource_sets", ResourceSetId::parse)
            .await
    }

    /// A custom role's permissions with their timestamps.
    pub async fn stamped_permissions(
        &self,
        grant: &Grant,
        role: &RoleId,
    ) -> Result<Vec<StampedPermission>, StoreError> {
        grant.demand_org(Permission::IamRead)?;
        let rows: Vec<(String, Option<String>, String, String)> = sqlx::query_as(
            "SELECT permission, conditions, created, last_updated FROM role_permissions \
             WHERE role_id = $1 ORDER BY permission",
        )
        .bind(role.as_str())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(permission, conditions, created, last_updated)| StampedPermission {
                    permission,
                    conditions,
                    created,
                    last_updated,
                },
            )
            .collect())
    }

    /// A resource set's resources with their ids and timestamps.
    pub async fn stamped_resources(
        &self,
        grant: &Grant,
        rs: &ResourceSetId,
    ) -> Result<Vec<StampedResource>, StoreError> {
        grant.demand_org(Permission::IamRead)?;
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT id, orn, created, last_updated FROM resource_set_resources \
             WHERE resource_set_id = $1 ORDER BY orn",
        )
        .bind(rs.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(id, orn, created, last_updated)| {
                Ok(StampedResource {
                    id: ResourceId::parse(&id).map_err(internal)?,
                    orn,
                    created,
                    last_updated,
                })
            })
            .collect()
    }

    /// The members of the binding of `role` on `rs`, oldest first;
    /// `NotFound` when there is no such binding.
    pub async fn stamped_binding_members(
        &self,
        grant: &Grant,
        rs: &ResourceSetId,
        role: &RoleId,
    ) -> Result<Vec<StampedMember>, StoreError> {
        grant.demand_org(Permission::IamRead)?;
        let bound: Option<String> = sqlx::query_scalar(
            "SELECT role_id FROM bindings WHERE resource_set_id = $1 AND role_id = $2",
        )
        .bind(rs.as_str())
        .bind(role.as_str())
        .fetch_optional(&self.pool)
        .await?;
        if bound.is_none() {
            return Err(StoreError::NotFound);
        }
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT id, member_type, member_id, created FROM binding_members \
             WHERE resource_set_id = $1 AND role_id = $2 ORDER BY created, id",
        )
        .bind(rs.as_str())
        .bind(role.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(id, kind, member, created)| {
                Ok(StampedMember {
                    id: ResourceId::parse(&id).map_err(internal)?,
                    member: member_of(&kind, &member)?,
                    created,
                })
            })
            .collect()
    }

    /// The roles `member` holds directly: standard roles, then custom roles
    /// on resource sets (its binding memberships).
    pub async fn role_assignments_of(
        &self,
        grant: &Grant,
        member: &Member,
    ) -> Result<Vec<RoleAssignmentRecord>, StoreError> {
        grant.demand_org(Permission::IamRead)?;
        let rows: Vec<AssignmentRow> = sqlx::query_as(
            "SELECT id, role_type, CAST(NULL AS TEXT), CAST(NULL AS TEXT), created \
             FROM standard_role_assignments WHERE member_type = $1 AND member_id = $2 \
             UNION ALL \
             SELECT m.id, m.role_id, r.label, m.resource_set_id, m.created FROM binding_members m \
             JOIN roles r ON r.id = m.role_id \
             WHERE m.member_type = $1 AND m.member_id = $2 \
             ORDER BY 5, 1",
        )
        .bind(member.kind())
        .bind(member.id())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .filter_map(|(id, role, role_label, rs, created)| {
                let role = match (role_label, rs) {
                    (Some(role_label), Some(rs)) => {
                        match (RoleId::parse(&role), ResourceSetId::parse(&rs)) {
                            (Ok(role), Ok(resource_set)) => AssignedRole::Custom {
                                role,
                                role_label,
                                resource_set,
                            },
                            (Err(e), _) | (_, Err(e)) => return Some(Err(internal(e))),
                        }
                    }
                    _ => AssignedRole::Standard(StandardRole::parse(&role)?),
                };
                Some(
                    ResourceId::parse(&id)
                        .map_err(internal)
                        .map(|id| RoleAssignmentRecord { id, role, created }),
                )
            })
            .collect()
    }

    /// Replaces a resource set's label and description
    /// (`iam.resourceset.update`).
    pub async fn update_resource_set(
        &self,
        grant: &Grant,
        id: &ResourceSetId,
        label: &str,
        description: &str,
    ) -> Result<(), StoreError> {
        grant.demand_iam_change()?;
        let label = label.trim();
        if label.is_empty() || label.chars().count() > 255 {
            return Err(StoreError::invalid(
                "label",
                "Enter a label of 1 to 255 characters.",
            ));
        }
        let mut tx = self.begin_write().await?;
        let updated = sqlx::query(
            "UPDATE resource_sets SET label = $1, description = $2, last_updated = $3 WHERE id = $4",
        )
        .bind(label)
        .bind(description)
        .bind(clock::now())
        .bind(id.as_str())
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::map_constraint(e, &[Constraint::ResourceSetsLabel]))?;
        if updated.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        let event = Event::by_grant("iam.resourceset.update", "Update resource set", grant).target(
            audit::Target {
                id: id.to_string(),
                target_type: "RESOURCE_SET".into(),
                alternate_id: label.to_string(),
                display_name: label.to_string(),
                realm_id: None,
            },
        );
        audit::append(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes the binding of `role` on `rs` with its members, one
    /// `iam.resourceset.bindings.delete` per member.
    pub async fn delete_binding(
        &self,
        grant: &Grant,
        rs: &ResourceSetId,
        role: &RoleId,
    ) -> Result<(), StoreError> {
        grant.demand_iam_change()?;
        let mut tx = self.begin_write().await?;
        let members: Vec<(String, String)> = sqlx::query_as(
            "SELECT member_type, member_id FROM binding_members \
             WHERE resource_set_id = $1 AND role_id = $2",
        )
        .bind(rs.as_str())
        .bind(role.as_str())
        .fetch_all(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM binding_members WHERE resource_set_id = $1 AND role_id = $2")
            .bind(rs.as_str())
            .bind(role.as_str())
            .execute(&mut *tx)
            .await?;
        let removed =
            sqlx::query("DELETE FROM bindings WHERE resource_set_id = $1 AND role_id = $2")
                .bind(rs.as_str())
                .bind(role.as_str())
                .execute(&mut *tx)
                .await?;
        if removed.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        for (kind, id) in members {
            let member = member_of(&kind, &id)?;
            let event = Event::by_grant(
                "iam.resourceset.bindings.delete",
                "Remove binding member",
                grant,
            )
            .target(member.audit_target())
            .debug("resourceSetId", rs.as_str())
            .debug("roleId", role.as_str());
            audit::append(&mut tx, &event).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

fn member_of(kind: &str, id: &str) -> Result<Member, StoreError> {
    Ok(match kind {
        "USER" => Member::User(UserId::parse(id).map_err(internal)?),
        _ => Member::Group(GroupId::parse(id).map_err(internal)?),
    })
}

impl Store {
    /// Replaces the targets of `member`'s assignment of `role` (its id
    /// stays): none is org-wide. Recorded as `user.account.privilege.grant`
    /// naming the new targets; `NotFound` when it does not hold the role
    /// directly.
    pub async fn set_standard_role_targets(
        &self,
        grant: &Grant,
        member: &Member,
        role: StandardRole,
        targets: &[RoleTarget],
    ) -> Result<(), StoreError> {
        grant.demand_iam_change()?;
        role.check_targets(targets)
            .map_err(|e| StoreError::invalid("targets", e.to_string()))?;
        let mut tx = self.begin_write().await?;
        let id = assignment_id(&mut tx, member, role).await?;
        for table in ["standard_role_group_targets", "standard_role_app_targets"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE assignment_id = $1"))
                .bind(&id)
                .execute(&mut *tx)
                .await?;
        }
        let now = clock::now();
        for target in targets {
            insert_target(&mut tx, &id, target, &now).await?;
        }
        let event = Event::by_grant(
            "user.account.privilege.grant",
            "Grant user privilege",
            grant,
        )
        .target(member.audit_target())
        .debug("role", role.as_str())
        .debug("targets", targets_json(targets));
        audit::append(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(())
    }
}
