//! Users' own functions, declared in a manifest, beside the suite's: the [`Catalog`] finds
//! either by name, and each user function carries its declaration and its check.
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use wasmfaas_engines::{Invocation, Mode, Preopen, Program, StdoutMode};
use wasmfaas_manifest::{
    Check, FunctionDecl, GUEST_INPUT, GUEST_OUTPUT, Manifest, ManifestError, Reference,
};

use crate::function::Kind;
use crate::{Function, functions};

/// How much of a failed check command's stderr a failure shows.
const TAIL_LINES: usize = 5;

/// A function from a manifest.
#[derive(Debug)]
pub struct UserFunction {
    /// What the manifest says of it.
    pub decl: FunctionDecl,
    /// The manifest's folder: check commands run there.
    pub manifest_dir: PathBuf,
    /// The reference's output, taken once when a `same` check first needs it.
    expected: OnceLock<Result<Expected, String>>,
}

/// What the reference run gave.
#[derive(Debug)]
struct Expected {
    stdout: Vec<u8>,
    files: BTreeMap<PathBuf, Vec<u8>>,
}

/// The functions a command can run: the suite's, and those of a manifest.
#[derive(Debug, Default)]
pub struct Catalog {
    user: Vec<&'static Function>,
    manifest: Option<Manifest>,
}

impl Catalog {
    /// The suite's functions alone.
    pub fn suite() -> Self {
        Self::default()
    }

    /// The suite's functions and those of the manifest `file`, after its build commands ran.
    pub fn load(file: &Path) -> Result<Self, ManifestError> {
        let manifest = Manifest::read(file)?;
        manifest.build()?;
        Self::with(manifest)
    }

    /// The suite's functions and those of `manifest` (whose files must exist).
    pub fn with(manifest: Manifest) -> Result<Self, ManifestError> {
        let mut user = Vec::new();
        for decl in &manifest.functions {
            if functions().iter().any(|f| f.name == decl.name) {
                return Err(manifest.error(
                    &decl.name,
                    Some("name"),
                    "is the name of a suite function: choose another, so that samples and images are not confused".into(),
                ));
            }
            user.push(leak(decl.clone(), manifest.dir()));
        }
        Ok(Self {
            user,
            manifest: Some(manifest),
        })
    }

    /// The manifest, when there is one.
    pub fn manifest(&self) -> Option<&Manifest> {
        self.manifest.as_ref()
    }

    /// The manifest's functions, in its order.
    pub fn user(&self) -> &[&'static Function] {
        &self.user
    }

    /// Every function: the suite's, then the manifest's.
    pub fn all(&self) -> Vec<&'static Function> {
        functions()
            .iter()
            .chain(self.user.iter().copied())
            .collect()
    }

    /// The function called `name`, or an error listing the names there are.
    pub fn find(&self, name: &str) -> Result<&'static Function, String> {
        if let Some(function) = self.user.iter().find(|f| f.name == name) {
            return Ok(function);
        }
        crate::find(name).map_err(|e| match &self.manifest {
            Some(manifest) => {
                let names: Vec<&str> = self.user.iter().map(|f| f.name).collect();
                format!(
                    "{e}; {} declares {}",
                    manifest.file.display(),
                    names.join(", ")
                )
            }
            None => e,
        })
    }
}

/// A user function as a `'static` [`Function`]: a command's functions live as long as it, and
/// the suite's are `'static`, so cells and checks hold both alike.
fn leak(decl: FunctionDecl, manifest_dir: &Path) -> &'static Function {
    let leak_str = |s: &str| -> &'static str { Box::leak(s.to_owned().into_boxed_str()) };
    let args: &'static [&'static str] = Box::leak(
        decl.args
            .iter()
            .map(|a| leak_str(a))
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    );
    let summary = leak_str(decl.summary.as_deref().unwrap_or("a user function"));
    let user = Box::leak(Box::new(UserFunction {
        manifest_dir: manifest_dir.to_path_buf(),
        decl,
        expected: OnceLock::new(),
    }));
    Box::leak(Box::new(Function {
        name: leak_str(&user.decl.name),
        summary,
        kind: Kind::User,
        in_paper: false,
        args: [args; 3],
        user: Some(user),
    }))
}

