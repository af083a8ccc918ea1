//! Infrastructure errors: input that cannot be read as YAML or as a ResourceList, and output that
//! cannot be written.
//!
//! Mistakes in a *readable* config are not errors of this kind: they become structured results
//! (see [`crate::krm::result`]) so kpt and Argo CD can show every problem at once. An [`Error`] is
//! for the cases where there is no ResourceList to attach results to.

/// A failure to read input or write output.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is larger than the configured limit.
    #[error("input is over the limit of {limit} bytes (set MESH_INGRESS_MAX_INPUT_BYTES to raise it)")]
    InputTooLarge {
        /// Size of the input in bytes (or a lower bound when reading stopped early).
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// The input is not UTF-8, which YAML requires.
    #[error("input is not valid UTF-8: invalid byte sequence at offset {offset}")]
    NotUtf8 {
        /// Byte offset of the first invalid sequence.
        offset: usize,
    },
    /// The input holds no YAML document.
    #[error(
        "input is empty; expected a ResourceList (apiVersion: config.kubernetes.io/v1, kind: ResourceList)"
    )]
    EmptyInput,
    /// The input is not well-formed YAML, or breaks a parser limit (nesting, aliases, size).
    #[error("cannot parse {what} as YAML: {message}")]
    Yaml {
        /// What was being parsed (`stdin`, a file name, ...).
        what: String,
        /// The parser's message, on one line.
        message: String,
    },
    /// The input is YAML but not a ResourceList.
    #[error("input is not a ResourceList: {0}")]
    NotResourceList(String),
    /// A file named on the command line cannot be read.
    #[error("cannot read {path}: {source}")]
    ReadFile {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A config file or stream holds something other than what the command expects.
    #[error("{0}")]
    BadInput(String),
    /// The output cannot be serialized.
    #[error("cannot serialize output: {0}")]
    Serialize(String),
    /// The output cannot be written.
    #[error("cannot write output: {0}")]
    Write(#[source] std::io::Error),
    /// An output file named on the command line cannot be written.
    #[error("cannot write {path}: {source}")]
    WriteFile {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}
