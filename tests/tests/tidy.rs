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

/// ARCHITECTURE.md is the map: every crate of the workspace and every integration test file
/// must be on it.
#[test]
fn the_architecture_doc_names_every_crate_and_test_file() {
    let root = xtask::workspace_root();
    let map = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let members = manifest
        .lines()
        .find_map(|l| l.strip_prefix("members = "))
        .expect("the workspace lists its members");
    let mut missing = Vec::new();
    let mut test_files = 0;
    for member in members
        .trim_matches(['[', ']'])
        .split(',')
        .map(|m| m.trim().trim_matches('"'))
    {
        if !map.contains(&format!("`{member}/`")) {
            missing.push(format!("the crate `{member}/`"));
        }
        let Ok(entries) = std::fs::read_dir(root.join(member).join("tests")) else {
            continue;
        };
        for entry in entries {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if name.ends_with(".rs") {
                test_files += 1;
                if !map.contains(&format!("tests/{name}`")) {
                    missing.push(format!("{member}/tests/{name}"));
                }
            }
        }
    }
    assert!(test_files > 10, "the walk found the test files");
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md does not name: {}",
        missing.join(", ")
    );
}
