//! `minqing admin …`: create an operator or reset a password from a shell.
use minqing_domain::password::{check_password, parse_username};
use minqing_domain::role::Role;
use minqing_domain::tenant::PLATFORM_SLUG;
use minqing_storage::accounts::NewAccount;
use minqing_storage::passwords::generate_password;
use minqing_storage::{Audit, Storage};

use crate::config::Config;

async fn storage(config: &Config) -> anyhow::Result<Storage> {
    Ok(crate::startup::open_storage(config, false).await?.0)
}

fn shell_audit() -> Audit {
    Audit {
        actor_id: None,
        username: format!(
            "shell:{}",
            std::env::var("USER").unwrap_or_else(|_| "unknown".into())
        ),
        request_id: None,
    }
}

/// Creates a platform operator; prints the password when generated.
pub async fn create_operator(
    config: &Config,
    username: &str,
    password: Option<String>,
) -> anyhow::Result<()> {
    let username = parse_username(username).map_err(|c| anyhow::anyhow!("username: {c}"))?;
    if let Some(p) = &password {
        check_password(p, &username).map_err(|c| anyhow::anyhow!("password: {c}"))?;
    }
    let storage = storage(config).await?;
    let platform = storage
        .platform()
        .find_by_slug(PLATFORM_SLUG)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the platform tenant is missing"))?;
    let scope = storage.write(platform.id, shell_audit()).await?;
    let (account, generated) = scope
        .accounts()
        .create(NewAccount {
            username: username.clone(),
            display_name: username.clone(),
            password,
        })
        .await?;
    scope
        .accounts()
        .grant(account.id, Role::PlatformOperator, None)
        .await?;
    scope.commit().await?;
    match generated {
        Some(p) => println!(
            "Created operator `{username}` with password: {p}\n  It must be changed at first login."
        ),
        None => println!("Created operator `{username}`."),
    }
    Ok(())
}

/// Sets a new generated password (to be changed at next login) and ends the account's sessions.
pub async fn reset_password(config: &Config, tenant: &str, username: &str) -> anyhow::Result<()> {
    let storage = storage(config).await?;
    let tenant = storage
        .platform()
        .find_by_slug(tenant)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no tenant `{tenant}`"))?;
    let scope = storage.write(tenant.id, shell_audit()).await?;
    let account = scope
        .accounts()
        .credentials(username)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no account `{username}` in tenant `{}`", tenant.slug))?;
    let password = generate_password();
    scope
        .accounts()
        .set_password(account.id, &password, true)
        .await?;
    scope.commit().await?;
    storage
        .sessions()
        .end_account(tenant.id, account.id, None)
        .await?;
    println!(
        "New password for `{username}` in `{}`: {password}\n  It must be changed at next login.",
        tenant.slug
    );
    Ok(())
}
