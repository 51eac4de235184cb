//! Reading a manifest: TOML into declarations, every field checked where it is read.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use wasmfaas_engines::{Mode, Preopen};

use crate::{Check, FunctionDecl, Manifest, ManifestError, Reference, Source};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default, rename = "function")]
    functions: Vec<toml::Table>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFunction {
    name: String,
    summary: Option<String>,
    module: Option<toml::Value>,
    binary: Option<toml::Value>,
    artifact: Option<PathBuf>,
    engine: Option<String>,
    mode: Option<String>,
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default)]
    dirs: Vec<String>,
    inputs: Option<PathBuf>,
    #[serde(default)]
    output: bool,
    check: Option<toml::Value>,
    tolerance: Option<f64>,
    reference: Option<String>,
    timeout: Option<String>,
    max_memory: Option<String>,
}

type FieldError = (&'static str, String);

pub(crate) fn read(file: &Path) -> Result<Manifest, ManifestError> {
    let error = |function: Option<&str>, field, problem: String| ManifestError {
        file: file.to_path_buf(),
        function: function.map(str::to_owned),
        field,
        problem,
    };
    let text = std::fs::read_to_string(file)
        .map_err(|e| error(None, None, format!("cannot read it: {e}")))?;
    let raw: RawFile = toml::from_str(&text).map_err(|e| {
        error(
            None,
            None,
            format!("{}: expected [[function]] tables", e.message()),
        )
    })?;
    if raw.functions.is_empty() {
        return Err(error(None, None, "declares no [[function]]".into()));
    }
    let mut manifest = Manifest {
        file: file.to_path_buf(),
        functions: Vec::new(),
    };
    let base = manifest.dir().to_path_buf();
    for (index, table) in raw.functions.into_iter().enumerate() {
        let label = match table.get("name") {
            Some(toml::Value::String(name)) => name.clone(),
            _ => format!("#{}", index + 1),
        };
        let function: RawFunction = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| error(Some(&label), None, e.message().to_owned()))?;
        let decl = function
            .resolve(&base)
            .map_err(|(field, problem)| error(Some(&label), Some(field), problem))?;
        if manifest.function(&decl.name).is_some() {
            return Err(error(
                Some(&label),
                Some("name"),
                "is declared twice: give each function its own name".into(),
            ));
        }
        manifest.functions.push(decl);
    }
    Ok(manifest)
}

