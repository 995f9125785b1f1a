-- auth-token plugin tables. PostgreSQL dialect; H2 runs it in MODE=PostgreSQL.

-- Bulk registration tokens: what was issued, never the token itself (it is shown once).
create table token_bulk (
    id          varchar(36)  primary key,            -- the token's jti (a UUID): what block/unblock name
    issued_at   timestamp with time zone not null,
    not_before  timestamp with time zone not null,
    expires_at  timestamp with time zone not null,
    issued_by   varchar(128) not null,
    blocked     boolean      not null default false,
    blocked_at  timestamp with time zone,
    blocked_by  varchar(128)
);

-- Devices registered with a bulk token. id = hex SHA-256 of the device's SubjectPublicKeyInfo.
create table token_devices (
    id              char(64)      primary key,
    name            varchar(128)  not null,
    public_key      varchar(8192) not null,          -- PEM SubjectPublicKeyInfo (EC P-256 or RSA)
    registered_at   timestamp with time zone not null,
    bulk_token_id   varchar(36),
    last_issued_at  timestamp with time zone not null
);
