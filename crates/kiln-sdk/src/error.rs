/// What can go wrong starting, running or stopping the profiler.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("a kiln-sdk agent is already running in this process")]
    AlreadyRunning,
    #[error("{what} failed: {source}")]
    Os { what: &'static str, source: std::io::Error },
    #[error("push to {url} failed: {message}")]
    Push { url: String, message: String },
    #[error("the collector thread panicked")]
    CollectorPanicked,
}
