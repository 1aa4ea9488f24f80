//! Files only the server's user may read: the SQLite database (which holds signing keys) and the
//! outbox (which holds live verification links), whatever the umask says.

use std::io;
use std::path::Path;

/// Mode of a private file: read and write for its owner only.
pub const PRIVATE_FILE_MODE: u32 = 0o600;
/// Mode of a private folder: its owner only.
pub const PRIVATE_DIR_MODE: u32 = 0o700;

/// Creates `path` empty, private, unless it exists. SQLite gives the files it later creates
/// beside a database (`-wal`, `-shm`, a journal) the database file's own mode, so a database
/// created private keeps all of them private, even those re-created after a checkpoint or a
/// restart.
pub fn create_private_file(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(PRIVATE_FILE_MODE)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Warns, naming the file, when `path` exists and other accounts may read or write it.
pub fn warn_if_exposed(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(metadata) = std::fs::metadata(path) else {
        return;
    };
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        let private = if metadata.is_dir() {
            PRIVATE_DIR_MODE
        } else {
            PRIVATE_FILE_MODE
        };
        tracing::warn!(
            "{} is readable by other accounts (mode {mode:o}); it holds secrets: \
             chmod {private:o} {}",
            path.display(),
            path.display()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_new_file_is_private_and_an_existing_one_is_left_as_it_is() {
        let dir = std::env::temp_dir().join(format!("cc-files-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let new = dir.join("new.db");
        create_private_file(&new).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&new), PRIVATE_FILE_MODE);

        let old = dir.join("old.db");
        std::fs::write(&old, b"data").unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
        create_private_file(&old).unwrap();
        assert_eq!(std::fs::read(&old).unwrap(), b"data");
        assert_eq!(mode(&old), 0o644);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
