//! What the runtime's integration tests share: where the project is, and how a test that needs
//! what this machine lacks skips (and fails under CI=true, so a CI run never passes without
//! running it).
use std::path::{Path, PathBuf};

/// The project's root folder (the suite's artifacts are under it).
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/runtime is two levels below the project root")
        .to_path_buf()
}

/// Whether `tests` may run: `missing` names what this machine lacks, if anything. A test that
/// cannot run says why; under CI nothing may be missing.
pub fn runs_here(tests: &str, missing: Option<String>) -> bool {
    let Some(missing) = missing else {
        return true;
    };
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{tests} need {missing}; CI provides it"
    );
    eprintln!("skipped: {tests} need {missing}");
    false
}
