use super::*;

fn file_with(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hello.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(dir.path().join("hello"), b"#!/bin/sh\n").unwrap();
    std::fs::create_dir(dir.path().join("inputs")).unwrap();
    let file = dir.path().join("functions.toml");
    std::fs::write(&file, text).unwrap();
    (dir, file)
}

fn error_of(text: &str) -> String {
    let (_dir, file) = file_with(text);
    let message = Manifest::read(&file).unwrap_err().to_string();
    let prefix = format!("{}: ", file.display());
    assert!(message.starts_with(&prefix), "names the file: {message}");
    message[prefix.len()..].to_owned()
}

#[test]
fn a_function_gets_its_defaults_and_paths_relative_to_the_file() {
    let (dir, file) = file_with(
        "[[function]]\nname = \"hello\"\nmodule = \"hello.wasm\"\nbinary = \"hello\"\n\
         args = [\"{input}/a\", \"{output}/b\"]\ninputs = \"inputs\"\noutput = true\n\
         env = { LANG = \"C\" }\ntolerance = 1e-9\n",
    );
    let manifest = Manifest::read(&file).unwrap();
    let hello = manifest.function("hello").unwrap();
    assert_eq!(
        hello.module.as_ref().unwrap().path,
        dir.path().join("hello.wasm")
    );
    assert_eq!(
        hello.binary.as_ref().unwrap().path,
        dir.path().join("hello")
    );
    assert_eq!(
        hello.inputs.as_deref(),
        Some(dir.path().join("inputs").as_path())
    );
    assert_eq!(
        hello.check,
        Check::Same {
            reference: Reference::Native,
            tolerance: Some(1e-9)
        }
    );
    assert_eq!(hello.env, [("LANG".to_owned(), "C".to_owned())]);
    assert!(hello.timeout.is_none() && hello.max_memory.is_none() && hello.reads_inputs());
}

#[test]
fn checks_default_to_same_where_there_is_a_reference_and_else_to_none() {
    let (_dir, file) = file_with(
        "[[function]]\nname = \"a\"\nmodule = \"hello.wasm\"\n\
         [[function]]\nname = \"b\"\nmodule = \"hello.wasm\"\nreference = \"wasmi\"\n\
         [[function]]\nname = \"c\"\nbinary = \"hello\"\n\
         [[function]]\nname = \"d\"\nmodule = \"hello.wasm\"\ncheck = { command = \"grep -q hi\" }\n",
    );
    let manifest = Manifest::read(&file).unwrap();
    let check = |name| manifest.function(name).unwrap().check.clone();
    assert_eq!(check("a"), Check::None);
    assert_eq!(
        check("b"),
        Check::Same {
            reference: Reference::Engine("wasmi".into()),
            tolerance: None
        }
    );
    assert_eq!(check("c"), Check::None);
    assert_eq!(check("d"), Check::Command("grep -q hi".into()));
}

#[test]
fn a_file_with_a_build_command_need_not_exist_yet() {
    let (dir, file) = file_with(
        "[[function]]\nname = \"a\"\nmodule = { path = \"out/a.wasm\", build = \"mkdir -p out && cp hello.wasm out/a.wasm\" }\n",
    );
    let manifest = Manifest::read(&file).unwrap();
    manifest.build().unwrap();
    assert!(dir.path().join("out/a.wasm").is_file());
}

#[test]
fn a_failing_build_shows_its_stderr_tail() {
    let (_dir, file) = file_with(
        "[[function]]\nname = \"a\"\nbinary = { path = \"a\", build = \"echo compiling >&2; echo 'error: no such crate' >&2; exit 3\" }\n",
    );
    let message = Manifest::read(&file)
        .unwrap()
        .build()
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("function \"a\", field `binary`: its build command")
            && message.contains("exit status: 3")
            && message.contains("| error: no such crate"),
        "{message}"
    );
}

#[test]
fn a_build_that_does_not_make_its_file_says_so() {
    let (_dir, file) =
        file_with("[[function]]\nname = \"a\"\nmodule = { path = \"a.wasm\", build = \"true\" }\n");
    let message = Manifest::read(&file)
        .unwrap()
        .build()
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("field `module`")
            && message.contains("is not a file after its build command `true` ran"),
        "{message}"
    );
}

