//! Log lines in the formats containerd's runc shim reads.
//!
//! The shim runs the runtime with `--log <bundle>/log.json --log-format json` and, when a
//! command fails, shows the user the `msg` of the last line whose `level` is `error`. So every
//! line is one JSON object `{"level":"error","msg":"...","time":"..."}` in that format, and as
//! logrus's text format (`time="..." level=error msg="..."`) in text format. Without `--log`,
//! lines go to stderr as `wasmfaas-runtime: level: message`, for people.
use std::fmt::Write as _;
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Context, SubscriberExt};

/// The format of log lines, as `--log-format` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// logrus's text format (runc's default).
    Text,
    /// One JSON object a line.
    Json,
}

impl std::str::FromStr for LogFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(format!(
                "--log-format {other:?}: unknown format; use text or json"
            )),
        }
    }
}

/// Where log lines go.
#[derive(Clone)]
pub struct Log {
    file: Option<Arc<Mutex<File>>>,
    format: LogFormat,
}

impl Log {
    /// Logs to `path` (appending, created if missing) in `format`, or to stderr without a path.
    pub fn open(path: Option<&Path>, format: LogFormat) -> Result<Self, String> {
        let file = match path {
            Some(path) => Some(Arc::new(Mutex::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|e| {
                        format!("--log {}: cannot open the log file: {e}", path.display())
                    })?,
            ))),
            None => None,
        };
        Ok(Self { file, format })
    }

    /// Whether lines go to a file (else to stderr).
    pub fn to_file(&self) -> bool {
        self.file.is_some()
    }

    /// Writes one line at `level`.
    pub fn line(&self, level: Level, message: &str) {
        // logrus's level names, which runc writes.
        let level = match level {
            Level::ERROR => "error",
            Level::WARN => "warning",
            Level::INFO => "info",
            Level::DEBUG => "debug",
            Level::TRACE => "trace",
        };
        let Some(file) = &self.file else {
            eprintln!("wasmfaas-runtime: {level}: {message}");
            return;
        };
        let time = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
        let line = match self.format {
            LogFormat::Json => {
                serde_json::json!({ "level": level, "msg": message, "time": time }).to_string()
            }
            LogFormat::Text => format!(
                "time={} level={level} msg={}",
                serde_json::Value::from(time),
                serde_json::Value::from(message)
            ),
        };
        if let Ok(mut file) = file.lock() {
            // One write a line, so lines of concurrent processes do not interleave.
            file.write_all(format!("{line}\n").as_bytes()).ok();
        }
    }

    /// Makes this log the destination of `tracing` events (ours and libcontainer's): warnings
    /// and errors in a log file, everything down to debug with `debug`.
    pub fn install(&self, debug: bool) {
        // On a terminal, libcontainer's lines (a warning for every cgroup controller the host
        // lacks, each layer of an error again) bury the one line that says what went wrong,
        // which main prints; --debug shows them.
        let level = match (debug, self.to_file()) {
            (true, _) => LevelFilter::DEBUG,
            (false, true) => LevelFilter::WARN,
            (false, false) => LevelFilter::OFF,
        };
        let layer = LogLayer { log: self.clone() }.with_filter(level);
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::set_global_default(subscriber).ok();
    }
}

/// Writes each `tracing` event as one log line: its message, then its fields as `key=value`.
struct LogLayer {
    log: Log,
}

impl<S: Subscriber> Layer<S> for LogLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut visitor = Message::default();
        event.record(&mut visitor);
        self.log.line(*event.metadata().level(), &visitor.text);
    }
}

#[derive(Default)]
struct Message {
    text: String,
}

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let rest = std::mem::take(&mut self.text);
            write!(self.text, "{value:?}{rest}").ok();
        } else {
            write!(self.text, " {}={value:?}", field.name()).ok();
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.text.insert_str(0, value);
        } else {
            write!(self.text, " {}={value}", field.name()).ok();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_are_what_the_shim_parses() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.json");
        let log = Log::open(Some(&path), LogFormat::Json).unwrap();
        log.line(Level::ERROR, "bundle \"x\": no config.json");
        log.line(Level::WARN, "second");
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["level"], "error");
        assert_eq!(lines[0]["msg"], "bundle \"x\": no config.json");
        assert!(lines[0]["time"].as_str().unwrap().ends_with('Z'));
        assert_eq!(lines[1]["level"], "warning");
    }

    #[test]
    fn text_lines_are_logrus_style() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let log = Log::open(Some(&path), LogFormat::Text).unwrap();
        log.line(Level::ERROR, "it \"failed\"");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("time=\""), "{text}");
        assert!(
            text.contains(r#"level=error msg="it \"failed\"""#),
            "{text}"
        );
    }
}
