//! Tidy checks over the hand-written sources, run by plain `cargo test`: every module says what
//! it is for, and nothing left for later slips in.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy();
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') && name != "snapshots" {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs")
            && !path.ends_with(xtask::CLIENT_PATH)
            && !path.ends_with(xtask::MOCK_PATH)
        {
            out.push(path);
        }
    }
}

#[test]
fn sources_are_tidy() {
    let root = xtask::workspace_root();
    let mut files = Vec::new();
    for crate_dir in [
        "api", "server", "client", "compat", "xtask", "tests", "bench",
    ] {
        rust_files(&root.join(crate_dir), &mut files);
    }
    assert!(files.len() > 20, "the walk found the sources");
    // Spelled in pieces so this file does not trip its own check.
    let banned = [
        concat!("dbg", "!("),
        concat!("todo", "!("),
        concat!("unimplemented", "!("),
        concat!("#[", "ignore]"),
    ];
    let mut problems = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let shown = file.strip_prefix(&root).unwrap().display();
        if !text.starts_with("//!") {
            problems.push(format!("{shown}: no `//!` doc at the top"));
        }
        for (n, line) in text.lines().enumerate() {
            if line.ends_with(' ') || line.ends_with('\t') {
                problems.push(format!("{shown}:{}: trailing whitespace", n + 1));
            }
            for word in banned {
                if line.contains(word) {
                    problems.push(format!("{shown}:{}: {word}", n + 1));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "tidy problems:\n{}",
        problems.join("\n")
    );
}