impl RawFunction {
    fn resolve(self, base: &Path) -> Result<FunctionDecl, FieldError> {
        check_name(&self.name).map_err(|p| ("name", p))?;
        let module = self.module.map(|v| source(base, "module", v)).transpose()?;
        let binary = self.binary.map(|v| source(base, "binary", v)).transpose()?;
        let artifact = self
            .artifact
            .map(|path| existing_file(base, "artifact", path))
            .transpose()?;
        if module.is_none() && binary.is_none() && artifact.is_none() {
            return Err((
                "module",
                "neither `module` nor `binary` is given: say what runs the function".into(),
            ));
        }
        let mode = self
            .mode
            .map(|m| m.parse::<Mode>().map_err(|p| ("mode", p)))
            .transpose()?;
        if let Some(engine) = &self.engine {
            wasmfaas_engines::engine(engine).map_err(|e| ("engine", e.to_string()))?;
        }
        let dirs = self
            .dirs
            .iter()
            .map(|spec| {
                let spec = match spec.split_once(':') {
                    Some((host, guest)) => format!("{}:{guest}", base.join(host).display()),
                    None => base.join(spec).display().to_string(),
                };
                spec.parse::<Preopen>()
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|p| ("dirs", p))?;
        let inputs = match self.inputs {
            Some(dir) => {
                let dir = base.join(dir);
                if !dir.is_dir() {
                    return Err(("inputs", format!("{} is not a folder", dir.display())));
                }
                Some(dir)
            }
            None => None,
        };
        if self.args.iter().any(|a| a.contains("{input}")) && inputs.is_none() {
            return Err((
                "args",
                "name {input} but no `inputs` folder is given: add `inputs = \"FOLDER\"`".into(),
            ));
        }
        if self.args.iter().any(|a| a.contains("{output}")) && !self.output {
            return Err((
                "args",
                "name {output} but `output` is not true: add `output = true`".into(),
            ));
        }
        let check = check(
            self.check,
            self.tolerance,
            self.reference,
            module.is_some(),
            binary.is_some(),
        )?;
        let timeout = self
            .timeout
            .map(|spec| {
                humantime::parse_duration(&spec).map_err(|e| {
                    (
                        "timeout",
                        format!("bad duration {spec:?}: {e}; e.g. 5s, 500ms"),
                    )
                })
            })
            .transpose()?;
        let max_memory = self
            .max_memory
            .map(|spec| wasmfaas_engines::parse_bytes(&spec))
            .transpose()
            .map_err(|p| ("max_memory", p))?;
        Ok(FunctionDecl {
            name: self.name,
            summary: self.summary,
            module,
            binary,
            artifact,
            engine: self.engine,
            mode,
            args: self.args,
            env: self.env.into_iter().collect(),
            dirs,
            inputs,
            output: self.output,
            check,
            timeout,
            max_memory,
        })
    }
}

/// `"PATH"` or `{ path = "PATH", build = "COMMAND" }`; a file without a build command must exist.
fn source(base: &Path, field: &'static str, value: toml::Value) -> Result<Source, FieldError> {
    let wrong = || {
        (
            field,
            format!(
                "expected a path or {{ path = \"...\", build = \"...\" }}, found {}",
                value.type_str()
            ),
        )
    };
    let (path, build) = match &value {
        toml::Value::String(path) => (PathBuf::from(path), None),
        toml::Value::Table(table) => {
            if let Some(key) = table.keys().find(|k| *k != "path" && *k != "build") {
                return Err((
                    field,
                    format!("unknown key `{key}`: expected `path` and `build`"),
                ));
            }
            let path = match table.get("path") {
                Some(toml::Value::String(path)) => PathBuf::from(path),
                Some(_) => return Err(wrong()),
                None => return Err((field, "has no `path`: say which file it is".into())),
            };
            let build = match table.get("build") {
                Some(toml::Value::String(command)) if !command.trim().is_empty() => {
                    Some(command.clone())
                }
                Some(toml::Value::String(_)) => {
                    return Err((
                        field,
                        "`build` is empty: give the command or leave it out".into(),
                    ));
                }
                Some(other) => {
                    return Err((
                        field,
                        format!(
                            "`build` must be a string (a shell command), found {}",
                            other.type_str()
                        ),
                    ));
                }
                None => None,
            };
            (path, build)
        }
        _ => return Err(wrong()),
    };
    let path = if build.is_some() {
        base.join(path)
    } else {
        existing_file(base, field, path)?
    };
    Ok(Source { path, build })
}

fn existing_file(base: &Path, field: &'static str, path: PathBuf) -> Result<PathBuf, FieldError> {
    let path = base.join(path);
    if path.is_file() {
        Ok(path)
    } else {
        Err((
            field,
            format!(
                "{} is not a file: fix the path, or give the command that makes it as {{ path = \"...\", build = \"...\" }}",
                path.display()
            ),
        ))
    }
}

/// The check: `same` by default when there is something to compare (module and binary) or a
/// `reference` or `tolerance` says one is meant, else `none`.
fn check(
    value: Option<toml::Value>,
    tolerance: Option<f64>,
    reference: Option<String>,
    has_module: bool,
    has_binary: bool,
) -> Result<Check, FieldError> {
    let check = match value {
        None if (has_module && has_binary) || reference.is_some() || tolerance.is_some() => {
            "same".to_owned()
        }
        None => "none".to_owned(),
        Some(toml::Value::String(name)) => name,
        Some(toml::Value::Table(table)) => {
            if let Some(key) = table.keys().find(|k| *k != "command") {
                return Err(("check", format!("unknown key `{key}`: expected `command`")));
            }
            match table.get("command") {
                Some(toml::Value::String(command)) if !command.trim().is_empty() => {
                    if tolerance.is_some() || reference.is_some() {
                        return Err((
                            "check",
                            "`tolerance` and `reference` go with check = \"same\", not a command"
                                .into(),
                        ));
                    }
                    return Ok(Check::Command(command.clone()));
                }
                _ => {
                    return Err(("check", "expected { command = \"a shell command\" }".into()));
                }
            }
        }
        Some(other) => {
            return Err((
                "check",
                format!(
                    "expected \"same\", \"none\" or {{ command = \"...\" }}, found {}",
                    other.type_str()
                ),
            ));
        }
    };
    match check.as_str() {
        "same" => {}
        "none" if tolerance.is_none() && reference.is_none() => return Ok(Check::None),
        "none" => {
            return Err((
                "check",
                "`tolerance` and `reference` go with check = \"same\", not \"none\"".into(),
            ));
        }
        other => {
            return Err((
                "check",
                format!(
                    "unknown check {other:?}: expected \"same\", \"none\" or {{ command = \"...\" }}"
                ),
            ));
        }
    }
    if let Some(tolerance) = tolerance
        && !(tolerance.is_finite() && tolerance >= 0.0)
    {
        return Err((
            "tolerance",
            format!("{tolerance} is not a non-negative number"),
        ));
    }
    let reference = match reference.as_deref() {
        None | Some("native") => Reference::Native,
        Some(engine) => {
            let known =
                wasmfaas_engines::engine(engine).map_err(|e| ("reference", e.to_string()))?;
            Reference::Engine(known.name().to_owned())
        }
    };
    match reference {
        Reference::Native if !has_binary => Err((
            "check",
            "\"same\" compares with the native binary's output, and there is no `binary`: add one, name an engine as `reference`, or use check = \"none\"".into(),
        )),
        Reference::Engine(_) if !has_module => Err((
            "reference",
            "an engine as reference runs the `module`, and there is none".into(),
        )),
        reference => Ok(Check::Same {
            reference,
            tolerance,
        }),
    }
}

/// A name is one path segment: letters, digits, `-`, `_` and `.`, not starting with `.`.
fn check_name(name: &str) -> Result<(), String> {
    let valid = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not a name: use letters, digits, '-', '_' and '.'"
        ))
    }
}

#[cfg(test)]
mod tests;
