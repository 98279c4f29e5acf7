//! Mail through SMTP (`lettre`): the activation and password-reset messages,
//! each as plain text and HTML. Bodies carry one-time links, so they are
//! never logged: a failed send is logged with the recipient's user id only.

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// The SMTP transport and the sender.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct MailError(pub String);

/// One message to one person.
pub struct Mail {
    pub to_address: String,
    pub to_name: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl std::fmt::Debug for Mail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mail")
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

impl Mailer {
    pub fn new(smtp_url: &str, from: &str) -> Result<Self, MailError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| MailError(format!("the SMTP URL is not usable: {e}")))?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        let from = from
            .parse::<Mailbox>()
            .map_err(|e| MailError(format!("the sender address is not valid: {e}")))?;
        Ok(Self { transport, from })
    }

    pub async fn send(&self, mail: Mail) -> Result<(), MailError> {
        let to = Mailbox::new(
            Some(mail.to_name.clone()).filter(|n| !n.trim().is_empty()),
            mail.to_address
                .parse()
                .map_err(|_| MailError("the recipient's address is not valid".into()))?,
        );
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject)
            .multipart(MultiPart::alternative_plain_html(mail.text, mail.html))
            .map_err(|e| MailError(e.to_string()))?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| {
            MailError(format!(
                "the mail server refused or could not be reached: {e}"
            ))
        })
    }
}

/// The activation message: `link` sets the first password.
pub fn activation(
    org: &str,
    name: &str,
    login: &str,
    link: &str,
    days: i64,
) -> (String, String, String) {
    let subject = "Activate your Partner Portal account".to_string();
    let text = format!(
        "Hello {name},\n\n{org} has created a Partner Portal account for you ({login}).\n\
         Open this link to choose your password and activate it:\n\n{link}\n\n\
         The link works once and for {days} days. If you did not expect this message, ignore it.\n"
    );
    let html = page(
        &subject,
        &format!(
            "<p>Hello {name},</p><p>{org} has created a Partner Portal account for you ({login}).</p>\
             <p><a href=\"{link}\">Activate your account</a></p>\
             <p>The link works once and for {days} days. If you did not expect this message, ignore it.</p>",
            name = escape(name),
            org = escape(org),
            login = escape(login),
            link = escape(link),
        ),
    );
    (subject, text, html)
}

/// The password-reset message.
pub fn recovery(
    org: &str,
    name: &str,
    login: &str,
    link: &str,
    minutes: i64,
) -> (String, String, String) {
    let subject = "Reset your Partner Portal password".to_string();
    let text = format!(
        "Hello {name},\n\nA password reset was requested for your {org} Partner Portal account ({login}).\n\
         Open this link to choose a new password:\n\n{link}\n\n\
         The link works once and for {minutes} minutes. If you did not ask for this, ignore this message: \
         your password stays as it is.\n"
    );
    let html = page(
        &subject,
        &format!(
            "<p>Hello {name},</p><p>A password reset was requested for your {org} Partner Portal account ({login}).</p>\
             <p><a href=\"{link}\">Choose a new password</a></p>\
             <p>The link works once and for {minutes} minutes. If you did not ask for this, ignore this message: \
             your password stays as it is.</p>",
            name = escape(name),
            org = escape(org),
            login = escape(login),
            link = escape(link),
        ),
    );
    (subject, text, html)
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body style=\"font-family:sans-serif;line-height:1.5\">{body}</body></html>",
        escape(title)
    )
}

/// Text made safe for HTML content and quoted attributes (mail bodies and
/// the server's pages outside the Leptos app).
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
