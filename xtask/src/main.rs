//! `cargo xtask`: the project's tasks that need more than cargo. `cargo xtask test` is the test
//! command of the README: it installs the Debian packages the build and the tests use (as root,
//! when they are missing), builds the suite, and runs every test.
use std::process::ExitCode;

mod packages;
mod test;

const USAGE: &str = "usage: cargo xtask test [-- CARGO_TEST_ARGS...]

  test   install the Debian packages the tests use (as root, when missing), build the suite,
         and run the whole test suite (cargo test --release --workspace, and the functions'
         own tests); arguments after -- go to cargo test (e.g. -- --test lifecycle)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => {
            let rest = match args.get(1).map(String::as_str) {
                Some("--") => &args[2..],
                Some(other) => {
                    eprintln!("xtask: unexpected argument {other:?}\n{USAGE}");
                    return ExitCode::from(2);
                }
                None => &[],
            };
            test::run(rest)
        }
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => Err(format!("unknown task {other:?}\n{USAGE}")),
        None => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: error: {message}");
            ExitCode::FAILURE
        }
    }
}
