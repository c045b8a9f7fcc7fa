//! The one browser sign-in that may wait at a time.
//!
//! A sign-in waits minutes for the admin to approve in the browser, on a loopback port of its own. Starting a
//! second one (the admin clicks "Sign in with Zendesk" again, or "Sign in again" from another screen) must end the
//! first, or two listeners wait and the older browser tab completes a sign-in nobody is watching. The desktop app
//! and the CLI keep one [`SignInSlot`] per process and take every sign-in's [`Cancel`] from it.

use std::sync::Mutex;

use super::Cancel;

/// Holds the [`Cancel`] of the sign-in that waits for the browser, if any.
#[derive(Debug, Default)]
pub struct SignInSlot {
    waiting: Mutex<Option<Cancel>>,
}

impl SignInSlot {
    /// An empty slot: no sign-in waits.
    pub fn new() -> SignInSlot {
        SignInSlot::default()
    }

    /// Starts tracking a new sign-in and returns its signal, cancelling the one still waiting (only one browser
    /// sign-in at a time).
    pub fn begin(&self) -> Cancel {
        let cancel = Cancel::new();
        let previous = self.lock().replace(cancel.clone());
        if let Some(previous) = previous {
            previous.cancel();
        }
        cancel
    }

    /// Ends the sign-in that waits for the browser, if any (the Cancel button, Ctrl-C).
    pub fn cancel(&self) {
        let waiting = self.lock().take();
        if let Some(cancel) = waiting {
            cancel.cancel();
        }
    }

    /// The slot holds a signal and nothing else, so a thread that panicked while holding the lock cannot have
    /// left it half-written: carry on with what it holds.
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Cancel>> {
        self.waiting
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_sign_in_cancels_the_one_still_waiting() {
        let slot = SignInSlot::new();
        let first = slot.begin();
        assert!(!first.is_cancelled(), "a new sign-in waits");
        let second = slot.begin();
        assert!(first.is_cancelled(), "the older sign-in ends");
        assert!(!second.is_cancelled(), "the newer one keeps waiting");
    }

    #[test]
    fn cancel_ends_the_waiting_sign_in_and_leaves_the_slot_empty() {
        let slot = SignInSlot::new();
        let waiting = slot.begin();
        slot.cancel();
        assert!(waiting.is_cancelled());
        // Nothing waits any more: a second Cancel is harmless, and the next sign-in starts fresh.
        slot.cancel();
        let next = slot.begin();
        assert!(
            !next.is_cancelled(),
            "a sign-in after a cancel is not born cancelled"
        );
    }

    #[test]
    fn cancel_with_nothing_waiting_does_nothing() {
        let slot = SignInSlot::new();
        slot.cancel();
        assert!(!slot.begin().is_cancelled());
    }

    #[test]
    fn a_poisoned_slot_still_cancels() {
        let slot = std::sync::Arc::new(SignInSlot::new());
        let waiting = slot.begin();
        let poisoner = std::sync::Arc::clone(&slot);
        let _ = std::thread::spawn(move || {
            let _guard = poisoner.lock();
            panic!("a thread dies holding the slot");
        })
        .join();
        slot.cancel();
        assert!(waiting.is_cancelled(), "the Cancel button still works");
    }
}
