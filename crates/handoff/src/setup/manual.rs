//! The manual path (SPEC §5, the seed's guide): the same webhook and trigger, as the values an admin types in
//! Admin Center, step by step, with the pages to open. The console renders it with copy buttons.
//!
//! Invariant: every Admin Center link is `https://{subdomain}.zendesk.com/admin/...` for the connected
//! account's own subdomain, and [`admin_link`] refuses anything else, so the console never opens an address
//! a stored value or a typo could have redirected.

use url::Url;

use super::checklist::FixAction;
use super::{spec, SetupError, Target};
use crate::clock::Clock;
use crate::connect::Connection;
use crate::oauth::browser::{Browser, BrowserError};
use crate::profile::Profile;
use crate::relay::keys::RelaySecrets;
use crate::relay::payload::TRIGGER_BODY;
use crate::relay::url::redacted;

/// Admin Center's webhooks page, under the account's host.
pub const WEBHOOKS_PAGE: &str = "/admin/apps-integrations/webhooks/webhooks";
/// Admin Center's triggers page.
pub const TRIGGERS_PAGE: &str = "/admin/objects-rules/rules/triggers";

/// A value to type or paste, with its field's name in Admin Center.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub label: &'static str,
    pub value: String,
    /// The value is a credential (the signed webhook URL): shown redacted until the admin reveals it.
    pub secret: bool,
}

impl Field {
    fn plain(label: &'static str, value: impl Into<String>) -> Field {
        Field {
            label,
            value: value.into(),
            secret: false,
        }
    }

    /// The value as shown before a reveal: a secret one redacted.
    pub fn shown(&self) -> String {
        if self.secret {
            redacted(&self.value)
        } else {
            self.value.clone()
        }
    }
}

/// One step of the guide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManualStep {
    pub title: &'static str,
    /// What to do, in Admin Center's words.
    pub instruction: String,
    /// The page to open, when the step starts on one.
    pub open: Option<Url>,
    pub fields: Vec<Field>,
}

/// The whole guide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManualGuide {
    pub steps: Vec<ManualStep>,
    /// The sandbox has no Admin Center: the links lead to a real account's pages of the same name.
    pub demo: bool,
}

/// Why a link may not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("{0} is not an address")]
    NotUrl(String),
    #[error("{0} is not an Admin Center page of {1}: only https://{1}/admin/… is opened")]
    NotAdminCenter(String, String),
}

/// An Admin Center page of the connected account.
pub fn admin_page(connection: &Connection, path: &str) -> Result<Url, LinkError> {
    admin_link(
        connection,
        &format!("https://{}{path}", connection.subdomain.host()),
    )
}

/// Checks that `link` is an Admin Center page of the connected account (https, the account's exact host, no
/// credentials or port, a path under `/admin/`); returns it parsed.
pub fn admin_link(connection: &Connection, link: &str) -> Result<Url, LinkError> {
    let host = connection.subdomain.host();
    let url = Url::parse(link).map_err(|_| LinkError::NotUrl(link.to_owned()))?;
    let ok = url.scheme() == "https"
        && url.host_str() == Some(host.as_str())
        && url.port().is_none()
        && url.username().is_empty()
        && url.password().is_none()
        && url.path().starts_with("/admin/");
    if ok {
        Ok(url)
    } else {
        Err(LinkError::NotAdminCenter(link.to_owned(), host))
    }
}

