//! Every input the fuzzers found (kept in `regressions/<target>/`, one
//! file each, named for what it found), and a short seeded run of each
//! target, in the normal test suite.

use std::path::Path;

use wasmer_plugin_fuzzing::{Inputs, TARGETS};

#[test]
fn every_kept_input_passes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("regressions");
    let mut folders: Vec<String> = std::fs::read_dir(&root)
        .expect("the regressions folder")
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    folders.sort();
    let mut names: Vec<&str> = TARGETS.iter().map(|target| target.name).collect();
    names.sort();
    assert_eq!(folders, names, "one folder per target, named for it");

    let mut failures = Vec::new();
    let mut replayed = 0;
    for target in TARGETS {
        let mut files: Vec<_> = std::fs::read_dir(root.join(target.name))
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.file_name().is_some_and(|name| name != ".gitkeep"))
            .collect();
        files.sort();
        for file in files {
            replayed += 1;
            let input = std::fs::read(&file).unwrap();
            if let Err(violation) = (target.run)(&input) {
                failures.push(format!("{}: {violation}", file.display()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!("{replayed} kept inputs replayed");
}

#[test]
fn a_seeded_run_of_each_target_keeps_every_promise() {
    for (target, count) in TARGETS.iter().zip([2_000, 400]) {
        let seeds = (target.seeds)();
        let mut inputs = Inputs::new(21);
        let mut input = Vec::new();
        for index in 0..count {
            inputs.next_input_from(&seeds, 2048, &mut input);
            if let Err(violation) = (target.run)(&input) {
                panic!("{} input {index} (seed 21): {violation}", target.name);
            }
        }
    }
}
