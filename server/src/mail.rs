//! Sending email: one small [`Mailer`] trait, with SMTP for deployments and a local outbox
//! (one JSON file per message in a folder) as the embedded default, so a developer can finish a
//! verification without any mail server.

use crate::files::{PRIVATE_DIR_MODE, PRIVATE_FILE_MODE};
use async_trait::async_trait;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;

/// A message to send.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    pub to: String,
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part.
    pub html: String,
}

/// Why a message was not sent: what was being done, and the underlying error as the source
/// (logged with its whole chain, never shown to API clients).
#[derive(Debug, thiserror::Error)]
#[error("{context}")]
pub struct MailError {
    context: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl MailError {
    /// A failure with no underlying error.
    pub fn new(context: impl Into<String>) -> Self {
        MailError {
            context: context.into(),
            source: None,
        }
    }

    /// A failure while doing `context`, caused by `source`.
    pub fn caused_by(
        context: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        MailError {
            context: context.into(),
            source: Some(Box::new(source)),
        }
    }
}

/// Something that delivers email.
#[async_trait]
pub trait Mailer: Send + Sync + 'static {
    /// Delivers `email`, or says why it could not.
    async fn send(&self, email: &Email) -> Result<(), MailError>;
}

/// Delivery through an SMTP server.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    /// A mailer for `url`: `smtp://host:port` (plain; add `?tls=required` for STARTTLS) or
    /// `smtps://host:port` (TLS from the start), with `user:password@` for authentication.
    pub fn new(url: &str, from: &str) -> Result<Self, MailError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| {
                MailError::caused_by(format!("SMTP URL {:?}", crate::redact_password(url)), e)
            })?
            .build();
        let from = from
            .parse()
            .map_err(|e| MailError::caused_by(format!("from address {from:?}"), e))?;
        Ok(SmtpMailer { transport, from })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, email: &Email) -> Result<(), MailError> {
        let to: Mailbox = email
            .to
            .parse()
            .map_err(|e| MailError::caused_by(format!("address {:?}", email.to), e))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&email.subject)
            .multipart(MultiPart::alternative_plain_html(
                email.text.clone(),
                email.html.clone(),
            ))
            .map_err(|e| MailError::caused_by("building the message", e))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| MailError::caused_by("SMTP delivery failed", e))
    }
}

/// The embedded default: each message becomes a JSON file in a folder, read with
/// `contact-channels outbox`.
pub struct OutboxMailer {
    dir: PathBuf,
}

impl OutboxMailer {
    /// An outbox in `dir`, created private when the first message is written. An existing
    /// folder that other accounts may read is warned about.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        crate::files::warn_if_exposed(&dir);
        OutboxMailer { dir }
    }
}

#[async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, email: &Email) -> Result<(), MailError> {
        let micros = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_micros());
        // Sortable by time, unique across instances; written whole, then renamed into place.
        let name = format!("{micros:020}-{}.json", uuid::Uuid::new_v4().simple());
        let json = serde_json::to_vec_pretty(email).expect("an email serializes");
        // Private whatever the umask: each message holds a live verification link.
        tokio::fs::DirBuilder::new()
            .recursive(true)
            .mode(PRIVATE_DIR_MODE)
            .create(&self.dir)
            .await
            .map_err(|e| {
                MailError::caused_by(format!("creating the outbox {}", self.dir.display()), e)
            })?;
        let partial = self.dir.join(format!(".{name}.partial"));
        let written = async {
            let mut file = tokio::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(PRIVATE_FILE_MODE)
                .open(&partial)
                .await?;
            file.write_all(&json).await?;
            file.flush().await
        };
        written
            .await
            .map_err(|e| MailError::caused_by("writing to the outbox", e))?;
        tokio::fs::rename(&partial, self.dir.join(&name))
            .await
            .map_err(|e| MailError::caused_by("writing to the outbox", e))
    }
}

/// The messages in an outbox folder, oldest first; none when the folder is not there yet.
pub fn read_outbox(dir: &Path) -> std::io::Result<Vec<Email>> {
    let entries = match std::fs::read_dir(dir) {
        // The folder is made with the first email: none yet is an empty outbox.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        entries => entries?,
    };
    let mut names: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    names.sort();
    names
        .iter()
        .map(|path| {
            let bytes = std::fs::read(path)?;
            serde_json::from_slice(&bytes)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
        })
        .collect()
}
