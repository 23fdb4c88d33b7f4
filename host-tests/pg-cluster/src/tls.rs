//! A throwaway certificate authority and a server certificate it signed, for
//! `localhost` and `127.0.0.1`, made with the `openssl` command (no crypto
//! crate in the test build). Used for PostgreSQL's `ssl=on` and for HTTPS
//! tests of the gateway.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::PgClusterError;

/// PEM files in one directory: `ca.crt` (the root to trust), `server.crt`
/// and `server.key` (what the server presents).
#[derive(Debug, Clone)]
pub struct TestCertificates {
    pub ca_cert: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
}

impl TestCertificates {
    /// Generates a fresh CA and server certificate into `dir` (which must
    /// exist). The server certificate names `localhost` and `127.0.0.1`.
    pub fn generate(dir: &Path) -> Result<Self, PgClusterError> {
        let ca_key = dir.join("ca.key");
        let ca_cert = dir.join("ca.crt");
        let server_key = dir.join("server.key");
        let csr = dir.join("server.csr");
        let server_cert = dir.join("server.crt");
        let ext = dir.join("server.ext");
        std::fs::write(
            &ext,
            "subjectAltName=DNS:localhost,IP:127.0.0.1\n\
             basicConstraints=CA:FALSE\n\
             keyUsage=digitalSignature,keyEncipherment\n\
             extendedKeyUsage=serverAuth\n",
        )
        .map_err(crate::io_err("cannot write server.ext"))?;
        // P-256 keys: quick to generate, accepted by rustls and PostgreSQL.
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ];
        openssl(
            Command::new("openssl")
                .args(["req", "-x509"])
                .args(ec)
                .arg("-keyout")
                .arg(&ca_key)
                .arg("-out")
                .arg(&ca_cert)
                .args(["-days", "2", "-subj", "/CN=pg-cluster test CA"])
                .args(["-addext", "basicConstraints=critical,CA:TRUE"])
                .args(["-addext", "keyUsage=critical,keyCertSign,cRLSign"]),
        )?;
        openssl(
            Command::new("openssl")
                .arg("req")
                .args(ec)
                .arg("-keyout")
                .arg(&server_key)
                .arg("-out")
                .arg(&csr)
                .args(["-subj", "/CN=localhost"]),
        )?;
        openssl(
            Command::new("openssl")
                .args(["x509", "-req", "-in"])
                .arg(&csr)
                .arg("-CA")
                .arg(&ca_cert)
                .arg("-CAkey")
                .arg(&ca_key)
                .args(["-CAcreateserial", "-days", "2", "-extfile"])
                .arg(&ext)
                .arg("-out")
                .arg(&server_cert),
        )?;
        Ok(Self {
            ca_cert,
            server_cert,
            server_key,
        })
    }
}

fn openssl(command: &mut Command) -> Result<(), PgClusterError> {
    let out = command.output().map_err(crate::io_err(
        "cannot run openssl (install the openssl command)",
    ))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(PgClusterError::Tls(
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ))
    }
}
