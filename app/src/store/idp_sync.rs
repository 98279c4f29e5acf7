//! What a partner sign-in brings beyond the base profile: custom profile
//! attributes from the IdP's claims (so realm-assignment rules on partner
//! attributes can place JIT users) and group memberships from its groups
//! claim (Okta's `policy.provisioning.groups`: `NONE`, `APPEND`, `SYNC`).

use std::collections::BTreeSet;

use serde_json::{Map, Value};
use sqlx::{Any, Transaction};

use super::audit::{Actor, Event};
use super::groups::group_target;
use super::users::{user_target, AttributeDef, AttributeType};
use super::StoreError;
use crate::error::FieldError;
use crate::ids::GroupId;
use crate::model::{Group, User};

/// What an IdP does with its groups claim at each sign-in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum GroupsAction {
    /// Nothing.
    #[default]
    None,
    /// Adds the user to the listed groups the claim names.
    Append,
    /// Adds as `Append`, and removes the user from listed groups the claim
    /// no longer names.
    Sync,
}

impl GroupsAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "NONE",
            Self::Append => "APPEND",
            Self::Sync => "SYNC",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "NONE" => Some(Self::None),
            "APPEND" => Some(Self::Append),
            "SYNC" => Some(Self::Sync),
            _ => None,
        }
    }
}

/// Group sync from an IdP's groups claim: the claim's values are group names,
/// and only the groups in `filter` (the groups this IdP's users may be put
/// in) are ever touched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupSync {
    pub action: GroupsAction,
    /// The claim holding group names (a string or an array of strings).
    pub claim: String,
    pub filter: Vec<GroupId>,
}

/// A claim name as IdPs send them (`groups`, `partner_tier`,
/// `https://example.com/claims/tier`).
pub fn valid_claim_name(claim: &str) -> bool {
    !claim.is_empty()
        && claim.len() <= 200
        && claim
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.:/".contains(c))
}

/// The custom attributes `mapping` (attribute → claim) fills from `claims`,
/// typed by `schema`; a claim of the wrong type is an error naming both.
pub fn custom_attributes(
    claims: &Map<String, Value>,
    mapping: &Map<String, Value>,
    schema: &[AttributeDef],
) -> Result<Map<String, Value>, FieldError> {
    let mut custom = Map::new();
    for attribute in schema {
        let Some(claim) = mapping.get(&attribute.name).and_then(Value::as_str) else {
            continue;
        };
        let Some(value) = claims.get(claim).filter(|v| !v.is_null()) else {
            continue;
        };
        let typed = match (attribute.attr_type, value) {
            (AttributeType::String, Value::String(s)) => {
                Some(Value::String(s.trim().to_string())).filter(|v| v != "")
            }
            (AttributeType::String, Value::Number(n)) => Some(Value::String(n.to_string())),
            (AttributeType::String, Value::Bool(b)) => Some(Value::String(b.to_string())),
            (AttributeType::Boolean, Value::Bool(b)) => Some(Value::Bool(*b)),
            (AttributeType::Boolean, Value::String(s)) if s == "true" || s == "false" => {
                Some(Value::Bool(s == "true"))
            }
            (AttributeType::Integer, Value::Number(n)) if n.is_i64() => Some(value.clone()),
            (AttributeType::Integer, Value::String(s)) => {
                s.trim().parse::<i64>().ok().map(Value::from)
            }
            (AttributeType::Number, Value::Number(_)) => Some(value.clone()),
            (AttributeType::Number, Value::String(s)) => s
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number),
            _ => {
                return Err(FieldError::new(
                    attribute.name.clone(),
                    format!(
                        "the claim {claim} does not hold a value for {} ({:?})",
                        attribute.title, attribute.attr_type
                    ),
                ))
            }
        };
        if let Some(typed) = typed {
            custom.insert(attribute.name.clone(), typed);
        }
    }
    Ok(custom)
}

/// The required custom attributes `custom` lacks, by title.
pub fn missing_required(custom: &Map<String, Value>, schema: &[AttributeDef]) -> Vec<String> {
    schema
        .iter()
        .filter(|d| d.required && !custom.contains_key(&d.name))
        .map(|d| d.title.clone())
        .collect()
}

