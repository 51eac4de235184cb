use super::*;

/// A catalog of one function declared by `body` (after its name), in a folder of its own.
fn catalog(body: &str) -> (tempfile::TempDir, Catalog) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let file = dir.path().join("functions.toml");
    std::fs::write(&file, format!("[[function]]\nname = \"mine\"\n{body}")).unwrap();
    let catalog = Catalog::with(Manifest::read(&file).unwrap()).unwrap();
    (dir, catalog)
}

fn check(catalog: &Catalog, stdout: &[u8], output: &Path) -> Result<String, String> {
    let function = catalog.find("mine").unwrap();
    function.user.unwrap().check(stdout, output, output)
}

#[test]
fn same_compares_with_the_native_reference_and_names_the_first_differing_line() {
    let (dir, catalog) =
        catalog("binary = \"/bin/echo\"\nargs = [\"total 1.5\"]\ncheck = \"same\"\n");
    let empty = dir.path().join("out");
    std::fs::create_dir(&empty).unwrap();
    let passed = check(&catalog, b"total 1.5\n", &empty).unwrap();
    assert!(passed.contains("same stdout (1 lines)"), "{passed}");
    let failed = check(&catalog, b"total 1.6\n", &empty).unwrap_err();
    assert_eq!(
        failed,
        "stdout differs from the reference (native)'s at line 1: expected \"total 1.5\", got \"total 1.6\""
    );
    let longer = check(&catalog, b"total 1.5\nmore\n", &empty).unwrap_err();
    assert!(
        longer.contains("at line 2: expected the end, got \"more\""),
        "{longer}"
    );
    std::fs::write(empty.join("extra.txt"), "x").unwrap();
    let extra = check(&catalog, b"total 1.5\n", &empty).unwrap_err();
    assert!(
        extra.contains("output file extra.txt is not in the reference"),
        "{extra}"
    );
}

#[test]
fn a_tolerance_lets_numbers_differ_and_nothing_else() {
    let (dir, catalog) = catalog(
        "binary = \"/bin/echo\"\nargs = [\"mean 2.0000000\"]\ncheck = \"same\"\ntolerance = 1e-6\n",
    );
    let empty = dir.path().join("out");
    std::fs::create_dir(&empty).unwrap();
    check(&catalog, b"mean 2.0000001\n", &empty).unwrap();
    assert!(check(&catalog, b"mean 2.1\n", &empty).is_err());
    assert!(check(&catalog, b"median 2.0000000\n", &empty).is_err());
}

#[test]
fn a_check_command_gets_stdout_and_its_stderr_tail_is_the_failure() {
    let (dir, catalog) = catalog(
        "binary = \"/bin/echo\"\ncheck = { command = \"grep -qx 42 || { echo \\\"not the answer\\\" >&2; exit 1; }\" }\n",
    );
    assert!(check(&catalog, b"42\n", dir.path()).is_ok());
    let failed = check(&catalog, b"41\n", dir.path()).unwrap_err();
    assert!(
        failed.contains("failed (exit status: 1)") && failed.ends_with("not the answer"),
        "{failed}"
    );
}

#[test]
fn none_passes_and_says_unchecked() {
    let (dir, catalog) = catalog("binary = \"/bin/echo\"\ncheck = \"none\"\n");
    let function = catalog.find("mine").unwrap();
    assert!(!function.user.unwrap().is_checked());
    assert!(
        check(&catalog, b"anything", dir.path())
            .unwrap()
            .contains("not checked")
    );
}

#[test]
fn a_user_function_may_not_shadow_the_suite_and_unknown_names_list_both() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("functions.toml");
    std::fs::write(
        &file,
        "[[function]]\nname = \"matmul\"\nbinary = \"/bin/echo\"\n",
    )
    .unwrap();
    let message = Catalog::with(Manifest::read(&file).unwrap())
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("function \"matmul\", field `name`: is the name of a suite function"),
        "{message}"
    );
    let (_dir, catalog) = catalog("binary = \"/bin/echo\"\n");
    assert_eq!(catalog.find("mine").unwrap().kind, Kind::User);
    assert_eq!(catalog.find("matmul").unwrap().name, "matmul");
    let unknown = catalog.find("yours").unwrap_err();
    assert!(
        unknown.contains("matmul") && unknown.contains("declares mine"),
        "{unknown}"
    );
}

#[test]
fn a_native_run_sees_host_paths_and_a_guest_the_guest_paths() {
    let (_dir, catalog) = catalog(
        "module = \"m.wasm\"\nbinary = \"/bin/echo\"\ninputs = \".\"\noutput = true\nargs = [\"{input}/a\", \"{output}/b\"]\n",
    );
    let user = catalog.find("mine").unwrap().user.unwrap();
    let out = Path::new("/tmp/out");
    let (_, native) = user.invocation(Mode::Native, out).unwrap();
    assert_eq!(
        native.args,
        [
            format!("{}/a", user.inputs_dir().display()),
            "/tmp/out/b".into()
        ]
    );
    assert!(native.preopens.is_empty());
    let (_, guest) = user.invocation(Mode::Jit, out).unwrap();
    assert_eq!(guest.args, ["/input/a", "/output/b"]);
    assert_eq!(guest.preopens.len(), 2);
}
