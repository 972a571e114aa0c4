//! The server's command line, as the client writes it (`client::startup`):
//! `--segment NAME [--module NAME] [--file-dir DIR] [--kw KEY=VALUE]…` (no module: the one
//! wrapper of a single-wrapper server, `Client64::own_server`).

use std::path::PathBuf;

use super::Kwargs;

/// What the command line says.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Config {
    /// The base name of the client's shared segment.
    pub(super) segment: String,
    /// The wrapper to run (`module32`); none for a server of one wrapper.
    pub(super) module: Option<String>,
    /// The folder of the file transport, if the client chose it.
    pub(super) file_dir: Option<PathBuf>,
    /// The keyword arguments for the wrapper's constructor.
    pub(super) kwargs: Kwargs,
}

impl Config {
    /// Parses the arguments after the program's name.
    pub(super) fn from_args(mut it: impl Iterator<Item = String>) -> Result<Config, String> {
        let (mut segment, mut module, mut file_dir, mut kwargs) =
            (None, None, None, Kwargs::default());
        while let Some(flag) = it.next() {
            let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
            match flag.as_str() {
                "--segment" => segment = Some(value()?),
                "--module" => module = Some(value()?),
                "--file-dir" => file_dir = Some(PathBuf::from(value()?)),
                "--kw" => {
                    let kv = value()?;
                    let (k, v) = kv
                        .split_once('=')
                        .ok_or_else(|| format!("--kw {kv}: expected KEY=VALUE"))?;
                    kwargs.0.insert(k.to_owned(), v.to_owned());
                }
                other => return Err(format!("unknown option {other}")),
            }
        }
        Ok(Config {
            segment: segment.ok_or("--segment is required")?,
            module,
            file_dir,
            kwargs,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Config, String> {
        Config::from_args(args.iter().map(|a| a.to_string()))
    }

    #[test]
    fn a_full_command_line_is_read() {
        let c = parse(&[
            "--segment",
            "/ll-1",
            "--module",
            "echo",
            "--file-dir",
            "/tmp/d",
            "--kw",
            "a=1=2",
            "--kw",
            "b=",
        ])
        .unwrap();
        assert_eq!(c.segment, "/ll-1");
        assert_eq!(c.module.as_deref(), Some("echo"));
        assert_eq!(c.file_dir, Some(PathBuf::from("/tmp/d")));
        assert_eq!(c.kwargs.get("a"), Some("1=2"));
        assert_eq!(c.kwargs.get("b"), Some(""));
    }

    #[test]
    fn what_is_missing_or_unknown_is_named() {
        assert_eq!(
            parse(&["--module", "echo"]).unwrap_err(),
            "--segment is required"
        );
        assert_eq!(parse(&["--segment", "s"]).unwrap().module, None);
        assert_eq!(
            parse(&["--segment"]).unwrap_err(),
            "--segment needs a value"
        );
        assert_eq!(
            parse(&["--kw", "x"]).unwrap_err(),
            "--kw x: expected KEY=VALUE"
        );
        assert_eq!(
            parse(&["--verbose"]).unwrap_err(),
            "unknown option --verbose"
        );
    }
}
