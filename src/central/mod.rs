//! Amplify Central authentication: the AxwayID access token that travels in every event's
//! `fields.token`, obtained with the service account's private-key JWT.

mod assertion;
mod clock;
mod key;
mod refresher;
mod token;

#[cfg(test)]
mod tests;

pub use assertion::{client_assertion, ASSERTION_LIFETIME_SECS};
pub use clock::{Clock, SystemClock};
pub use key::{KeyError, SigningKey};
pub use refresher::{first_token, no_token, start_refresher, TokenWatch};
pub use token::{Token, TokenError, TokenSource};
