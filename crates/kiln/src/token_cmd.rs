//! `kiln token create`: a new API token (or Basic user) for a role and
//! tenants, printed once with the `[[auth_tokens]]` (or `[[auth_users]]`)
//! block to add to the server's configuration file.

use std::io::BufRead;

use anyhow::{bail, Context};
use clap::{Args, Subcommand, ValueEnum};
use kiln_api::auth::Role;

#[derive(Args)]
pub struct TokenArgs {
    #[command(subcommand)]
    command: TokenCommand,
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Make a token (or with --user, a Basic user) and print it once, with the configuration block to add.
    Create(CreateArgs),
}

#[derive(Args)]
struct CreateArgs {
    /// A tenant it may use (repeat for several; `*` for any).
    #[arg(long = "tenant", required = true)]
    tenants: Vec<String>,
    /// What it may do: ingest (write profiles), read (query), admin (everything, /metrics).
    #[arg(long, value_enum)]
    role: RoleArg,
    /// Its name in logs and errors [default: <role>-<tenants>].
    #[arg(long)]
    name: Option<String>,
    /// Make a Basic auth user of this name instead of a token (its password is random unless --password-stdin).
    #[arg(long)]
    user: Option<String>,
    /// With --user: read the password from the first line of standard input.
    #[arg(long, requires = "user")]
    password_stdin: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Ingest,
    Read,
    Admin,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::Ingest => Role::Ingest,
            RoleArg::Read => Role::Read,
            RoleArg::Admin => Role::Admin,
        }
    }
}

pub fn run(args: TokenArgs) -> anyhow::Result<()> {
    let TokenCommand::Create(args) = args.command;
    let role = Role::from(args.role);
    let Some(user) = &args.user else {
        let name = args.name.clone().unwrap_or_else(|| format!("{}-{}", role.name(), args.tenants.join("+")));
        let (token, entry) = kiln_server::new_token(&name, role, &args.tenants);
        println!("Token (shown once; clients send it as `Authorization: Bearer <token>`):\n{token}\n");
        println!("Add to the server's configuration file, with `auth_enabled = true`:\n\n{entry}");
        return Ok(());
    };
    let password = if args.password_stdin { Some(password_from_stdin()?) } else { None };
    let (password, entry) = kiln_server::new_user(user, password, role, &args.tenants);
    if !args.password_stdin {
        println!("Password of {user} (shown once):\n{password}\n");
    }
    println!("Add to the server's configuration file, with `auth_enabled = true`:\n\n{entry}");
    Ok(())
}

fn password_from_stdin() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        bail!("the password on standard input is empty");
    }
    Ok(password.to_owned())
}
