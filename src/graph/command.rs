//! `mesh-ingress graph CONFIG [FILE|DIR|-]... [--format mermaid|dot|svg|html] [-o FILE] [--explain]`.
//!
//! The config and its package are read and checked exactly as `render` does (the same findings on
//! stderr, exit 1 when the config has errors); instead of the YAML stream it writes the picture of
//! what the config renders, or, with `--explain`, why each generated object exists.

use super::Format;
use crate::api;
use crate::commands::{self, EXIT_CONFIG_ERROR, EXIT_OK, Overrides};
use crate::error::Error;
use crate::krm::io::Limits;
use crate::krm::result::Severity;
use crate::pipeline::{self, Mode};
use std::io::Write;
use std::path::{Path, PathBuf};

/// What to draw and where.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// The format; `None`: from the output file's extension, else Mermaid.
    pub format: Option<Format>,
    /// Write here instead of stdout.
    pub output: Option<PathBuf>,
    /// Print why each generated object exists instead of the picture.
    pub explain: bool,
}

impl Options {
    /// The format to write: as given, else from the output file's extension, else Mermaid.
    pub fn format(&self) -> Format {
        self.format
            .or_else(|| {
                let extension = self.output.as_ref()?.extension()?.to_str()?;
                Format::parse(extension)
            })
            .unwrap_or(Format::Mermaid)
    }
}

/// Run `graph`: the exit code, as `render`'s.
#[allow(clippy::too_many_arguments)]
pub fn graph(
    config_path: &Path,
    inputs: &[PathBuf],
    overrides: &Overrides,
    options: &Options,
    stdin: &mut dyn std::io::Read,
    limits: &Limits,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<i32, Error> {
    let mut config = commands::read_config(config_path, limits)?;
    overrides.apply(&mut config);
    let items = commands::read_inputs(config_path, inputs, stdin, limits)?;
    // The same run as `render`, for the same findings (package checks included).
    let outcome = pipeline::process(items.clone(), Some(&config), Mode::Stream);
    commands::report(&outcome.results, Severity::Warning, stderr);
    if outcome.failed() {
        return Ok(EXIT_CONFIG_ERROR);
    }
    let decoded = match api::decode_config(Some(&config)) {
        Ok(decoded) => decoded,
        Err(error) => {
            commands::report(&error.results, Severity::Warning, stderr);
            return Ok(EXIT_CONFIG_ERROR);
        }
    };
    let (model, _, generated) = pipeline::generate(&decoded, None, Mode::Stream);
    let Some(generated) = generated else { return Ok(EXIT_CONFIG_ERROR) };
    let others: Vec<_> = items.into_iter().filter(|item| !commands::is_local_config(item)).collect();
    let graph = super::build(&model, &generated, &others);
    let mut text =
        if options.explain { super::explain(&graph) } else { super::render(&graph, options.format()) };
    // A Markdown file gets the flowchart as the block GitHub and GitLab draw.
    let markdown = options.output.as_ref().and_then(|p| p.extension()).is_some_and(|e| e == "md");
    if markdown && !options.explain && options.format() == Format::Mermaid {
        text = format!("```mermaid\n{text}```\n");
    }
    match &options.output {
        Some(path) => std::fs::write(path, text)
            .map_err(|source| Error::WriteFile { path: path.display().to_string(), source })?,
        None => stdout.write_all(text.as_bytes()).map_err(Error::Write)?,
    }
    Ok(EXIT_OK)
}
