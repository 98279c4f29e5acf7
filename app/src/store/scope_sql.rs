//! Compiles an authorization `Scope` to SQL predicates the store ANDs with the
//! caller's filters. An empty coverage compiles to a predicate that is false.

use super::sql::Sql;
use crate::authz::{ObjectCoverage, Scope, UserCoverage};

impl Scope {
    /// Users (alias `u`-style table alias given) covered by this scope.
    pub(crate) fn users_predicate(&self, sql: &mut Sql, alias: &str) {
        user_predicate(&self.users, sql, alias);
    }

    pub(crate) fn groups_predicate(&self, sql: &mut Sql, alias: &str) {
        object_predicate(&self.groups, sql, alias, None);
    }

    pub(crate) fn apps_predicate(&self, sql: &mut Sql, alias: &str) {
        object_predicate(&self.apps, sql, alias, Some("name"));
    }

    pub(crate) fn realms_predicate(&self, sql: &mut Sql, alias: &str) {
        object_predicate(&self.realms, sql, alias, None);
    }
}

fn user_predicate(c: &UserCoverage, sql: &mut Sql, alias: &str) {
    if c.all {
        sql.push("1 = 1");
        return;
    }
    if c.is_empty() {
        sql.push("1 = 0");
        return;
    }
    let mut parts = 0;
    sql.push("(");
    if !c.realms.is_empty() {
        sql.push(&format!("{alias}.realm_id IN "))
            .bind_list(c.realms.iter());
        parts += 1;
    }
    if !c.users.is_empty() {
        if parts > 0 {
            sql.push(" OR ");
        }
        sql.push(&format!("{alias}.id IN "))
            .bind_list(c.users.iter());
        parts += 1;
    }
    if !c.groups.is_empty() {
        if parts > 0 {
            sql.push(" OR ");
        }
        sql.push(&format!(
            "EXISTS (SELECT 1 FROM group_members scope_gm WHERE scope_gm.user_id = {alias}.id \
             AND scope_gm.group_id IN "
        ))
        .bind_list(c.groups.iter())
        .push(")");
    }
    sql.push(")");
}

fn object_predicate<T>(c: &ObjectCoverage<T>, sql: &mut Sql, alias: &str, type_column: Option<&str>)
where
    T: Ord + AsRef<str>,
{
    if c.all {
        sql.push("1 = 1");
        return;
    }
    let types = type_column.filter(|_| !c.types.is_empty());
    if c.ids.is_empty() && types.is_none() {
        sql.push("1 = 0");
        return;
    }
    sql.push("(");
    if !c.ids.is_empty() {
        sql.push(&format!("{alias}.id IN "))
            .bind_list(c.ids.iter().map(|id| id.as_ref().to_string()));
        if types.is_some() {
            sql.push(" OR ");
        }
    }
    if let Some(column) = types {
        sql.push(&format!("{alias}.{column} IN "))
            .bind_list(c.types.iter().map(String::as_str));
    }
    sql.push(")");
}
