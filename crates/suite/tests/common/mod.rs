//! What the suite's integration tests share: the suite, built once per test binary.
use std::sync::OnceLock;

use wasmfaas_suite::{Layout, Size, build};

/// The project's layout, with the suite built (cargo is incremental: seconds when unchanged).
pub fn layout() -> &'static Layout {
    static BUILT: OnceLock<Layout> = OnceLock::new();
    BUILT.get_or_init(|| {
        let layout = Layout::in_project(Layout::default_project_root());
        build::build_all(
            &layout,
            &wasmfaas_engines::aot_engines(),
            &[Size::Small, Size::Paper],
            &mut |notice| eprintln!("{notice}"),
        )
        .expect("the suite builds");
        layout
    })
}
