//! The one error the UI sees: `{code, message}`. The UI branches on `code` only, never on the message.

use handoff::agent::AgentError;
use handoff::bundle::BundleError;
use handoff::demo::DemoError;
use handoff::disconnect::DisconnectError;
use handoff::doctor::DoctorError;
use handoff::fields::FieldsError;
use handoff::handoff::TicketPageError;
use handoff::profile::FolderError;
use handoff::relay::keys::RelayKeyError;
use handoff::rotate::RotateError;
use handoff::service::HostError;
use handoff::session::SessionError;
use handoff::settings::SettingsError;
use handoff::setup::manual::OpenPageError;
use handoff::setup::SetupError;
use handoff::store::StoreError;
use handoff::verify::VerifyError;
use handoff::ConnectError;
use serde::Serialize;

/// What kind of failure, for the UI to branch on. Add a variant only when the UI uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    /// The input is not acceptable; the message says what to change.
    InvalidInput,
    /// The OS keychain cannot be reached; the message says what to start or install.
    KeychainUnavailable,
    /// The local database failed.
    Storage,
    /// Zendesk answered with an error, or could not be reached.
    Zendesk,
    /// Nothing is connected yet: the screen points to Connect.
    NotConnected,
    Internal,
}

#[derive(Debug, Serialize)]
pub struct CommandError {
    code: Code,
    message: String,
}

impl CommandError {
    pub fn new(code: Code, message: impl ToString) -> Self {
        CommandError {
            code,
            message: message.to_string(),
        }
    }
}

impl From<ConnectError> for CommandError {
    fn from(error: ConnectError) -> Self {
        let code = match &error {
            ConnectError::Invalid(_) => Code::InvalidInput,
            ConnectError::Zendesk(_) => Code::Zendesk,
            ConnectError::Store(_) => Code::Storage,
            ConnectError::Keychain(_) => Code::KeychainUnavailable,
        };
        CommandError::new(code, error)
    }
}

impl From<FieldsError> for CommandError {
    fn from(error: FieldsError) -> Self {
        let code = match &error {
            FieldsError::NotConnected => Code::NotConnected,
            FieldsError::UnknownField(_)
            | FieldsError::NotMappable { .. }
            | FieldsError::NotMapped(_)
            | FieldsError::Invalid(_) => Code::InvalidInput,
            FieldsError::Zendesk(_) => Code::Zendesk,
            FieldsError::Store(_) => Code::Storage,
            FieldsError::Keychain(_) => Code::KeychainUnavailable,
            FieldsError::Connect(_) => {
                return match error {
                    FieldsError::Connect(inner) => inner.into(),
                    other => CommandError::new(Code::Internal, other),
                }
            }
        };
        CommandError::new(code, error)
    }
}

impl From<StoreError> for CommandError {
    fn from(error: StoreError) -> Self {
        CommandError::new(Code::Storage, error)
    }
}

impl From<DemoError> for CommandError {
    fn from(error: DemoError) -> Self {
        match error {
            DemoError::Connect(inner) => inner.into(),
            // The admin chose the sandbox while connected to a real account: the message says what to do.
            refused @ (DemoError::RealConnection { .. } | DemoError::NotSandbox) => {
                CommandError::new(Code::InvalidInput, refused)
            }
            DemoError::Session(inner) => inner.into(),
            other => CommandError::new(Code::Internal, other),
        }
    }
}

impl From<SessionError> for CommandError {
    fn from(error: SessionError) -> Self {
        let code = match &error {
            SessionError::Store(_) => Code::Storage,
            SessionError::NotFound(_)
            | SessionError::Invalid { .. }
            | SessionError::HumanActive(_) => Code::InvalidInput,
        };
        CommandError::new(code, error)
    }
}

impl From<TicketPageError> for CommandError {
    fn from(error: TicketPageError) -> Self {
        match error {
            TicketPageError::Session(inner) => inner.into(),
            TicketPageError::Store(inner) => inner.into(),
            not_connected @ TicketPageError::NotConnected => {
                CommandError::new(Code::NotConnected, not_connected)
            }
            refused @ (TicketPageError::NoTicket(_) | TicketPageError::OffAccount { .. }) => {
                CommandError::new(Code::InvalidInput, refused)
            }
            failed @ TicketPageError::Browser { .. } => CommandError::new(Code::Internal, failed),
        }
    }
}

impl From<RelayKeyError> for CommandError {
    fn from(error: RelayKeyError) -> Self {
        let code = match &error {
            RelayKeyError::Store(_) => Code::Storage,
            RelayKeyError::Keychain(_) => Code::KeychainUnavailable,
            // A key the keychain holds but the relay cannot use: the message says to rotate it.
            RelayKeyError::Weak(_) | RelayKeyError::Missing(_) | RelayKeyError::Unreadable(_) => {
                Code::Internal
            }
        };
        CommandError::new(code, error)
    }
}

impl From<HostError> for CommandError {
    fn from(error: HostError) -> Self {
        let code = match &error {
            HostError::NotConnected => Code::NotConnected,
            // The address is the admin's setting: the message says how to change it.
            HostError::AddressInUse { .. } | HostError::Listen { .. } => Code::InvalidInput,
            HostError::Store(_) => Code::Storage,
            HostError::Workers(_) => Code::Internal,
        };
        CommandError::new(code, error)
    }
}