/// The guide's values for `connection`, with the webhook URL (`None` until the first URL key exists: the
/// step says to run setup's dry run or open the Relay screen first). The URL is the real one: the console
/// reveals it only on request.
pub fn guide(connection: &Connection, webhook_url: Option<&str>) -> Result<ManualGuide, LinkError> {
    let webhooks = admin_page(connection, WEBHOOKS_PAGE)?;
    let triggers = admin_page(connection, TRIGGERS_PAGE)?;
    let steps = vec![
        ManualStep {
            title: "Register the webhook",
            instruction: "In Admin Center, open Apps and integrations → Webhooks, click Create webhook, choose \
                          Trigger or automation, fill in these values and save."
                .to_owned(),
            open: Some(webhooks),
            fields: vec![
                Field::plain("Name", spec::WEBHOOK_NAME.to_owned()),
                match webhook_url {
                    Some(url) => Field {
                        label: "Endpoint URL",
                        value: url.to_owned(),
                        secret: true,
                    },
                    None => Field::plain("Endpoint URL", "(start the relay once to make the URL)"),
                },
                Field::plain("Request method", spec::METHOD.to_owned()),
                Field::plain("Request format", "JSON".to_owned()),
                Field::plain("Authentication", "None (the URL is signed)".to_owned()),
            ],
        },
        ManualStep {
            title: "Create the trigger that calls it",
            instruction: "In Admin Center, open Objects and rules → Triggers, click Add trigger, set these \
                          conditions under Meet ALL of the following conditions, add the action, paste the \
                          JSON body, then save. Use {{ticket.latest_public_comment}}, never \
                          {{ticket.latest_comment}}: the second includes internal notes."
                .to_owned(),
            open: Some(triggers),
            fields: vec![
                Field::plain("Trigger name", spec::TRIGGER_TITLE.to_owned()),
                Field::plain("Condition 1", "Ticket | Is | Updated".to_owned()),
                Field::plain("Condition 2", "Comment | Is | Public".to_owned()),
                Field::plain("Action", format!("Notify by → Active webhook → {}", spec::WEBHOOK_NAME)),
                Field::plain("JSON body", TRIGGER_BODY.to_owned()),
            ],
        },
        ManualStep {
            title: "Let the relay check Zendesk's signature",
            instruction: "Run `handoff setup --fix signing-secret` (or Repair on the checklist): it adopts the \
                          webhook you made, since it points at the relay's URL, and copies its signing \
                          secret into the keychain."
                .to_owned(),
            open: None,
            fields: Vec::new(),
        },
    ];
    Ok(ManualGuide {
        steps,
        demo: connection.demo,
    })
}

