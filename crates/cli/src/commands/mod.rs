//! One module per subcommand.
pub mod bench;
pub mod build;
pub mod environments;
pub mod images;
pub mod report;
pub mod run;

use std::path::PathBuf;

use wasmfaas_suite::Layout;

/// Options every suite command shares: where the project is.
#[derive(Debug, clap::Args)]
pub struct ProjectArgs {
    /// The wasmfaas checkout (holds functions/ and artifacts/) [default: the one this binary was built from]
    #[arg(long, env = "WASMFAAS_HOME", global = true)]
    pub project: Option<PathBuf>,
}

impl ProjectArgs {
    /// The suite layout of the project.
    pub fn layout(&self) -> Layout {
        Layout::in_project(
            self.project
                .clone()
                .unwrap_or_else(Layout::default_project_root),
        )
    }
}
