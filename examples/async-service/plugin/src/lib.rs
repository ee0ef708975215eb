//! The page of one user, rendered by a plugin that looks the user up
//! through its host. The plugin does not know that the host answers
//! `find_user` with a future: the call looks like any other.

use serde::{Deserialize, Serialize};
use wasmer_plugin::{host_functions, wasmer_plugin};

/// A user, as the host's store keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub name: String,
    pub visits: u32,
}

#[host_functions]
extern "C" {
    /// The user with `id`, if the store has one.
    fn find_user(id: u32) -> Option<User>;
}

/// The text the service answers for user `id`.
#[wasmer_plugin]
pub fn render_user(id: u32) -> String {
    match find_user(id) {
        Some(user) => format!(
            "{} has visited {} time{}",
            user.name,
            user.visits,
            if user.visits == 1 { "" } else { "s" }
        ),
        None => format!("no user {id}"),
    }
}
