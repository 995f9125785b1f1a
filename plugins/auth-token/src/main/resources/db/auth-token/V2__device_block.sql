-- An administrator blocks or deletes a token device (review M4). PostgreSQL dialect; H2 runs it in MODE=PostgreSQL.

-- A blocked device: none of its tokens is accepted, it cannot renew nor register again.
alter table token_devices add column blocked boolean not null default false;
alter table token_devices add column blocked_at timestamp with time zone;
alter table token_devices add column blocked_by varchar(128);

-- A deleted device: tokens issued to it up to deleted_at are refused. Kept while such an access
-- token could still be alive (its device tokens fail anyway: the row is gone); the key may register again.
create table token_device_deletions (
    device_id   char(64)      primary key,
    deleted_at  timestamp with time zone not null,
    deleted_by  varchar(128)  not null
);
