-- Console sessions, shared by every instance on the store, so that a browser behind a load balancer
-- stays signed in whichever instance answers (or dies). Only a SHA-256 of the session ID (the
-- cookie) is stored, never the ID itself: reading this table does not let anyone sign in.
create table console_sessions (
    id_hash       char(64)      primary key,
    admin_user    varchar(128)  not null,
    csrf_token    varchar(64)   not null,
    created_at    timestamp with time zone not null,
    last_seen     timestamp with time zone not null,
    flash         varchar(2000),
    flash_failed  boolean       not null default false
);
create index console_sessions_user on console_sessions (admin_user);
create index console_sessions_last_seen on console_sessions (last_seen);

-- Failed sign-ins per user name (a hash of it) and per client address, shared by every instance,
-- so that the growing delay cannot be multiplied by the number of instances. Rows are forgotten
-- four delay caps after the last failure, and their number is bounded.
create table login_failures (
    throttle_key  varchar(128)  primary key,
    failures      integer       not null,
    last_failure  timestamp with time zone not null
);
create index login_failures_last on login_failures (last_failure);