impl UserFunction {
    /// Whether its runs are checked at all.
    pub fn is_checked(&self) -> bool {
        self.decl.check != Check::None
    }

    /// Its module, or why it has none.
    pub fn module(&self) -> Result<&Path, String> {
        self.decl.module.as_ref().map(|s| s.path.as_path()).ok_or_else(|| {
            format!(
                "{} declares no `module`: it runs natively only; add a module or leave the WebAssembly environments out",
                self.decl.name
            )
        })
    }

    /// Its native binary, or why it has none.
    pub fn binary(&self) -> Result<&Path, String> {
        self.decl.binary.as_ref().map(|s| s.path.as_path()).ok_or_else(|| {
            format!(
                "{} declares no `binary`: it runs as WebAssembly only; add a binary or leave the native environments out",
                self.decl.name
            )
        })
    }

    /// The folders a guest sees: the output folder (when it has one), the inputs, its `dirs`.
    pub fn preopens(&self, output_dir: &Path) -> Vec<Preopen> {
        let mut preopens = Vec::new();
        if self.decl.output {
            preopens.push(Preopen {
                host: output_dir.to_path_buf(),
                guest: GUEST_OUTPUT.into(),
            });
        }
        if let Some(inputs) = &self.decl.inputs {
            preopens.push(Preopen {
                host: inputs.clone(),
                guest: GUEST_INPUT.into(),
            });
        }
        preopens.extend(self.decl.dirs.iter().cloned());
        preopens
    }

    /// The folder its inputs are read from: its `inputs`, else the manifest's folder.
    pub fn inputs_dir(&self) -> PathBuf {
        self.decl
            .inputs
            .clone()
            .unwrap_or_else(|| self.manifest_dir.clone())
    }

    /// Its limits, as the engines take them.
    pub fn limits(&self) -> wasmfaas_engines::Limits {
        wasmfaas_engines::Limits {
            timeout: self.decl.timeout,
            max_memory: self.decl.max_memory,
        }
    }

    /// What `wasmfaas build` makes of it: its module compiled ahead of time by each of
    /// `engines` into `cache` (where the bench and `run` find the artifacts), and the sizes of
    /// its files.
    pub fn precompile(
        &self,
        name: &'static str,
        engines: &[Box<dyn wasmfaas_engines::Engine>],
        cache: &wasmfaas_engines::AotCache,
    ) -> Result<crate::build::ArtifactSizes, String> {
        let size = |path: &Path| std::fs::metadata(path).map_or(0, |m| m.len());
        let mut aot = Vec::new();
        if let Ok(module) = self.module() {
            for engine in engines {
                let artifact = cache
                    .artifact_for(engine.as_ref(), module)
                    .map_err(|e| format!("{name}: {e}"))?;
                aot.push((engine.name(), size(&artifact.path)));
            }
        }
        Ok(crate::build::ArtifactSizes {
            function: name,
            wasm: self.module().map_or(0, size),
            aot,
            native: self.binary().map_or(0, size),
            native_static: 0,
        })
    }

    /// Checks one run's stdout and output folder as its manifest says.
    pub(crate) fn check(
        &self,
        stdout: &[u8],
        output_dir: &Path,
        inputs_dir: &Path,
    ) -> Result<String, String> {
        match &self.decl.check {
            Check::None => Ok("not checked (the manifest says check = \"none\")".into()),
            Check::Command(command) => self.check_command(command, stdout, output_dir, inputs_dir),
            Check::Same {
                reference,
                tolerance,
            } => {
                let expected = self
                    .expected
                    .get_or_init(|| self.reference_run(reference))
                    .as_ref()
                    .map_err(Clone::clone)?;
                compare(expected, reference, *tolerance, stdout, output_dir)
            }
        }
    }

