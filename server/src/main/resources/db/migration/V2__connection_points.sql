-- Connection points, the state of their channels as each gateway instance sees them, and traffic.

create table connection_points (
    name               varchar(128)  primary key,
    site               varchar(64)   not null,
    thumbprint_sha256  char(64)      not null,
    connection_id      varchar(128)  not null,
    registered_at      timestamp with time zone not null,
    registered_by      varchar(128)  not null
);
create unique index connection_points_identity on connection_points (thumbprint_sha256, connection_id);

-- One row per (gateway instance, connection point), written by that instance.
create table channel_status (
    instance           varchar(128)  not null,
    connection_point   varchar(128)  not null,
    site               varchar(64)   not null,
    state              varchar(16)   not null,     -- up | down
    since              timestamp with time zone not null,
    last_heartbeat     timestamp with time zone,
    rtt_micros         bigint,
    remote_address     varchar(128),
    updated_at         timestamp with time zone not null,
    primary key (instance, connection_point)
);

-- Traffic per endpoint per 5-minute window, one row per instance (summed when read).
create table traffic (
    window_start       timestamp with time zone not null,
    instance           varchar(128)  not null,
    endpoint           varchar(1024) not null,
    requests           bigint        not null,
    bytes_in           bigint        not null,
    bytes_out          bigint        not null,
    status_2xx         bigint        not null,
    status_3xx         bigint        not null,
    status_4xx         bigint        not null,
    status_5xx         bigint        not null,
    primary key (window_start, instance, endpoint)
);

insert into state_revisions (topic, revision) values ('connection_points', 0);
