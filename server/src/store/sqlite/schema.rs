//! The schema: versioned migrations, and the carry-over from databases sqlx migrated.

use super::*;
use rusqlite_migration::{Migrations, M};

/// The migration files in `migrations/sqlite`, by name, embedded at build time.
const FILES: &[(&str, &str)] = &[
    migration!("0001_init.sql"),
    migration!("0002_verification.sql"),
    migration!("0003_list_order.sql"),
    migration!("0004_send_limits.sql"),
    migration!("0005_sweep.sql"),
];

/// One entry of [`FILES`]: a file's name and its text.
macro_rules! migration {
    ($name:literal) => {
        (
            $name,
            include_str!(concat!("../../../migrations/sqlite/", $name)),
        )
    };
}
use migration;

/// The versioned migrations, in order; the database's `user_version` says how many are applied.
fn migrations() -> Migrations<'static> {
    Migrations::new(FILES.iter().map(|(_, sql)| M::up(sql)).collect())
}

/// Brings the schema up to date.
pub(super) fn migrate(conn: &mut Connection) -> Result<Migrated, StoreError> {
    adopt_sqlx_history(conn)?;
    let version = |conn: &Connection| -> Result<usize, StoreError> {
        let v: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
        Ok(usize::try_from(v).unwrap_or(0))
    };
    let before = version(conn)?;
    migrations()
        .to_latest(conn)
        .map_err(|e| StoreError::Backend(Box::new(e)))?;
    let after = version(conn)?;
    Ok(Migrated {
        applied: after.saturating_sub(before),
        version: after,
    })
}

/// Databases created by earlier versions of this server were migrated by sqlx, which records
/// applied migrations in a table of its own; carry that count over to `user_version` once.
fn adopt_sqlx_history(conn: &Connection) -> rusqlite::Result<()> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    let recorded_by_sqlx = conn
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'")?
        .exists([])?;
    if version == 0 && recorded_by_sqlx {
        let applied: i64 = conn.query_row(
            "SELECT count(*) FROM _sqlx_migrations WHERE success",
            [],
            |row| row.get(0),
        )?;
        conn.pragma_update(None, "user_version", applied)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::tests::TempDb;

    /// A migration file added to the folder but not to [`FILES`] would never run.
    #[test]
    fn every_migration_file_is_applied_in_order() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        files.sort();
        let listed: Vec<&str> = FILES.iter().map(|(name, _)| *name).collect();
        assert_eq!(listed, files);
        migrations().validate().unwrap();
    }

    #[tokio::test]
    async fn a_database_migrated_by_sqlx_is_adopted_not_migrated_twice() {
        let db = TempDb::new();
        {
            let conn = Connection::open(db.path()).unwrap();
            conn.execute_batch(FILES[0].1).unwrap();
            conn.execute_batch(
                "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, success BOOLEAN);
                 INSERT INTO _sqlx_migrations VALUES (1, TRUE);",
            )
            .unwrap();
        }
        let store = SqliteStore::open(&db.path()).await.unwrap();
        let (project, _) = crate::service::auth::new_project("p", false, 1);
        store.create_project(&project).await.unwrap();
        let loaded = store.get_project(&project.id).await.unwrap().unwrap();
        assert_eq!(loaded.trusted_domains, project.trusted_domains);
    }
}
