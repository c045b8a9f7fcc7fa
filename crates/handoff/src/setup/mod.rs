//! Setup (SPEC §5): the Zendesk objects reply sync needs — a webhook pointing at the relay's signed URL and a
//! trigger that notifies it of public comments — as they must be.

pub mod spec;