    fn check_command(
        &self,
        command: &str,
        stdout: &[u8],
        output_dir: &Path,
        inputs_dir: &Path,
    ) -> Result<String, String> {
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(command)
            .current_dir(&self.manifest_dir)
            .env("WASMFAAS_OUTPUT", output_dir)
            .env("WASMFAAS_INPUT", inputs_dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run the check command `{command}` with sh: {e}"))?;
        let mut stdin = child.stdin.take().expect("piped");
        // A command that does not read its stdin closes the pipe: that is not a failure.
        let written = stdin.write_all(stdout);
        drop(stdin);
        let output = child
            .wait_with_output()
            .map_err(|e| format!("the check command `{command}`: {e}"))?;
        if output.status.success() {
            return Ok(format!("the check command `{command}` passed"));
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        let tail = lines[lines.len().saturating_sub(TAIL_LINES)..].join(" | ");
        let unread = match written {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                " (it did not read the run's stdout)"
            }
            _ => "",
        };
        Err(format!(
            "the check command `{command}` failed ({}){unread}: {tail}",
            output.status
        ))
    }

    /// Runs the reference once, outside any timing, in a folder of its own.
    fn reference_run(&self, reference: &Reference) -> Result<Expected, String> {
        let failed = |problem: String| format!("the reference run ({reference}) failed: {problem}");
        let output = tempfile::Builder::new()
            .prefix(&format!("wasmfaas-reference-{}-", self.decl.name))
            .tempdir()
            .map_err(|e| failed(format!("cannot make its output folder: {e}")))?;
        let (engine, mode) = match reference {
            Reference::Native => ("native", Mode::Native),
            Reference::Engine(engine) => (engine.as_str(), Mode::Jit),
        };
        let engine = wasmfaas_engines::engine_with(engine, self.decl.timeout.is_some())
            .map_err(|e| failed(e.to_string()))?;
        let mode = if mode == Mode::Native {
            mode
        } else {
            engine.modes()[0]
        };
        let (program, invocation) = self.invocation(mode, output.path())?;
        let program = Program::open(program).map_err(|e| failed(e.to_string()))?;
        let outcome = engine
            .run(&program, mode, &invocation)
            .map_err(|e| failed(e.to_string()))?;
        if outcome.exit_code != 0 {
            return Err(failed(format!("it exited with {}", outcome.exit_code)));
        }
        Ok(Expected {
            stdout: outcome.stdout.unwrap_or_default(),
            files: read_tree(output.path()).map_err(failed)?,
        })
    }

    /// Its arguments with `{input}` and `{output}` replaced by `input` and `output`.
    pub fn args(&self, input: &str, output: &str) -> Vec<String> {
        self.decl
            .args
            .iter()
            .map(|a| a.replace("{input}", input).replace("{output}", output))
            .collect()
    }

    /// Its program and invocation in `mode` writing to `output_dir`: native runs see host
    /// paths, WebAssembly the guest's.
    pub fn invocation(
        &self,
        mode: Mode,
        output_dir: &Path,
    ) -> Result<(PathBuf, Invocation), String> {
        let decl = &self.decl;
        let (program, input, output, preopens) = if mode == Mode::Native {
            let input = self.inputs_dir();
            (
                self.binary()?,
                path_str(&input),
                path_str(output_dir),
                Vec::new(),
            )
        } else {
            (
                self.module()?,
                GUEST_INPUT.to_owned(),
                GUEST_OUTPUT.to_owned(),
                self.preopens(output_dir),
            )
        };
        let args = self.args(&input, &output);
        Ok((
            program.to_path_buf(),
            Invocation {
                program_name: decl.name.clone(),
                args,
                env: decl.env.clone(),
                preopens,
                stdin: Default::default(),
                stdout: StdoutMode::Capture {
                    limit: crate::runner::STDOUT_LIMIT,
                },
                limits: self.limits(),
            },
        ))
    }
}

fn path_str(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// Every file under `root`, by its path relative to `root`.
fn read_tree(root: &Path) -> Result<BTreeMap<PathBuf, Vec<u8>>, String> {
    let mut files = BTreeMap::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let entries = std::fs::read_dir(&folder)
            .map_err(|e| format!("cannot list {}: {e}", folder.display()))?;
        for entry in entries {
            let path = entry
                .map_err(|e| format!("cannot list {}: {e}", folder.display()))?
                .path();
            if path.is_dir() {
                folders.push(path);
            } else {
                let bytes = std::fs::read(&path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                files.insert(
                    path.strip_prefix(root).unwrap_or(&path).to_path_buf(),
                    bytes,
                );
            }
        }
    }
    Ok(files)
}

/// Compares a run with the reference: stdout line by line (numbers within `tolerance`), then
/// the output folder file by file, byte for byte. A difference is said with its first line.
fn compare(
    expected: &Expected,
    reference: &Reference,
    tolerance: Option<f64>,
    stdout: &[u8],
    output_dir: &Path,
) -> Result<String, String> {
    let lines = first_difference(&expected.stdout, stdout, tolerance).map_err(|difference| {
        format!("stdout differs from the reference ({reference})'s {difference}")
    })?;
    let files = read_tree(output_dir)?;
    for (path, bytes) in &expected.files {
        match files.get(path) {
            None => {
                return Err(format!(
                    "output file {} is missing: the reference ({reference}) wrote it",
                    path.display()
                ));
            }
            Some(got) if got != bytes => {
                let difference = first_difference(bytes, got, None)
                    .err()
                    .unwrap_or_else(|| "in its bytes".into());
                return Err(format!(
                    "output file {} differs from the reference ({reference})'s {difference}",
                    path.display()
                ));
            }
            Some(_) => {}
        }
    }
    if let Some(path) = files.keys().find(|p| !expected.files.contains_key(*p)) {
        return Err(format!(
            "output file {} is not in the reference ({reference})'s output",
            path.display()
        ));
    }
    let within = tolerance.map_or(String::new(), |t| format!(", numbers within {t}"));
    Ok(format!(
        "same stdout ({lines} lines{within}) and {} output files as the reference ({reference})",
        expected.files.len()
    ))
}

/// The number of lines when `got` equals `expected`, else where they first differ.
fn first_difference(expected: &[u8], got: &[u8], tolerance: Option<f64>) -> Result<usize, String> {
    let expected = String::from_utf8_lossy(expected);
    let got = String::from_utf8_lossy(got);
    let mut expected_lines = expected.lines();
    let mut got_lines = got.lines();
    let mut line = 0;
    loop {
        line += 1;
        match (expected_lines.next(), got_lines.next()) {
            (None, None) => return Ok(line - 1),
            (Some(e), Some(g)) if lines_match(e, g, tolerance) => {}
            (Some(e), Some(g)) => return Err(format!("at line {line}: expected {e:?}, got {g:?}")),
            (Some(e), None) => return Err(format!("at line {line}: expected {e:?}, got the end")),
            (None, Some(g)) => return Err(format!("at line {line}: expected the end, got {g:?}")),
        }
    }
}

/// Equal lines, or (with a tolerance) lines whose words are equal or numbers close enough.
fn lines_match(expected: &str, got: &str, tolerance: Option<f64>) -> bool {
    if expected == got {
        return true;
    }
    let Some(tolerance) = tolerance else {
        return false;
    };
    let words = |line: &'_ str| {
        line.split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let (expected, got) = (words(expected), words(got));
    expected.len() == got.len()
        && expected.iter().zip(&got).all(|(e, g)| {
            e == g
                || match (e.parse::<f64>(), g.parse::<f64>()) {
                    (Ok(e), Ok(g)) => (e - g).abs() <= tolerance * e.abs().max(g.abs()).max(1.0),
                    _ => false,
                }
        })
}

#[cfg(test)]
mod tests;