/// The group names a groups claim holds (a string, or an array of strings).
fn claimed_names(claims: &Map<String, Value>, claim: &str) -> BTreeSet<String> {
    match claims.get(claim) {
        Some(Value::String(s)) => [s.trim().to_string()].into_iter().collect(),
        Some(Value::Array(values)) => values
            .iter()
            .filter_map(Value::as_str)
            .map(|s| s.trim().to_string())
            .collect(),
        _ => BTreeSet::new(),
    }
}

/// The groups of `filter` that confer no admin rights (a standard role or a
/// binding): the only ones an IdP may put users in — a partner's IdP never
/// hands out admin rights.
pub(crate) async fn syncable_groups(
    tx: &mut Transaction<'static, Any>,
    filter: &[GroupId],
) -> Result<Vec<Group>, StoreError> {
    let mut groups = Vec::new();
    for id in filter {
        let group = match super::groups::group_in_tx(tx, id).await {
            Ok(group) => group,
            Err(StoreError::NotFound) => continue,
            Err(e) => return Err(e),
        };
        let confers: i64 = sqlx::query_scalar(
            "SELECT (SELECT count(*) FROM standard_role_assignments \
                     WHERE member_type = 'GROUP' AND member_id = $1) \
                  + (SELECT count(*) FROM binding_members \
                     WHERE member_type = 'GROUP' AND member_id = $1)",
        )
        .bind(id.as_str())
        .fetch_one(&mut **tx)
        .await?;
        if confers == 0 {
            groups.push(group);
        }
    }
    Ok(groups)
}

/// Applies `sync` to `user` at a sign-in inside `tx`: joins the listed groups
/// the claim names and (for `SYNC`) leaves the listed groups it does not; the
/// `group.user_membership.add` / `.remove` events by the IdP, for the caller
/// to append in the same transaction.
pub(crate) async fn sync_groups(
    tx: &mut Transaction<'static, Any>,
    sync: &GroupSync,
    claims: &Map<String, Value>,
    user: &User,
    actor: &Actor,
) -> Result<Vec<Event>, StoreError> {
    let mut events = Vec::new();
    if sync.action == GroupsAction::None || sync.filter.is_empty() {
        return Ok(events);
    }
    let names = claimed_names(claims, &sync.claim);
    let now = super::clock::now();
    for group in syncable_groups(tx, &sync.filter).await? {
        let wanted = names.contains(&group.name);
        let member: Option<String> = sqlx::query_scalar(
            "SELECT user_id FROM group_members WHERE group_id = $1 AND user_id = $2",
        )
        .bind(group.id.as_str())
        .bind(user.id.as_str())
        .fetch_optional(&mut **tx)
        .await?;
        let (event_type, message) = match (wanted, member.is_some()) {
            (true, false) => {
                sqlx::query(
                    "INSERT INTO group_members (group_id, user_id, created) VALUES ($1, $2, $3)",
                )
                .bind(group.id.as_str())
                .bind(user.id.as_str())
                .bind(&now)
                .execute(&mut **tx)
                .await?;
                ("group.user_membership.add", "Add user to group membership")
            }
            (false, true) if sync.action == GroupsAction::Sync => {
                sqlx::query("DELETE FROM group_members WHERE group_id = $1 AND user_id = $2")
                    .bind(group.id.as_str())
                    .bind(user.id.as_str())
                    .execute(&mut **tx)
                    .await?;
                super::oauth::revoke_lapsed_grants_in(tx, super::oauth::GrantsOf::User(&user.id))
                    .await?;
                (
                    "group.user_membership.remove",
                    "Remove user from group membership",
                )
            }
            _ => continue,
        };
        sqlx::query("UPDATE groups SET last_membership_updated = $1 WHERE id = $2")
            .bind(&now)
            .bind(group.id.as_str())
            .execute(&mut **tx)
            .await?;
        events.push(
            Event::success(event_type, message, actor.clone())
                .target(user_target(user))
                .target(group_target(&group))
                .debug("groupsClaim", sync.claim.clone()),
        );
    }
    Ok(events)
}
