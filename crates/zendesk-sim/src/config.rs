//! How a simulator is set up: account name, credentials, latency, seed data, plan, clock.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::clock::Clock;
use crate::oauth::ConsentMode;
use crate::seed::SeedDump;

/// Everything needed to build a [`crate::Simulator`].
#[derive(Clone)]
pub struct SimConfig {
    /// The account's subdomain; requests for another subdomain get the unknown-account page.
    pub subdomain: String,
    /// The seeded admin's API token; a random 40-character token when `None`.
    pub admin_token: Option<String>,
    /// Extra latency added to every API request.
    pub latency: Duration,
    /// Which objects the account starts with.
    pub seed: Seed,
    /// The account's plan, which sets the account-wide requests-per-minute limit.
    pub plan: Plan,
    /// The time source for every time-dependent path.
    pub clock: Clock,
    /// The number sent as `X-Zendesk-Account-Id` on webhook deliveries.
    pub account_id: u64,
    /// How outgoing webhook deliveries behave (timeouts, retry spacing).
    pub delivery: DeliveryConfig,
    /// The confidential client `handoff_relay`'s secret; a random 64-character secret when
    /// `None`.
    pub oauth_relay_secret: Option<String>,
    /// Access token lifetime when a token request names no `expires_in` (1800 s).
    pub access_token_ttl: Duration,
    /// Refresh token lifetime when a token request names no `refresh_token_expires_in`
    /// (2,592,000 s, Zendesk's default).
    pub refresh_token_ttl: Duration,
    /// What the consent page does at first (`POST /_sim/oauth/consent` changes it).
    pub oauth_consent: ConsentMode,
}

impl Default for SimConfig {
    fn default() -> SimConfig {
        SimConfig {
            subdomain: "d3v-sim".to_owned(),
            admin_token: None,
            latency: Duration::ZERO,
            seed: Seed::AccountDump,
            plan: Plan::Enterprise,
            clock: Clock::system(),
            account_id: 18_525_119,
            delivery: DeliveryConfig::default(),
            oauth_relay_secret: None,
            access_token_ttl: Duration::from_secs(1800),
            refresh_token_ttl: Duration::from_secs(2_592_000),
            oauth_consent: ConsentMode::Ask,
        }
    }
}

impl fmt::Debug for SimConfig {
    // The admin token is a secret: Debug shows only whether one was given.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("SimConfig")
            .field("subdomain", &self.subdomain)
            .field(
                "admin_token",
                &self.admin_token.as_ref().map(|_| "<redacted>"),
            )
            .field("latency", &self.latency)
            .field("seed", &self.seed)
            .field("plan", &self.plan)
            .field("clock", &self.clock)
            .field("account_id", &self.account_id)
            .field("delivery", &self.delivery)
            .field(
                "oauth_relay_secret",
                &self.oauth_relay_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("access_token_ttl", &self.access_token_ttl)
            .field("refresh_token_ttl", &self.refresh_token_ttl)
            .field("oauth_consent", &self.oauth_consent)
            .finish()
    }
}

/// The objects an account starts with. Every seed also has the five seeded users
/// (admin, full agent, light agent, end user, suspended agent).
#[derive(Clone, Debug, Default)]
pub enum Seed {
    /// The real account dump (89 ticket fields, triggers), embedded at build time.
    #[default]
    AccountDump,
    /// Only the seeded users, the system ticket fields and no triggers.
    Minimal,
    /// A large synthetic account for benchmarks.
    Generated {
        /// Number of tickets to create.
        tickets: usize,
        /// Number of extra end users to create.
        users: usize,
        /// Number of extra custom text fields to create.
        fields: usize,
    },
    /// A large field catalog for the AI Fields benchmark: `fields` custom fields, four in five of them
    /// dropdowns that share `options` options between them (the rest text, textarea, checkbox, date and
    /// integer fields), on top of the system fields. No triggers.
    ManyFields {
        /// Number of custom fields to create.
        fields: usize,
        /// Number of dropdown options in all, spread evenly over the dropdowns.
        options: usize,
    },
    /// A dump directory loaded at runtime (see [`SeedDump::from_dir`]).
    Dump(Arc<SeedDump>),
}

/// Zendesk plans and their Support API requests-per-minute limit (FACTS §8).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Plan {
    /// Legacy Essential: 10/min.
    Essential,
    /// Team: 200/min.
    Team,
    /// Growth: 400/min.
    Growth,
    /// Professional: 400/min.
    Professional,
    /// Enterprise: 700/min (the recorded account's limit).
    #[default]
    Enterprise,
    /// Enterprise Plus, or any plan with the High Volume add-on: 2500/min.
    EnterprisePlus,
    /// A made-up limit, for tests that want to reach it quickly.
    Custom(u32),
}

impl Plan {
    /// Requests per minute for the whole account.
    pub fn requests_per_minute(self) -> u32 {
        match self {
            Plan::Essential => 10,
            Plan::Team => 200,
            Plan::Growth | Plan::Professional => 400,
            Plan::Enterprise => 700,
            Plan::EnterprisePlus => 2500,
            Plan::Custom(limit) => limit,
        }
    }

    /// Parses a plan name (`team`, `growth`, `professional`, `enterprise`, `enterprise-plus`,
    /// `essential`) or a bare number of requests per minute.
    pub fn parse(text: &str) -> Option<Plan> {
        match text.to_ascii_lowercase().as_str() {
            "essential" => Some(Plan::Essential),
            "team" => Some(Plan::Team),
            "growth" => Some(Plan::Growth),
            "professional" => Some(Plan::Professional),
            "enterprise" => Some(Plan::Enterprise),
            "enterprise-plus" | "enterprise_plus" | "high-volume" => Some(Plan::EnterprisePlus),
            other => other.parse().ok().map(Plan::Custom),
        }
    }
}

/// Outgoing webhook delivery settings.
#[derive(Clone, Debug)]
pub struct DeliveryConfig {
    /// Per-attempt timeout; Zendesk's is 12 s and not adjustable.
    pub timeout: Duration,
    /// Wait between retries of one invocation (Zendesk does not document its spacing).
    pub retry_delay: Duration,
}

impl Default for DeliveryConfig {
    fn default() -> DeliveryConfig {
        DeliveryConfig {
            timeout: Duration::from_secs(12),
            retry_delay: Duration::from_millis(500),
        }
    }
}
