//! A TCP relay a test puts between a client and a server, whose state the test sets: up, down
//! (new connections refused, open ones cut at their next bytes: a pulled cable, a database gone)
//! or frozen (connections held open, no bytes passed: a process under SIGSTOP, whose kernel still
//! accepts and acknowledges).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use crate::helpers::unencrypted;

pub const DOWN: u8 = 0;
pub const UP: u8 = 1;
pub const FROZEN: u8 = 2;
/// Requests pass, answers are lost: the connection is cut when the service answers (a signal
/// that drops just after the request went out).
pub const ANSWERS_LOST: u8 = 3;

pub struct Relay {
    port: u16,
    state: Arc<AtomicU8>,
    target: Arc<Mutex<String>>,
    /// Bumped by `retarget`: connections of an earlier target are cut at their next bytes.
    generation: Arc<AtomicU64>,
}

impl Relay {
    /// A relay to `target` (`host:port`), starting in `state`.
    pub fn start(target: String, state: u8) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(AtomicU8::new(state));
        let shared = state.clone();
        let target = Arc::new(Mutex::new(target));
        let to = target.clone();
        let generation = Arc::new(AtomicU64::new(0));
        let current = generation.clone();
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if shared.load(Ordering::Acquire) == DOWN {
                    drop(client);
                    continue;
                }
                let address = to.lock().unwrap().clone();
                let born = current.load(Ordering::Acquire);
                let Ok(server) = TcpStream::connect(address) else {
                    continue;
                };
                for (from, to, answers) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap(), false),
                    (server, client, true),
                ] {
                    let (state, current) = (shared.clone(), current.clone());
                    thread::spawn(move || pass(from, to, answers, state, current, born));
                }
            }
        });
        Relay {
            port,
            state,
            target,
            generation,
        }
    }

    /// New connections go to the service at `base` from now on (another instance behind the
    /// same address, as after an upgrade).
    pub fn retarget(&self, base: &str) {
        *self.target.lock().unwrap() = base.trim_start_matches("http://").to_owned();
        self.generation.fetch_add(1, Ordering::AcqRel);
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

fn pass(
    mut from: TcpStream,
    mut to: TcpStream,
    answers: bool,
    state: Arc<AtomicU8>,
    current: Arc<AtomicU64>,
    born: u64,
) {
    let mut buffer = [0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        while state.load(Ordering::Acquire) == FROZEN {
            thread::sleep(Duration::from_millis(10));
        }
        let now = state.load(Ordering::Acquire);
        let cut = now == DOWN || (answers && now == ANSWERS_LOST) || current.load(Ordering::Acquire) != born;
        if cut || to.write_all(&buffer[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Both);
    let _ = from.shutdown(std::net::Shutdown::Both);
}
