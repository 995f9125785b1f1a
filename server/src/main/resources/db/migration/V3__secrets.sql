-- The secret store: AES-256-GCM ciphertext only, one row per version of a secret.
create table secrets (
    name               varchar(256)  not null,
    version            integer       not null,
    created_at         timestamp with time zone not null,
    created_by         varchar(128)  not null,
    valid_until        timestamp with time zone,      -- null: the active version
    master_key_id      char(16)      not null,        -- which master key encrypted it
    ciphertext         bytea         not null,        -- 12-byte nonce, then ciphertext and tag
    primary key (name, version)
);