impl From<SettingsError> for CommandError {
    fn from(error: SettingsError) -> Self {
        match error {
            SettingsError::Store(inner) => inner.into(),
            invalid => CommandError::new(Code::InvalidInput, invalid),
        }
    }
}

impl From<SetupError> for CommandError {
    fn from(error: SetupError) -> Self {
        let code = match &error {
            SetupError::NotConnected | SetupError::ReconnectRequired(_) => Code::NotConnected,
            SetupError::Zendesk { .. } => Code::Zendesk,
            SetupError::NeedsWebhook(_) | SetupError::Link(_) => Code::InvalidInput,
            SetupError::Store(_) => Code::Storage,
            SetupError::Keychain(_) => Code::KeychainUnavailable,
            SetupError::Connect(_) | SetupError::Keys(_) => {
                return match error {
                    SetupError::Connect(inner) => inner.into(),
                    SetupError::Keys(inner) => inner.into(),
                    other => CommandError::new(Code::Internal, other),
                }
            }
        };
        CommandError::new(code, error)
    }
}

impl From<OpenPageError> for CommandError {
    fn from(error: OpenPageError) -> Self {
        let code = match &error {
            OpenPageError::NotConnected => Code::NotConnected,
            OpenPageError::Link(_) | OpenPageError::NoPage(_) => Code::InvalidInput,
            OpenPageError::Store(_) => Code::Storage,
            OpenPageError::Browser { .. } => Code::Internal,
        };
        CommandError::new(code, error)
    }
}

impl From<VerifyError> for CommandError {
    fn from(error: VerifyError) -> Self {
        match error {
            not_connected @ VerifyError::NotConnected => {
                CommandError::new(Code::NotConnected, not_connected)
            }
            VerifyError::Store(inner) => inner.into(),
        }
    }
}

impl From<AgentError> for CommandError {
    fn from(error: AgentError) -> Self {
        let code = match &error {
            AgentError::NotConnected | AgentError::ReconnectRequired(_) => Code::NotConnected,
            AgentError::Invalid(_) | AgentError::NotAssignable(_) => Code::InvalidInput,
            AgentError::Zendesk { .. } => Code::Zendesk,
            AgentError::Store(_) => Code::Storage,
            AgentError::Connect(_) => {
                return match error {
                    AgentError::Connect(inner) => inner.into(),
                    other => CommandError::new(Code::Internal, other),
                }
            }
        };
        CommandError::new(code, error)
    }
}

impl From<RotateError> for CommandError {
    fn from(error: RotateError) -> Self {
        let code = match &error {
            RotateError::NotConnected | RotateError::ReconnectRequired(_) => Code::NotConnected,
            RotateError::NotSetUp => Code::InvalidInput,
            RotateError::Zendesk { .. } => Code::Zendesk,
            RotateError::Store(_) => Code::Storage,
            RotateError::Keychain(_) => Code::KeychainUnavailable,
            RotateError::Keys(_) | RotateError::Connect(_) => {
                return match error {
                    RotateError::Keys(inner) => inner.into(),
                    RotateError::Connect(inner) => inner.into(),
                    other => CommandError::new(Code::Internal, other),
                }
            }
        };
        CommandError::new(code, error)
    }
}

impl From<DisconnectError> for CommandError {
    fn from(error: DisconnectError) -> Self {
        let code = match &error {
            DisconnectError::NotConnected | DisconnectError::ReconnectRequired(_) => {
                Code::NotConnected
            }
            DisconnectError::Zendesk { .. } => Code::Zendesk,
            DisconnectError::Keychain(_) => Code::KeychainUnavailable,
            DisconnectError::Store(_) => Code::Storage,
            DisconnectError::Connect(_) => {
                return match error {
                    DisconnectError::Connect(inner) => inner.into(),
                    other => CommandError::new(Code::Internal, other),
                }
            }
        };
        CommandError::new(code, error)
    }
}

impl From<FolderError> for CommandError {
    fn from(error: FolderError) -> Self {
        let code = match &error {
            FolderError::Unknown(_) => Code::InvalidInput,
            FolderError::Create { .. } | FolderError::Browser { .. } => Code::Internal,
        };
        CommandError::new(code, error)
    }
}

impl From<DoctorError> for CommandError {
    fn from(error: DoctorError) -> Self {
        match error {
            not_connected @ DoctorError::NotConnected => {
                CommandError::new(Code::NotConnected, not_connected)
            }
            DoctorError::Connect(inner) => inner.into(),
            DoctorError::Setup(inner) => inner.into(),
            DoctorError::Store(inner) => inner.into(),
        }
    }
}

impl From<BundleError> for CommandError {
    fn from(error: BundleError) -> Self {
        match error {
            BundleError::Store(inner) => inner.into(),
            // The bundle goes into the profile's own folder: a failure there is the disk's, not the admin's input.
            other => CommandError::new(Code::Storage, other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_to_code_and_message() {
        let error = CommandError::from(ConnectError::Invalid(
            "`x y` is not a Zendesk subdomain".into(),
        ));
        let json = serde_json::to_string(&error).unwrap_or_default();
        assert_eq!(
            json,
            r#"{"code":"invalid_input","message":"`x y` is not a Zendesk subdomain"}"#
        );
    }
}
