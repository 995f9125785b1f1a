-- Every gateway instance that uses this store: each writes its own row's heartbeat; all read the
-- table to tell their connection points which instances to dial, and to show the ones gone.
create table gateway_instances (
    instance      varchar(128)  primary key,
    channel_url   varchar(2048),              -- where connection points dial it; null: not advertised
    version       varchar(64)   not null,
    started_at    timestamp with time zone not null,
    heartbeat_at  timestamp with time zone not null,
    stopped_at    timestamp with time zone    -- set by a clean stop; a killed instance leaves it null
);
