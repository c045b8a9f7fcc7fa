//! The ticket link the console opens in the system browser: the session's ticket on Zendesk's agent page.
//!
//! The window only names a session; the URL is made here, from the ticket the store recorded and the saved
//! connection, and checked to lie on the connected account before anything opens it. So the window can never
//! make the app open an address of its choosing (it has no opener permission either).

use url::Url;

use super::ticket::agent_page;
use crate::connect::Connection;
use crate::oauth::browser::Browser;
use crate::profile::Profile;
use crate::session::{SessionError, SessionId, Sessions};
use crate::store::StoreError;

/// Why a session's ticket cannot be opened. Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum TicketPageError {
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error("session {0} has no ticket yet: its ticket link appears once the handoff is done")]
    NoTicket(SessionId),
    #[error(
        "not connected to Zendesk: connect an account on the Connect screen to open its tickets"
    )]
    NotConnected,
    #[error(
        "the ticket link {url} is not on the connected account ({account}); nothing was opened. Check the API \
         address saved on the Connect screen"
    )]
    OffAccount { url: String, account: String },
    #[error(
        "could not open the ticket in the browser ({reason}); open {url} in your browser yourself"
    )]
    Browser { url: String, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Opens the agent page of session `id`'s ticket with `browser`; returns the page opened.
pub fn open(
    profile: &Profile,
    sessions: &Sessions,
    id: &str,
    browser: &dyn Browser,
) -> Result<Url, TicketPageError> {
    let url = for_session(profile, sessions, id)?;
    open_in(browser, url)
}

/// Opens ticket `ticket_id` of the connected account on Zendesk's agent page (the manual verification's ticket,
/// which the admin replies to); returns the page opened. Only the account's own agent page is ever opened.
pub fn open_ticket(
    profile: &Profile,
    ticket_id: u64,
    browser: &dyn Browser,
) -> Result<Url, TicketPageError> {
    let connection = profile.connection()?.ok_or(TicketPageError::NotConnected)?;
    let url = checked(&connection, ticket_id)?;
    open_in(browser, url)
}

/// The agent page of the session `id`'s ticket in the connected account.
pub fn for_session(
    profile: &Profile,
    sessions: &Sessions,
    id: &str,
) -> Result<Url, TicketPageError> {
    let id = SessionId::parse(id)?;
    let ticket = sessions
        .get(id)?
        .ticket
        .ok_or(TicketPageError::NoTicket(id))?;
    let connection = profile.connection()?.ok_or(TicketPageError::NotConnected)?;
    checked(&connection, ticket.id)
}

/// The agent page of `ticket_id`, only when it has the origin of the account's API address, and that address
/// is `https` (or `http` on a loopback address: the sandbox and test accounts).
pub fn checked(connection: &Connection, ticket_id: u64) -> Result<Url, TicketPageError> {
    let base = &connection.base_url;
    let page = agent_page(base, ticket_id);
    let off_account = || TicketPageError::OffAccount {
        url: page.clone(),
        account: base.origin().ascii_serialization(),
    };
    let url = Url::parse(&page).map_err(|_| off_account())?;
    let secure = match url.scheme() {
        "https" => true,
        "http" => match url.host() {
            Some(url::Host::Ipv4(address)) => address.is_loopback(),
            Some(url::Host::Ipv6(address)) => address.is_loopback(),
            Some(url::Host::Domain(name)) => name == "localhost",
            None => false,
        },
        _ => false,
    };
    if !secure
        || url.origin() != base.origin()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(off_account());
    }
    Ok(url)
}

/// Opens `url` in `browser`; returns it.
fn open_in(browser: &dyn Browser, url: Url) -> Result<Url, TicketPageError> {
    browser
        .open(&url)
        .map_err(|error| TicketPageError::Browser {
            url: url.to_string(),
            reason: error.to_string(),
        })?;
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::{AuthMethod, UserSummary};
    use crate::subdomain::Subdomain;

    fn connection(base_url: &str) -> Connection {
        Connection {
            subdomain: Subdomain::parse("acme").unwrap_or_else(|e| panic!("{e}")),
            base_url: Url::parse(base_url).unwrap_or_else(|e| panic!("{e}")),
            auth_method: AuthMethod::OAuth,
            email: "ana@acme.com".into(),
            user: UserSummary {
                id: 1,
                name: "Ana".into(),
                email: None,
                role: "admin".into(),
            },
            default_agent: None,
            demo: false,
            connected_at: jiff::Timestamp::UNIX_EPOCH,
            oauth: None,
            reconnect_required: None,
            refresh_interrupted: false,
        }
    }

    #[test]
    fn ticket_pages_open_only_on_the_connected_account() {
        let table = [
            (
                "https://acme.zendesk.com",
                Some("https://acme.zendesk.com/agent/tickets/42"),
            ),
            (
                "http://127.0.0.1:40123/",
                Some("http://127.0.0.1:40123/agent/tickets/42"),
            ),
            (
                "http://localhost:8080",
                Some("http://localhost:8080/agent/tickets/42"),
            ),
            ("http://acme.zendesk.com", None),
            ("http://10.0.0.5:8080", None),
            ("ftp://acme.zendesk.com", None),
            ("https://user:pw@acme.zendesk.com", None),
        ];
        for (base, expected) in table {
            let opened = checked(&connection(base), 42).ok().map(String::from);
            assert_eq!(opened.as_deref(), expected, "{base}");
        }
    }
}
