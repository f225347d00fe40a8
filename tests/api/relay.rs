//! A TCP relay a test puts between a client and a server, whose state the test sets: up, down
//! (new connections refused, open ones cut at their next bytes: a pulled cable, a database gone)
//! or frozen (connections held open, no bytes passed: a process under SIGSTOP, whose kernel still
//! accepts and acknowledges).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use crate::helpers::unencrypted;

pub const DOWN: u8 = 0;
pub const UP: u8 = 1;
pub const FROZEN: u8 = 2;

pub struct Relay {
    port: u16,
    state: Arc<AtomicU8>,
}

impl Relay {
    /// A relay to `target` (`host:port`), starting in `state`.
    pub fn start(target: String, state: u8) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(AtomicU8::new(state));
        let shared = state.clone();
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if shared.load(Ordering::Acquire) == DOWN {
                    drop(client);
                    continue;
                }
                let Ok(server) = TcpStream::connect(&target) else {
                    continue;
                };
                for (from, to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    let state = shared.clone();
                    thread::spawn(move || pass(from, to, state));
                }
            }
        });
        Relay { port, state }
    }

    /// A relay in front of a service at `base` (`http://host:port`).
    pub fn to_service(base: &str) -> Relay {
        Relay::start(base.trim_start_matches("http://").to_owned(), UP)
    }

    pub fn set(&self, state: u8) {
        self.state.store(state, Ordering::Release);
    }

    /// The service's base address through this relay.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The URL of the same database through this relay.
    pub fn url(&self, url: &str) -> String {
        let (before, rest) = url.split_once('@').expect("a URL with a user");
        let (_, path) = rest.split_once('/').expect("a URL with a database");
        unencrypted(&format!("{before}@127.0.0.1:{}/{path}", self.port))
    }
}

fn pass(mut from: TcpStream, mut to: TcpStream, state: Arc<AtomicU8>) {
    let mut buffer = [0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        while state.load(Ordering::Acquire) == FROZEN {
            thread::sleep(Duration::from_millis(10));
        }
        if state.load(Ordering::Acquire) == DOWN || to.write_all(&buffer[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Both);
    let _ = from.shutdown(std::net::Shutdown::Both);
}
