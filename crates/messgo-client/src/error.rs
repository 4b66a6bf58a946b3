#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{status} {code}: {message}")]
    Api {
        status: u16,
        code: String,
        message: String,
        retry_after: Option<u64>,
    },
    #[error("http: {0}")]
    Http(#[from] reqwest::Error),
    #[error("crypto: {0}")]
    Crypto(#[from] messgo_crypto::CryptoError),
    /// A local file could not be read or written.
    #[error("file: {0}")]
    Io(#[from] std::io::Error),
    /// The client refused something the server asked of it (e.g. a too-weak KDF).
    #[error("refused: {0}")]
    Refused(String),
}

impl ClientError {
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Api { code, .. } => Some(code),
            ClientError::Http(_)
            | ClientError::Crypto(_)
            | ClientError::Refused(_)
            | ClientError::Io(_) => None,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Api { status, .. } => Some(*status),
            ClientError::Http(_)
            | ClientError::Crypto(_)
            | ClientError::Refused(_)
            | ClientError::Io(_) => None,
        }
    }
}
