//! A small SQL text builder that numbers `$n` placeholders, valid on SQLite and
//! PostgreSQL alike through the `Any` driver (sqlx's `QueryBuilder<Any>` emits `?`).

use sqlx::any::AnyArguments;
use sqlx::query::QueryAs;
use sqlx::Any;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
    Text(String),
    Int(i64),
    Bool(bool),
    Null,
}

#[derive(Debug, Default, Clone)]
pub(crate) struct Sql {
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    pub(crate) fn new(text: &str) -> Self {
        Self {
            text: text.to_string(),
            args: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `arg`.
    pub(crate) fn bind(&mut self, arg: impl Into<Arg>) -> &mut Self {
        self.args.push(arg.into());
        self.text.push('$');
        self.text.push_str(&self.args.len().to_string());
        self
    }

    /// Appends `(​$a, $b, …)` for a non-empty list; callers handle the empty case.
    pub(crate) fn bind_list<I, T>(&mut self, items: I) -> &mut Self
    where
        I: IntoIterator<Item = T>,
        T: Into<Arg>,
    {
        self.text.push('(');
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind(item);
        }
        self.text.push(')');
        self
    }

    #[cfg(test)]
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    pub(crate) fn query_as<T>(&self) -> QueryAs<'_, Any, T, AnyArguments<'_>>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        let mut query = sqlx::query_as(&self.text);
        for arg in &self.args {
            query = match arg {
                Arg::Text(s) => query.bind(s.as_str()),
                Arg::Int(i) => query.bind(*i),
                Arg::Bool(b) => query.bind(*b),
                Arg::Null => query.bind(Option::<String>::None),
            };
        }
        query
    }
}

impl Sql {
    /// The statement with its arguments bound, for statements without rows.
    pub(crate) fn query(&self) -> sqlx::query::Query<'_, Any, AnyArguments<'_>> {
        let mut query = sqlx::query(&self.text);
        for arg in &self.args {
            query = match arg {
                Arg::Text(s) => query.bind(s.as_str()),
                Arg::Int(i) => query.bind(*i),
                Arg::Bool(b) => query.bind(*b),
                Arg::Null => query.bind(Option::<String>::None),
            };
        }
        query
    }

    /// Runs a statement on `executor` (a pool or a transaction); rows affected.
    pub(crate) async fn execute<'c, E>(&self, executor: E) -> Result<u64, super::StoreError>
    where
        E: sqlx::Executor<'c, Database = Any>,
    {
        self.query()
            .execute(executor)
            .await
            .map(|r| r.rows_affected())
            .map_err(super::StoreError::from_sqlx)
    }

    /// The single row this query selects, or `NotFound`.
    pub(crate) async fn fetch_one_or_not_found<T>(
        &self,
        pool: &sqlx::AnyPool,
    ) -> Result<T, super::StoreError>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
    {
        self.query_as::<T>()
            .fetch_optional(pool)
            .await?
            .ok_or(super::StoreError::NotFound)
    }

    pub(crate) async fn fetch_all<T>(
        &self,
        pool: &sqlx::AnyPool,
    ) -> Result<Vec<T>, super::StoreError>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
    {
        self.query_as::<T>()
            .fetch_all(pool)
            .await
            .map_err(super::StoreError::from_sqlx)
    }
}

impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(v)
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(v.to_string())
    }
}
impl From<&String> for Arg {
    fn from(v: &String) -> Self {
        Arg::Text(v.clone())
    }
}
impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(v)
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Arg::Bool(v)
    }
}
impl<T: Into<Arg>> From<Option<T>> for Arg {
    fn from(v: Option<T>) -> Self {
        v.map_or(Arg::Null, Into::into)
    }
}

macro_rules! id_args {
    ($($t:ty),*) => {$(
        impl From<&$t> for Arg {
            fn from(v: &$t) -> Self { Arg::Text(v.as_str().to_string()) }
        }
        impl From<$t> for Arg {
            fn from(v: $t) -> Self { Arg::Text(v.into_string()) }
        }
    )*};
}
id_args!(
    crate::ids::UserId,
    crate::ids::GroupId,
    crate::ids::AppId,
    crate::ids::RealmId,
    crate::ids::RoleId,
    crate::ids::ResourceSetId,
    crate::ids::IdpId,
    crate::ids::RuleId,
    crate::ids::OperationId,
    crate::ids::ImportId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_order() {
        let mut sql = Sql::new("SELECT 1 FROM users WHERE realm_id IN ");
        sql.bind_list(["a", "b"])
            .push(" AND status = ")
            .bind("ACTIVE");
        assert_eq!(
            sql.text(),
            "SELECT 1 FROM users WHERE realm_id IN ($1, $2) AND status = $3"
        );
    }
}

/// A boolean column: PostgreSQL `BOOLEAN`, SQLite `INTEGER` 0/1. The `Any` driver
/// decodes each only as its own kind, so this accepts both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DbBool(pub bool);

impl sqlx::Type<Any> for DbBool {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <bool as sqlx::Type<Any>>::type_info()
    }

    fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
        use sqlx::any::AnyTypeInfoKind as K;
        matches!(ty.kind(), K::Bool | K::SmallInt | K::Integer | K::BigInt)
    }
}

impl<'r> sqlx::Decode<'r, Any> for DbBool {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        match <bool as sqlx::Decode<Any>>::decode(value.clone()) {
            Ok(b) => Ok(Self(b)),
            Err(_) => Ok(Self(<i64 as sqlx::Decode<Any>>::decode(value)? != 0)),
        }
    }
}
