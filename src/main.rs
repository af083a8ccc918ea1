//! The `mesh-ingress` binary: argument parsing and exit codes around [`mesh_ingress::commands`].

use anyhow::Result;
use clap::{Parser, Subcommand};
use mesh_ingress::commands::{self, EXIT_BAD_INPUT, Overrides, SchemaFormat};
use mesh_ingress::krm::io::Limits;
use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

/// Expand a MeshIngress config into a complete Istio ingress stack.
///
/// Without arguments, mesh-ingress is a KRM function: it reads a ResourceList on stdin and writes one
/// on stdout (kpt fn render/eval, kustomize --enable-alpha-plugins). Run as a kustomize legacy exec
/// plugin, it is given the config file path as its only argument.
#[derive(Parser)]
#[command(name = "mesh-ingress", version, about, long_about, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Render a config and input files as a plain YAML stream (for people, CI and Argo CD).
    Render {
        /// The MeshIngress (or ConfigMap) config file.
        config: PathBuf,
        /// Input YAML files or directories to pass through; `-` reads stdin.
        files: Vec<PathBuf>,
        /// Override a config value: name, namespace, revision, domains, acmeServer or email.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Also take overrides from an Argo CD plugin's environment (ARGOCD_ENV_<KEY>, and the
        /// Application's plugin parameters); --set still wins.
        #[arg(long)]
        argocd: bool,
        /// Print only errors and warnings on stderr, not the info results (the object summary, the
        /// cluster prerequisites).
        #[arg(short, long)]
        quiet: bool,
    },
    /// Check MeshIngress configs without rendering: each one as a render would, and all of them
    /// against each other (the clusters of one mesh share meshID, root CA issuer and trust domain,
    /// and differ in clusterName).
    Check {
        /// Config files, or directories searched recursively (kpt packages, one per cluster).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Draw what a config renders and how traffic flows (Mermaid, Graphviz DOT, SVG or an HTML page),
    /// or, with --explain, say why each generated object exists.
    Graph {
        /// The MeshIngress (or ConfigMap) config file.
        config: PathBuf,
        /// The package's other YAML files or directories (hand-written routes are drawn too); `-` reads stdin.
        files: Vec<PathBuf>,
        /// mermaid (default; GitHub and GitLab render it in Markdown), dot, svg or html; default: from
        /// the -o file's extension (.mmd, .md, .dot, .svg, .html), else mermaid.
        #[arg(long, value_name = "FORMAT", value_parser = ["mermaid", "dot", "svg", "html"])]
        format: Option<String>,
        /// Write to FILE instead of stdout.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
        /// Print every generated object and why it exists, instead of the picture.
        #[arg(long, conflicts_with = "format")]
        explain: bool,
        /// Override a config value, as for render.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
    },
    /// Print the JSON Schema of MeshIngress (or a CustomResourceDefinition, or the field reference).
    Schema {
        /// Print a CustomResourceDefinition with a structural OpenAPI v3 schema instead.
        #[arg(long, conflicts_with = "markdown")]
        crd: bool,
        /// Print the field reference (docs/reference.md) instead.
        #[arg(long)]
        markdown: bool,
    },
    #[command(external_subcommand)]
    Plugin(Vec<OsString>),
}

fn main() {
    let outcome = commands::on_large_stack(run)
        .unwrap_or_else(|| Err(anyhow::anyhow!("cannot start the worker thread")));
    let code = match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("mesh-ingress: error: {}", one_line(&e));
            EXIT_BAD_INPUT
        }
    };
    std::process::exit(code);
}

/// The error and its causes on one line. Our errors already print their cause (`cannot read X:
/// No such file or directory (os error 2)`), so a cause whose text is already there is left out
/// rather than repeated.
fn one_line(error: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in error.chain().map(|e| e.to_string()) {
        if line.contains(&cause) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&cause);
    }
    line.replace('\n', " ")
}