/// Why an Admin Center page did not open.
#[derive(Debug, thiserror::Error)]
pub enum OpenPageError {
    #[error("not connected to Zendesk: connect first, so the pages are the account's own")]
    NotConnected,
    #[error(transparent)]
    Link(#[from] LinkError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("the browser did not open {url}: {error}; open it by hand")]
    Browser { url: String, error: BrowserError },
    #[error("{0:?} is not a fix with an Admin Center page: only the webhook's and the trigger's fixes have one")]
    NoPage(String),
}

/// Opens `link` in the system browser, once it is checked to be an Admin Center page of the connected account
/// ([`admin_link`]): the window names a page, the core decides whether it may be opened.
pub fn open_admin_page(
    profile: &Profile,
    link: &str,
    browser: &dyn Browser,
) -> Result<Url, OpenPageError> {
    let connection = profile.connection()?.ok_or(OpenPageError::NotConnected)?;
    let url = admin_link(&connection, link)?;
    browser.open(&url).map_err(|error| OpenPageError::Browser {
        url: url.to_string(),
        error,
    })?;
    Ok(url)
}

/// Opens the Admin Center page where the admin sees what the fix `fix` (a fix id such as `setup:trigger`)
/// repairs: the webhooks or the triggers page of the connected account. Returns the page opened.
pub fn open_fix_page(
    profile: &Profile,
    fix: &str,
    browser: &dyn Browser,
) -> Result<Url, OpenPageError> {
    let page = FixAction::parse(fix)
        .and_then(FixAction::admin_page)
        .ok_or_else(|| OpenPageError::NoPage(fix.to_owned()))?;
    let connection = profile.connection()?.ok_or(OpenPageError::NotConnected)?;
    let url = admin_page(&connection, page)?;
    browser.open(&url).map_err(|error| OpenPageError::Browser {
        url: url.to_string(),
        error,
    })?;
    Ok(url)
}

/// The guide for the saved connection, with the relay's current webhook URL (its first key is made when there
/// is none: the manual path needs the URL as much as one-click setup does).
pub async fn for_profile(profile: &Profile, clock: &Clock) -> Result<ManualGuide, SetupError> {
    let connection = profile.connection()?.ok_or(SetupError::NotConnected)?;
    let secrets = RelaySecrets::new(profile.keychain()?, profile.store().clone(), clock.clone());
    let target = Target::read(profile, &secrets, true).await?;
    Ok(guide(&connection, target.url.as_deref())?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::{AuthMethod, UserSummary};
    use crate::subdomain::Subdomain;

    fn connection(subdomain: &str) -> Connection {
        Connection {
            subdomain: Subdomain::parse(subdomain).unwrap_or_else(|e| panic!("{e:?}")),
            base_url: Url::parse("https://acme.zendesk.com").unwrap_or_else(|e| panic!("{e}")),
            auth_method: AuthMethod::ApiToken,
            email: "admin@acme.com".into(),
            user: UserSummary {
                id: 1,
                name: "Ada".into(),
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
    fn the_guide_gives_the_seeds_values_and_the_accounts_pages() {
        let guide = guide(
            &connection("acme"),
            Some("https://relay.example/zendesk/o/k1.tag"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let pages: Vec<String> = guide
            .steps
            .iter()
            .filter_map(|s| s.open.as_ref().map(Url::to_string))
            .collect();
        assert_eq!(
            pages,
            [
                "https://acme.zendesk.com/admin/apps-integrations/webhooks/webhooks",
                "https://acme.zendesk.com/admin/objects-rules/rules/triggers"
            ]
        );
        let value = |label: &str| {
            guide
                .steps
                .iter()
                .flat_map(|s| &s.fields)
                .find(|f| f.label == label)
                .map(|f| f.value.clone())
                .unwrap_or_else(|| panic!("no {label}"))
        };
        assert_eq!(
            value("Endpoint URL"),
            "https://relay.example/zendesk/o/k1.tag"
        );
        let secret: Vec<&str> = guide
            .steps
            .iter()
            .flat_map(|s| &s.fields)
            .filter(|f| f.secret)
            .map(|f| f.label)
            .collect();
        assert_eq!(secret, ["Endpoint URL"], "only the URL is a credential");
        let tag = "A".repeat(39) + "wxyz";
        let url = format!("https://relay.example/zendesk/o/k1.{tag}");
        let guide = super::guide(&connection("acme"), Some(&url)).unwrap_or_else(|e| panic!("{e}"));
        let endpoint = guide.steps[0]
            .fields
            .iter()
            .find(|f| f.label == "Endpoint URL")
            .unwrap_or_else(|| panic!("no endpoint"));
        assert_eq!(endpoint.value, url);
        assert_eq!(endpoint.shown(), "https://relay.example/zendesk/o/k1.…wxyz");
        assert_eq!(value("Request method"), "POST");
        assert_eq!(value("Request format"), "JSON");
        assert!(value("Authentication").starts_with("None"));
        assert_eq!(value("Condition 1"), "Ticket | Is | Updated");
        assert_eq!(value("Condition 2"), "Comment | Is | Public");
        assert!(value("JSON body").contains("{{ticket.latest_public_comment}}"));
        assert!(!value("JSON body").contains("latest_comment}}"));
    }

    #[test]
    fn only_the_accounts_admin_center_pages_are_opened() {
        let acme = connection("acme");
        let table = [
            (
                "https://acme.zendesk.com/admin/objects-rules/rules/triggers",
                true,
            ),
            (
                "https://acme.zendesk.com/admin/apps-integrations/webhooks/webhooks/01H",
                true,
            ),
            (
                "http://acme.zendesk.com/admin/objects-rules/rules/triggers",
                false,
            ),
            (
                "https://evil.zendesk.com/admin/objects-rules/rules/triggers",
                false,
            ),
            ("https://acme.zendesk.com.evil.com/admin/x", false),
            ("https://acme.zendesk.com:8443/admin/x", false),
            ("https://user@acme.zendesk.com/admin/x", false),
            ("https://acme.zendesk.com/agent/tickets/1", false),
            ("not a url", false),
        ];
        for (link, allowed) in table {
            assert_eq!(admin_link(&acme, link).is_ok(), allowed, "{link}");
        }
    }
}
