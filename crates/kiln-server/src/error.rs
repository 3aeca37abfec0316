//! The one error type of `kiln-server`.

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("configuration: {0}")]
    Config(String),
    #[error("storage: {0}")]
    Storage(#[from] kiln_store::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}