#[test]
fn bad_files_name_the_function_and_the_field() {
    let cases = [
        (
            "[[function]]\nname = \"a\"\nmodul = \"hello.wasm\"\n",
            "function \"a\": unknown field `modul`",
        ),
        (
            "[[function]]\nname = \"a\"\nmodule = \"missing.wasm\"\n",
            "function \"a\", field `module`: ",
        ),
        (
            "[[function]]\nname = \"a\"\n",
            "function \"a\", field `module`: neither `module` nor `binary` is given",
        ),
        (
            "[[function]]\nname = \"a\"\nmodule = 3\n",
            "function \"a\", field `module`: expected a path or { path = \"...\", build = \"...\" }, found integer",
        ),
        (
            "[[function]]\nname = \"a\"\nmodule = { path = \"a.wasm\", make = \"x\" }\n",
            "field `module`: unknown key `make`",
        ),
        (
            "[[function]]\nname = \"a\"\nmodule = \"hello.wasm\"\nengine = \"v8\"\n",
            "function \"a\", field `engine`: unknown engine",
        ),
        (
            "[[function]]\nname = \"a\"\nmodule = \"hello.wasm\"\ntimeout = \"soon\"\n",
            "function \"a\", field `timeout`: bad duration \"soon\"",
        ),
        (
            "[[function]]\nname = \"a\"\nmodule = \"hello.wasm\"\nmax_memory = \"lots\"\n",
            "function \"a\", field `max_memory`: bad size \"lots\"",
        ),
        (
            "[[function]]\nname = \"a\"\nmodule = \"hello.wasm\"\nargs = \"x\"\n",
            "function \"a\": invalid type",
        ),
        (
            "[[function]]\nname = \"a\"\nmodule = \"hello.wasm\"\noutput = \"yes\"\n",
            "function \"a\": invalid type",
        ),
        (
            "[[function]]\nname = \"a b\"\nmodule = \"hello.wasm\"\n",
            "function \"a b\", field `name`: \"a b\" is not a name",
        ),
        (
            "[[function]]\nname = \"a\"\nmodule = \"hello.wasm\"\n[[function]]\nname = \"a\"\nmodule = \"hello.wasm\"\n",
            "function \"a\", field `name`: is declared twice",
        ),
        (
            "[[function]]\nmodule = \"hello.wasm\"\n",
            "function \"#1\": missing field `name`",
        ),
        (
            "[[function]]\nname = \"a\"\nmodule = \"hello.wasm\"\nargs = [\"{input}/x\"]\n",
            "field `args`: name {input} but no `inputs` folder is given",
        ),
        (
            "[[function]]\nname = \"a\"\nmodule = \"hello.wasm\"\nargs = [\"{output}/x\"]\n",
            "field `args`: name {output} but `output` is not true",
        ),
        (
            "[[function]]\nname = \"a\"\nmodule = \"hello.wasm\"\ninputs = \"nowhere\"\n",
            "field `inputs`: ",
        ),
        (
            "[[function]]\nname = \"a\"\nmodule = \"hello.wasm\"\ncheck = \"same\"\n",
            "field `check`: \"same\" compares with the native binary's output, and there is no `binary`",
        ),
        (
            "[[function]]\nname = \"a\"\nmodule = \"hello.wasm\"\ncheck = \"equal\"\n",
            "field `check`: unknown check \"equal\"",
        ),
        (
            "[[function]]\nname = \"a\"\nmodule = \"hello.wasm\"\ncheck = { run = \"x\" }\n",
            "field `check`: unknown key `run`",
        ),
        (
            "[[function]]\nname = \"a\"\nmodule = \"hello.wasm\"\ncheck = \"none\"\ntolerance = 0.1\n",
            "field `check`: `tolerance` and `reference` go with check = \"same\"",
        ),
        (
            "[[function]]\nname = \"a\"\nmodule = \"hello.wasm\"\nbinary = \"hello\"\ntolerance = -1.0\n",
            "field `tolerance`: -1 is not a non-negative number",
        ),
        (
            "[[function]]\nname = \"a\"\nbinary = \"hello\"\nreference = \"wasmtime\"\n",
            "field `reference`: an engine as reference runs the `module`, and there is none",
        ),
        (
            "[[function]]\nname = \"a\"\nmodule = \"hello.wasm\"\nreference = \"v8\"\n",
            "field `reference`: unknown engine",
        ),
        ("[server]\nport = 1\n", "unknown field `server`"),
        ("[[function]\n", "expected [[function]] tables"),
        ("", "declares no [[function]]"),
    ];
    for (text, expected) in cases {
        let message = error_of(text);
        assert!(
            message.contains(expected),
            "{text:?}\n  gave: {message}\n  want: {expected}"
        );
    }
}

#[test]
fn a_missing_file_is_one_line() {
    let message = Manifest::read(Path::new("/nowhere/functions.toml"))
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with("/nowhere/functions.toml: cannot read it: "),
        "{message}"
    );
}