fn run() -> Result<i32> {
    let cli = Cli::parse();
    let writes_to_file = matches!(&cli.command, Some(Command::Graph { output: Some(_), .. }));
    if !writes_to_file && !stdout_is_open() {
        anyhow::bail!(
            "stdout is closed, so the output would be lost; run with stdout open (to discard it, `>/dev/null`)"
        );
    }
    let limits = Limits::from_env();
    let stdout = &mut std::io::stdout().lock();
    let code = run_command(cli, &limits, stdout)?;
    // The last bytes may still sit in stdout's buffer; a failure to write them is a failed run.
    stdout.flush().map_err(|e| anyhow::anyhow!("cannot write output: {e}"))?;
    Ok(code)
}

/// Whether stdout leads anywhere. A process started with stdout closed (`>&-`) never sees it closed:
/// Rust's runtime reopens a closed standard descriptor on `/dev/null`, read-write, before `main`, so
/// every write would succeed and the run would exit 0 having delivered nothing. So stdout on
/// `/dev/null` opened read-write counts as closed; `>/dev/null` (write-only, as shells open it) still
/// discards the output as asked. Where `/proc` cannot tell, stdout counts as open unless fd 1 is
/// invalid.
fn stdout_is_open() -> bool {
    use std::os::fd::AsFd;
    if std::io::stdout().as_fd().try_clone_to_owned().is_err() {
        return false;
    }
    let on_dev_null =
        std::fs::read_link("/proc/self/fd/1").is_ok_and(|t| t == std::path::Path::new("/dev/null"));
    let read_write = std::fs::read_to_string("/proc/self/fdinfo/1").ok().and_then(|info| {
        let flags = info.lines().find_map(|l| l.strip_prefix("flags:"))?.trim().to_string();
        u32::from_str_radix(&flags, 8).ok()
    });
    // O_ACCMODE is 3 and O_RDWR 2 on Linux.
    !(on_dev_null && read_write.is_some_and(|flags| flags & 3 == 2))
}

fn run_command(cli: Cli, limits: &Limits, stdout: &mut dyn Write) -> Result<i32> {
    let stderr = &mut std::io::stderr();
    match cli.command {
        None => {
            let input = commands::read_limited(std::io::stdin(), "stdin", limits)?;
            Ok(commands::krm(&input, limits, stdout, stderr)?)
        }
        Some(Command::Render { config, files, set, argocd, quiet }) => {
            let mut overrides = Overrides::default();
            if argocd {
                let vars = std::env::vars().collect();
                overrides.values.extend(Overrides::from_argocd(&vars)?.values);
            }
            overrides.values.extend(Overrides::parse(&set)?.values);
            Ok(commands::render(
                &config,
                &files,
                &overrides,
                quiet,
                &mut std::io::stdin(),
                limits,
                stdout,
                stderr,
            )?)
        }
        Some(Command::Check { paths }) => Ok(commands::check(&paths, limits, stdout, stderr)?),
        Some(Command::Graph { config, files, format, output, explain, set }) => {
            let format = format.as_deref().and_then(mesh_ingress::graph::Format::parse);
            let options = mesh_ingress::graph::command::Options { format, output, explain };
            let overrides = Overrides::parse(&set)?;
            let stdin = &mut std::io::stdin();
            Ok(mesh_ingress::graph::command::graph(
                &config, &files, &overrides, &options, stdin, limits, stdout, stderr,
            )?)
        }
        Some(Command::Schema { crd, markdown }) => {
            let format = match (crd, markdown) {
                (true, _) => SchemaFormat::Crd,
                (_, true) => SchemaFormat::Markdown,
                _ => SchemaFormat::JsonSchema,
            };
            Ok(commands::schema(format, stdout)?)
        }
        Some(Command::Plugin(args)) => {
            // kustomize runs a legacy exec plugin as `PLUGIN /tmp/kust-plugin-config-NNN`.
            let config = PathBuf::from(args.first().cloned().unwrap_or_default());
            if !config.is_file() {
                anyhow::bail!(
                    "unknown command {:?}; run `mesh-ingress --help` (a single argument must be a config file, as kustomize passes it)",
                    config.display()
                );
            }
            let input = commands::read_limited(std::io::stdin(), "stdin", limits)?;
            Ok(commands::legacy_plugin(&config, &input, limits, stdout, stderr)?)
        }
    }
}
