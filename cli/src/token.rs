//! Tokens from a file: the way to pass one that neither shows in `ps` (as a
//! flag would) nor sits in the environment of every child process.

use crate::exit::CliError;
use std::path::Path;

/// The token at `file` when one is named (it wins over the environment, being
/// explicit), else `given` (the flag or environment variable).
pub fn resolve(given: Option<String>, file: Option<&Path>) -> Result<Option<String>, CliError> {
    let Some(file) = file else {
        return Ok(given);
    };
    let text =
        std::fs::read_to_string(file).map_err(|e| CliError::TokenFile(file.to_path_buf(), e))?;
    Ok(Some(strip_newline(text)))
}

/// Drops one trailing newline (`\n` or `\r\n`), as `echo … > file` leaves.
fn strip_newline(mut text: String) -> String {
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::strip_newline;

    #[test]
    fn drops_one_trailing_newline_only() {
        assert_eq!(strip_newline("tok\n".into()), "tok");
        assert_eq!(strip_newline("tok\r\n".into()), "tok");
        assert_eq!(strip_newline("tok\n\n".into()), "tok\n");
        assert_eq!(strip_newline("tok".into()), "tok");
    }
}
